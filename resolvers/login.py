"""Password login and logout (L1, L2, L8, L11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from auth.crypto import verify_password_async
from auth.sessions import end_session, session_end, start_session
from auth.viewer import PatientViewer, UserViewer
from metrics import LOGIN_OUTCOMES
from models.sessions import LoginAttempt, Session
from models.users import AccountStatus, User
from resolvers.challenges import ChallengeIssued, issue_account_challenge
from resolvers.errors import bad_input

if TYPE_CHECKING:
    from schema.context import Context

MAX_PASSWORD_LENGTH = 1024
# L3: consecutive failures per username, and failures of any kind per client address.
USERNAME_FAILURES, USERNAME_LOCK = 10, timedelta(minutes=15)
USERNAME_WINDOW = timedelta(hours=24)
ADDRESS_FAILURES, ADDRESS_WINDOW = 100, timedelta(hours=1)
MESSAGES = {
    "TOO_MANY_ATTEMPTS": "Too many failed attempts; try again later.",
    "INVALID_CREDENTIALS": "The username or password is not correct.",
    "ACCOUNT_PENDING": "Your account is not active yet.",
    "ACCOUNT_DISABLED": "Your account is disabled; contact the service desk.",
}


@dataclass
class LoginFailure:
    reason: str
    message: str
    retry_after_seconds: int | None = None


@dataclass
class LoginSuccessful:
    user: User
    expires_at: datetime
    previous_failed_attempts: int


def username_key(username_key: str) -> str:
    return f"user:{username_key}"


def address_key(ctx: Context) -> str | None:
    return f"ip:{ctx.client_ip}" if ctx.client_ip else None


async def lockout_seconds(ctx: Context, *keys: str | None) -> int:
    """Seconds until these keys may try again (L3); 0 when none is locked."""
    waits = [await ctx.throttle.locked_for(k, ctx.now) for k in keys if k]
    return max(waits, default=0)


async def count_failure(ctx: Context, key: str | None, limit: int, window: timedelta,
                        lock: timedelta | None = None) -> None:
    """One more failure for `key`; at `limit` the key is locked (for `lock`, else the window)."""
    if key and await ctx.throttle.add_failure(key, ctx.now, window) >= limit:
        await ctx.throttle.lock(key, ctx.now, lock or window)


async def count_login_failure(ctx: Context, key: str) -> None:
    await count_failure(ctx, username_key(key), USERNAME_FAILURES, USERNAME_WINDOW, USERNAME_LOCK)
    await count_failure(ctx, address_key(ctx), ADDRESS_FAILURES, ADDRESS_WINDOW)


def too_many(seconds: int) -> "LoginFailure":
    return LoginFailure("TOO_MANY_ATTEMPTS", MESSAGES["TOO_MANY_ATTEMPTS"], seconds)


async def _record(ctx: Context, user: User | None, key: str, method: str, ok: bool) -> None:
    await LoginAttempt.create(
        environment_id=ctx.environment.id, user=user, username_key=key, method=method,
        succeeded=ok, ip_address=ctx.client_ip, at=ctx.now,
    )
    LOGIN_OUTCOMES.labels(method, "success" if ok else "failure").inc()


record_attempt = _record  # the second factor records its attempts the same way (L11)


async def failures_since_last_success(user_id: int) -> int:
    """L11: failed attempts on the account since its previous successful login."""
    last_ok = await LoginAttempt.filter(user_id=user_id, succeeded=True).order_by("-at").first()
    query = LoginAttempt.filter(user_id=user_id, succeeded=False)
    if last_ok is not None:
        query = query.filter(at__gt=last_ok.at)
    return await query.count()


def set_session_cookie(ctx: Context, token: str) -> None:
    ctx.response.set_cookie(
        ctx.settings.session_cookie_name,
        token,
        max_age=int(ctx.sessions.absolute.total_seconds()),
        path="/",
        secure=not ctx.settings.dev,
        httponly=True,
        samesite="lax",
    )


async def login_with_password(
    ctx: Context, username: str, password: str, use_email: bool = False
) -> LoginSuccessful | ChallengeIssued | LoginFailure:
    """L1/L2: the same failure, at the same cost, for an unknown user and a wrong password.

    L12: with an authenticator (or two-factor required) the right password gives a challenge."""
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        raise bad_input("password", f"between 1 and {MAX_PASSWORD_LENGTH} characters")
    key = username.strip().casefold()
    if not key or len(key) > 254:
        raise bad_input("username", "between 1 and 254 characters")
    user = await User.filter(environment_id=ctx.environment.id, username_key=key).first()
    wait = await lockout_seconds(ctx, username_key(key), address_key(ctx))
    if wait:  # even the right password is refused while locked (L3)
        await _record(ctx, user, key, "PASSWORD", False)
        return too_many(wait)
    if not await verify_password_async(user.password_hash if user else None, password):
        await _record(ctx, user, key, "PASSWORD", False)
        await count_login_failure(ctx, key)
        return LoginFailure("INVALID_CREDENTIALS", MESSAGES["INVALID_CREDENTIALS"])
    assert user is not None
    if user.status in (AccountStatus.PENDING_EMAIL_VERIFICATION, AccountStatus.PENDING_APPROVAL):
        await _record(ctx, user, key, "PASSWORD", False)
        return LoginFailure("ACCOUNT_PENDING", MESSAGES["ACCOUNT_PENDING"])
    if user.status == AccountStatus.DISABLED:
        await _record(ctx, user, key, "PASSWORD", False)
        return LoginFailure("ACCOUNT_DISABLED", MESSAGES["ACCOUNT_DISABLED"])
    challenge = await issue_account_challenge(ctx, user, use_email)
    if challenge is not None:
        return challenge
    return await complete_login(ctx, user, key, "PASSWORD")


async def complete_login(ctx: Context, user: User, key: str, method: str) -> LoginSuccessful:
    """A new session (a new token at every login, L8), the cookie, and the L11 record."""
    previous_failures = await failures_since_last_success(user.id)
    await _record(ctx, user, key, method, True)
    await ctx.throttle.clear(username_key(key))  # "consecutive": a success starts afresh
    if isinstance(ctx.viewer, (UserViewer, PatientViewer)):
        await end_session(ctx.viewer.session, ctx.now)  # no session fixation
    token, session = await start_session(
        ctx.keyring, ctx.sessions, ctx.environment.id, ctx.now, user=user
    )
    set_session_cookie(ctx, token)
    return LoginSuccessful(user, session_end(session, ctx.sessions), previous_failures)


async def logout(ctx: Context) -> bool:
    """Ends the session server-side at once (L8); true when there was one."""
    ctx.response.delete_cookie(ctx.settings.session_cookie_name, path="/")
    if isinstance(ctx.viewer, (UserViewer, PatientViewer)):
        await end_session(ctx.viewer.session, ctx.now)
        return True
    return False


def current_session(ctx: Context) -> Session | None:
    return ctx.viewer.session if isinstance(ctx.viewer, (UserViewer, PatientViewer)) else None
