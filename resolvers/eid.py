"""e-ID sign-in and linking (L7): the use cases around auth.eid's OpenID Connect client."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError

from auth.crypto import new_token
from auth.eid import EidRejected, EidUnavailable, OidcClient, OidcConfig, new_code_verifier
from auth.viewer import Anonymous, UserViewer
from metrics import LOGIN_OUTCOMES
from models.challenges import EidLoginState
from models.sessions import LoginAttempt
from models.users import AccountStatus, User
from resolvers import login
from resolvers.errors import ApiError, bad_input, forbidden, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger("studygate.eid")
STATE_TTL = timedelta(minutes=10)
KEEP_USED_STATES = timedelta(days=1)  # an expired state is still told apart from a forged one
LOGIN, LINK = "LOGIN", "LINK"
MAX_ARGUMENT_LENGTH = 2048
MAX_RETURN_TO_LENGTH = 500  # EidLoginState.return_to
MESSAGES = {
    "EID_UNAVAILABLE": "Signing in with e-ID is not available here.",
    "PROVIDER_DOWN": "The e-ID service cannot be reached; try again later.",
    "INVALID_CREDENTIALS": "The e-ID sign-in could not be verified; please start again.",
    "CHALLENGE_EXPIRED": "The e-ID sign-in took too long; please start again.",
    "EID_NOT_LINKED": "This e-ID is not linked to an account here: sign in with your password "
                      "and link it from your account.",
}


@dataclass
class EidLoginStart:
    authorization_url: str
    state: str


class StateProblem(Exception):
    """The state is unknown, foreign, used (INVALID_CREDENTIALS) or expired (CHALLENGE_EXPIRED)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def provider(ctx: Context) -> OidcClient | None:
    """The configured provider where the served environment offers e-ID, else None."""
    config = OidcConfig.from_settings(ctx.settings)
    return OidcClient(config) if config and ctx.environment.eid_login_enabled else None


def unavailable() -> ApiError:
    return forbidden(MESSAGES["EID_UNAVAILABLE"], reason="EID_UNAVAILABLE")


def provider_down() -> ApiError:
    return ApiError("INTERNAL", MESSAGES["PROVIDER_DOWN"], reason="EID_PROVIDER_ERROR")


def checked_return_to(value: str | None) -> str | None:
    """A path on the portal ("/studies?x=1"), never another site: no scheme, host or backslash."""
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if (not value.startswith("/") or value.startswith("//") or "\\" in value
            or parts.scheme or parts.netloc or len(value) > MAX_RETURN_TO_LENGTH
            or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value)):
        raise bad_input("returnTo", "must be a path on this portal, starting with a single /")
    return value


def _checked_argument(name: str, value: str) -> str:
    if not value or len(value) > MAX_ARGUMENT_LENGTH:
        raise bad_input(name, f"between 1 and {MAX_ARGUMENT_LENGTH} characters")
    return value


async def start_eid_login(ctx: Context, return_to: str | None) -> EidLoginStart:
    """A new authorization request; signed in to an account, it serves linkEid (purpose LINK)."""
    oidc = provider(ctx)
    if oidc is None:
        raise unavailable()
    return_to = checked_return_to(return_to)
    state, nonce, verifier = new_token(), new_token(), new_code_verifier()
    try:
        url = await oidc.authorization_url(state, nonce, verifier)
    except EidUnavailable as exc:
        log.error("e-ID provider unavailable: %s", exc)
        raise provider_down() from None
    account = ctx.viewer.user if isinstance(ctx.viewer, UserViewer) else None
    await EidLoginState.filter(
        environment_id=ctx.environment.id, expires_at__lt=ctx.now - KEEP_USED_STATES
    ).delete()
    await EidLoginState.create(
        environment_id=ctx.environment.id, state_hash=ctx.keyring.token_hash(state), nonce=nonce,
        code_verifier_encrypted=ctx.keyring.encrypt(verifier), purpose=LINK if account else LOGIN,
        user=account, return_to=return_to, created_at=ctx.now, expires_at=ctx.now + STATE_TTL,
    )
    return EidLoginStart(url, state)


async def pending_request(ctx: Context, state: str) -> EidLoginState | None:
    """The unused, unexpired request of this environment named by `state` (for the callback page)."""
    if not state or len(state) > MAX_ARGUMENT_LENGTH:
        return None
    return await EidLoginState.filter(
        environment_id=ctx.environment.id, state_hash=ctx.keyring.token_hash(state),
        used_at=None, expires_at__gt=ctx.now,
    ).first()


async def _open_request(ctx: Context, state: str, account: User | None) -> EidLoginState:
    """The request named by `state` in this environment; for linking, only the starter's."""
    row = await EidLoginState.filter(
        environment_id=ctx.environment.id, state_hash=ctx.keyring.token_hash(state)
    ).first()
    if row is None or row.used_at is not None:
        raise StateProblem("INVALID_CREDENTIALS")
    if account is not None and (row.purpose != LINK or row.user_id != account.id):
        raise StateProblem("INVALID_CREDENTIALS")
    if row.expires_at <= ctx.now:
        raise StateProblem("CHALLENGE_EXPIRED")
    return row


