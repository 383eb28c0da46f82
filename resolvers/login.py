"""Password login and logout (L1, L2, L8, L11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from auth.crypto import verify_password_async
from auth.sessions import end_session, session_end, start_session
from auth.viewer import PatientViewer, UserViewer
from metrics import LOGIN_OUTCOMES
from models.sessions import LoginAttempt, Session
from models.users import AccountStatus, User
from resolvers.errors import bad_input

if TYPE_CHECKING:
    from schema.context import Context

MAX_PASSWORD_LENGTH = 1024
MESSAGES = {
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


async def _record(ctx: Context, user: User | None, key: str, method: str, ok: bool) -> None:
    await LoginAttempt.create(
        environment_id=ctx.environment.id, user=user, username_key=key, method=method,
        succeeded=ok, ip_address=ctx.client_ip, at=ctx.now,
    )
    LOGIN_OUTCOMES.labels(method, "success" if ok else "failure").inc()


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
    ctx: Context, username: str, password: str
) -> LoginSuccessful | LoginFailure:
    """L1/L2: the same failure, at the same cost, for an unknown user and a wrong password."""
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        raise bad_input("password", f"between 1 and {MAX_PASSWORD_LENGTH} characters")
    key = username.strip().casefold()
    if not key or len(key) > 254:
        raise bad_input("username", "between 1 and 254 characters")
    user = await User.filter(environment_id=ctx.environment.id, username_key=key).first()
    if not await verify_password_async(user.password_hash if user else None, password):
        await _record(ctx, user, key, "PASSWORD", False)
        return LoginFailure("INVALID_CREDENTIALS", MESSAGES["INVALID_CREDENTIALS"])
    assert user is not None
    if user.status in (AccountStatus.PENDING_EMAIL_VERIFICATION, AccountStatus.PENDING_APPROVAL):
        await _record(ctx, user, key, "PASSWORD", False)
        return LoginFailure("ACCOUNT_PENDING", MESSAGES["ACCOUNT_PENDING"])
    if user.status == AccountStatus.DISABLED:
        await _record(ctx, user, key, "PASSWORD", False)
        return LoginFailure("ACCOUNT_DISABLED", MESSAGES["ACCOUNT_DISABLED"])
    return await complete_login(ctx, user, key, "PASSWORD")


async def complete_login(ctx: Context, user: User, key: str, method: str) -> LoginSuccessful:
    """A new session (a new token at every login, L8), the cookie, and the L11 record."""
    previous_failures = await failures_since_last_success(user.id)
    await _record(ctx, user, key, method, True)
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
