"""verifySecondFactor (L5, L12): the code of a challenge completes a patient's or a
practitioner's login.

Each check is counted on the challenge before it is made, so at most 5 codes are ever checked
per challenge, however many aliases or parallel requests ask (S2b). Wrong codes also count
against the L3/L4 counters: the username and the address for a practitioner, the access code
and the address for a patient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from auth.one_time_codes import clean_code, code_hash, matching_totp_step
from models.challenges import ChallengeMethod, LoginChallenge
from models.patients import PatientAccess
from models.users import Authenticator
from resolvers import challenges, login, patient_login

if TYPE_CHECKING:
    from schema.context import Context

MESSAGES = {
    "INVALID_CODE": "The code is not correct.",
    "CHALLENGE_EXPIRED": "This sign-in has expired; start again.",
}


def _failed(reason: str) -> login.LoginFailure:
    return login.LoginFailure(reason, MESSAGES[reason])


def _method_label(challenge: LoginChallenge) -> str:
    """How the login is recorded (L11): PASSWORD_TOTP, ACCESS_CODE_SMS, ..."""
    first = "PASSWORD" if challenge.user is not None else patient_login.METHOD
    return f"{first}_{challenge.method.value}"


def _failure_keys(ctx: Context, challenge: LoginChallenge) -> tuple[str | None, ...]:
    if challenge.user is not None:
        return login.username_key(challenge.user.username_key), login.address_key(ctx)
    return patient_login.code_key(challenges.access_of(challenge).code_hash), login.address_key(ctx)


async def _count_wrong_code(ctx: Context, challenge: LoginChallenge) -> None:
    method = _method_label(challenge)
    if challenge.user is not None:  # L12: the same counters as L3
        key = challenge.user.username_key
        await login.record_attempt(ctx, challenge.user, key, method, False)
        await login.count_login_failure(ctx, key)
    else:
        key = patient_login.code_key(challenges.access_of(challenge).code_hash)
        await patient_login.count_code_failure(ctx, key, method)


async def _claim_totp(ctx: Context, challenge: LoginChallenge, code: str) -> bool:
    """True when the code is a TOTP code of one of the holder's secrets whose step is unused;
    that step (and every earlier one) is then used up, atomically."""
    candidates: list[tuple[type[PatientAccess | Authenticator], int, str | None, int | None]]
    if challenge.user is None:
        access = challenges.access_of(challenge)
        candidates = [(PatientAccess, access.id, access.totp_secret_encrypted, access.totp_last_step)]
    else:
        candidates = [(Authenticator, a.id, a.secret_encrypted, a.last_used_step)
                      for a in await Authenticator.filter(user_id=challenge.user.id)]
    for model, pk, encrypted, last_step in candidates:
        secret = ctx.keyring.decrypt(encrypted) if encrypted else None
        step = matching_totp_step(secret, code, ctx.now, last_step) if secret else None
        if step is None:
            continue
        column = "totp_last_step" if model is PatientAccess else "last_used_step"
        unused: dict[str, Any] = {f"{column}__isnull": True}
        earlier: dict[str, Any] = {f"{column}__lt": step}
        values: dict[str, Any] = {column: step}
        if model is Authenticator:
            values["last_used_at"] = ctx.now
        if await model.filter(Q(**unused) | Q(**earlier), id=pk).update(**values):
            return True
    return False


async def verify_second_factor(
    ctx: Context, public_id: str, code: str
) -> (login.LoginSuccessful | patient_login.PatientLoginSuccessful | challenges.PaymentDue
      | login.LoginFailure):
    """LoginSuccess with a new session, or LoginFailed (INVALID_CODE, CHALLENGE_EXPIRED,
    TOO_MANY_ATTEMPTS), or PaymentRequired again while the fee is unpaid."""
    challenge = await challenges.find_live(ctx, public_id)
    if challenge is None:
        return _failed("CHALLENGE_EXPIRED")
    access = challenge.patient_access
    if access is not None and challenges.payment_due(access):
        return challenges.payment_request(ctx, challenge)
    if challenges.payment_only(challenge):  # paid: sign in again with the code and birth date
        return _failed("CHALLENGE_EXPIRED")
    wait = await login.lockout_seconds(ctx, *_failure_keys(ctx, challenge))
    if wait:
        return login.too_many(wait)
    cleaned = clean_code(code)
    if cleaned is None:  # never six digits: it cannot match, so it costs no attempt
        return _failed("INVALID_CODE")
    if not await challenges.reserve_attempt(ctx, challenge):
        return _failed("CHALLENGE_EXPIRED")
    if challenge.method == ChallengeMethod.TOTP:
        accepted = await _claim_totp(ctx, challenge, cleaned) and await challenges.complete(
            ctx, challenge)
    else:
        expected = code_hash(ctx.keyring, challenge.public_id, cleaned)
        accepted = await challenges.complete(ctx, challenge, expected)
    if not accepted:
        await _count_wrong_code(ctx, challenge)
        return _failed("INVALID_CODE")
    if challenge.user is not None:
        return await login.complete_login(
            ctx, challenge.user, challenge.user.username_key, _method_label(challenge))
    return await patient_login.complete_patient_login(
        ctx, challenges.access_of(challenge), _method_label(challenge))