async def _verified_subject(ctx: Context, oidc: OidcClient, state: str, code: str,
                            account: User | None = None) -> str:
    """The identity the provider vouches for; the request is used up, whatever the answer.

    Nothing is written before the provider has answered, so no database lock waits on it.
    """
    row = await _open_request(ctx, state, account)
    try:
        verifier = ctx.keyring.decrypt(row.code_verifier_encrypted)
        if verifier is None:  # encrypted under another server key
            raise EidRejected("code verifier unreadable")
        subject = await oidc.subject(code, verifier, row.nonce, ctx.now)
    finally:
        used = await EidLoginState.filter(id=row.id, used_at=None).update(used_at=ctx.now)
    if not used:  # single use: of two racing calls with one state, the second fails here
        raise StateProblem("INVALID_CREDENTIALS")
    return subject


async def _failed(ctx: Context, reason: str, user: User | None = None) -> login.LoginFailure:
    """A failed e-ID login: counted per client address (L3), recorded on the account (L11)."""
    await login.count_failure(ctx, login.address_key(ctx), login.ADDRESS_FAILURES,
                              login.ADDRESS_WINDOW)
    if user is not None:
        await LoginAttempt.create(environment_id=ctx.environment.id, user=user,
                                  username_key=user.username_key, method="EID", succeeded=False,
                                  ip_address=ctx.client_ip, at=ctx.now)
    LOGIN_OUTCOMES.labels("EID", "failure").inc()
    return login.LoginFailure(reason, MESSAGES.get(reason) or login.MESSAGES[reason])


async def complete_eid_login(
    ctx: Context, code: str, state: str
) -> login.LoginSuccessful | login.LoginFailure:
    """L7: the provider's answer checked end to end, then the linked account signs in (L2 holds)."""
    _checked_argument("code", code)
    _checked_argument("state", state)
    oidc = provider(ctx)
    if oidc is None:
        return login.LoginFailure("EID_UNAVAILABLE", MESSAGES["EID_UNAVAILABLE"])
    wait = await login.lockout_seconds(ctx, login.address_key(ctx))
    if wait:
        return login.too_many(wait)
    try:
        subject = await _verified_subject(ctx, oidc, state, code)
    except StateProblem as problem:
        return await _failed(ctx, problem.reason)
    except EidRejected as exc:
        log.warning("e-ID sign-in refused: %s", exc)
        return await _failed(ctx, "INVALID_CREDENTIALS")
    except EidUnavailable as exc:  # not the user's doing: not counted
        log.error("e-ID provider unavailable: %s", exc)
        return login.LoginFailure("EID_UNAVAILABLE", MESSAGES["PROVIDER_DOWN"])
    user = await User.filter(environment_id=ctx.environment.id, eid_subject=subject).first()
    if user is None:
        return await _failed(ctx, "EID_NOT_LINKED")
    if user.status in (AccountStatus.PENDING_EMAIL_VERIFICATION, AccountStatus.PENDING_APPROVAL):
        return await _failed(ctx, "ACCOUNT_PENDING", user)
    if user.status == AccountStatus.DISABLED:
        return await _failed(ctx, "ACCOUNT_DISABLED", user)
    return await login.complete_login(ctx, user, user.username_key, "EID")


async def link_eid(ctx: Context, code: str, state: str) -> User:
    """Links the proven identity to the signed-in account; one account per identity (CONFLICT)."""
    if not isinstance(ctx.viewer, UserViewer):
        if isinstance(ctx.viewer, Anonymous):
            raise unauthenticated()
        raise forbidden("Only an account can link an e-ID.")
    account = ctx.viewer.user
    _checked_argument("code", code)
    _checked_argument("state", state)
    oidc = provider(ctx)
    if oidc is None:
        raise unavailable()
    try:
        subject = await _verified_subject(ctx, oidc, state, code, account)
    except StateProblem as problem:
        raise bad_input("state", MESSAGES[problem.reason]) from None
    except EidRejected as exc:
        log.warning("e-ID link refused: %s", exc)
        raise bad_input("code", MESSAGES["INVALID_CREDENTIALS"]) from None
    except EidUnavailable as exc:
        log.error("e-ID provider unavailable: %s", exc)
        raise provider_down() from None
    taken = ApiError("CONFLICT", "This e-ID is already linked to another account.")
    if await User.filter(environment_id=ctx.environment.id, eid_subject=subject).exclude(
        id=account.id
    ).exists():
        raise taken
    account.eid_subject = subject
    try:
        await account.save(update_fields=["eid_subject"])
    except IntegrityError:  # linked elsewhere in the meantime
        raise taken from None
    return account
