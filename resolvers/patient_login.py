"""Patient login with an access code and a date of birth (L4), then payment (L6) or a second
factor (L5).

Failures count per code (5, then blocked for 1 hour) and per client address (L3). They are
recorded as login attempts under the code's keyed hash, the input of `previousFailedAttempts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.expressions import Q, Subquery

from auth.crypto import normalize_access_code
from auth.sessions import end_session, session_end, start_session
from auth.viewer import PatientViewer, UserViewer
from models.challenges import ChallengeMethod
from models.patients import PatientAccess, PatientAccessStudy, PatientVerification
from models.sessions import LoginAttempt
from models.studies import ReportStatus, Study
from resolvers import challenges, login
from resolvers.errors import bad_input

if TYPE_CHECKING:
    from schema.context import Context

CODE_FAILURES, CODE_WINDOW, CODE_LOCK = 5, timedelta(hours=24), timedelta(hours=1)
MAX_CODE_INPUT = 100
METHOD = "ACCESS_CODE"
MESSAGES = {
    "INVALID_CREDENTIALS": "The access code or the date of birth is not correct.",
    "ACCESS_EXPIRED": "This access code is no longer valid; ask the institution for a new one.",
    "NOT_AVAILABLE_YET": "Your results are not available yet, please try again later.",
}


@dataclass
class PatientLoginSuccessful:
    access: PatientAccess
    expires_at: datetime
    previous_failed_attempts: int


def code_key(code_hash: str) -> str:
    """The throttle and login-history key of one access code (its keyed hash, never the code)."""
    return f"code:{code_hash}"


async def count_code_failure(ctx: Context, key: str, method: str) -> None:
    """One failure on this code (L4) and on the client address (L3), recorded (L11)."""
    await login.record_attempt(ctx, None, key, method, False)
    await login.count_failure(ctx, key, CODE_FAILURES, CODE_WINDOW, CODE_LOCK)
    await login.count_failure(ctx, login.address_key(ctx), login.ADDRESS_FAILURES,
                              login.ADDRESS_WINDOW)


async def has_results(access: PatientAccess) -> bool:
    """True when one of the access's studies has images or a report (else NOT_AVAILABLE_YET)."""
    linked = Subquery(PatientAccessStudy.filter(patient_access_id=access.id).values("study_id"))
    return await Study.filter(id__in=linked).filter(
        Q(number_of_series__gt=0) | ~Q(report_status=ReportStatus.NONE)
    ).exists()


async def patient_login(
    ctx: Context, access_code: str, date_of_birth: date
) -> PatientLoginSuccessful | challenges.ChallengeIssued | challenges.PaymentDue | login.LoginFailure:
    """L4: the same INVALID_CREDENTIALS for an unknown code and a wrong birth date."""
    normalized = normalize_access_code(access_code)
    if not normalized or len(access_code) > MAX_CODE_INPUT:
        raise bad_input("accessCode", f"between 1 and {MAX_CODE_INPUT} characters")
    code_hash = ctx.keyring.token_hash(normalized)
    key = code_key(code_hash)
    wait = await login.lockout_seconds(ctx, key, login.address_key(ctx))
    if wait:  # even the right birth date is refused while blocked
        await login.record_attempt(ctx, None, key, METHOD, False)
        return login.too_many(wait)
    access = await PatientAccess.filter(
        environment_id=ctx.environment.id, code_hash=code_hash
    ).select_related("institution").first()
    if access is None or access.date_of_birth != date_of_birth:
        await count_code_failure(ctx, key, METHOD)
        return _failed("INVALID_CREDENTIALS")
    if not challenges.access_is_valid(access, ctx.now):
        return _failed("ACCESS_EXPIRED")
    if not await has_results(access):
        return _failed("NOT_AVAILABLE_YET")
    due = challenges.payment_due(access)
    if access.verification == PatientVerification.DATE_OF_BIRTH_ONLY and not due:
        return await complete_patient_login(ctx, access, METHOD)
    method = (ChallengeMethod.TOTP  # the column is required; a birth-date-only access pays only
              if access.verification == PatientVerification.DATE_OF_BIRTH_ONLY
              else ChallengeMethod(access.verification.value))
    challenge = await challenges.open_challenge(ctx, method, access=access)
    if due:  # L6: nothing is sent before the fee is paid
        return challenges.payment_request(ctx, challenge)
    return await challenges.issue(ctx, challenge)


def _failed(reason: str) -> login.LoginFailure:
    return login.LoginFailure(reason, MESSAGES[reason])


async def failures_since_last_success(ctx: Context, key: str) -> int:
    """Failed attempts on this code since its previous successful login (L11)."""
    attempts = LoginAttempt.filter(environment_id=ctx.environment.id, username_key=key)
    last_ok = await attempts.filter(succeeded=True).order_by("-at").first()
    failed = attempts.filter(succeeded=False)
    if last_ok is not None:
        failed = failed.filter(at__gt=last_ok.at)
    return await failed.count()


async def complete_patient_login(
    ctx: Context, access: PatientAccess, method: str
) -> PatientLoginSuccessful:
    """A new patient session (new token, L8) and cookie; the code's failures start afresh."""
    key = code_key(access.code_hash)
    previous_failures = await failures_since_last_success(ctx, key)
    await login.record_attempt(ctx, None, key, method, True)
    await ctx.throttle.clear(key)
    if isinstance(ctx.viewer, (UserViewer, PatientViewer)):
        await end_session(ctx.viewer.session, ctx.now)  # no session fixation
    token, session = await start_session(
        ctx.keyring, ctx.sessions, ctx.environment.id, ctx.now, patient_access=access
    )
    login.set_session_cookie(ctx, token)
    return PatientLoginSuccessful(access, session_end(session, ctx.sessions), previous_failures)
