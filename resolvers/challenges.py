"""Login challenges (L5, L6, L12): a login half-way, waiting for a payment or a second factor.

One `LoginChallenge` row per login that passed its first factor. Every limit is enforced by a
conditional UPDATE on that row, so parallel requests and aliases cannot exceed it (S2b).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from tortoise.expressions import F, Q

from auth.crypto import new_token
from auth.one_time_codes import code_hash, mask_email, mask_phone, new_numeric_code
from models.challenges import ChallengeMethod, LoginChallenge
from models.institutions import Institution
from models.patients import PatientAccess, PatientVerification
from models.users import AccountStatus, Authenticator, User
from resolvers.errors import ApiError, forbidden
from resolvers.outbound import DeliveryError

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger("studygate.challenges")

CHALLENGE_LIFETIME = timedelta(minutes=15)
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_CODES = 5
MAX_SENDS, SEND_SPACING = 3, timedelta(seconds=30)


@dataclass
class ChallengeIssued:
    """SecondFactorRequired: the challenge and where its codes go, masked."""

    challenge: LoginChallenge
    destination_hint: str | None


@dataclass
class PaymentDue:
    """PaymentRequired (L6): the institution's fee and where to pay it."""

    challenge: LoginChallenge
    amount: str
    currency: str
    checkout_url: str


def access_is_valid(access: PatientAccess, now: datetime) -> bool:
    """Within validFrom..validUntil and not revoked (L4)."""
    started = access.valid_from is None or now >= access.valid_from
    return access.revoked_at is None and started and now < access.valid_until


def payment_due(access: PatientAccess) -> bool:
    return access.payment_required and not access.paid


def access_of(challenge: LoginChallenge) -> PatientAccess:
    """The patient access of a patient's challenge."""
    access = challenge.patient_access
    assert access is not None, "a practitioner's challenge has no patient access"
    return access


def payment_only(challenge: LoginChallenge) -> bool:
    """A birth-date-only access that asked for payment: once paid, the patient signs in again."""
    access = challenge.patient_access
    return access is not None and access.verification == PatientVerification.DATE_OF_BIRTH_ONLY


def patient_fee(institution: Institution) -> tuple[str, str]:
    """The fee as the API and the payment provider write it: ("12.50", "EUR")."""
    amount = institution.patient_fee_amount
    return (f"{amount:.2f}" if amount is not None else "0.00"), (
        institution.patient_fee_currency or "EUR"
    )


def payment_request(ctx: Context, challenge: LoginChallenge) -> PaymentDue:
    amount, currency = patient_fee(access_of(challenge).institution)
    url = ctx.settings.checkout_url.replace(
        "{portal}", ctx.environment.portal_url.rstrip("/")
    ).replace("{challengeId}", quote(challenge.public_id, safe=""))
    return PaymentDue(challenge, amount, currency, url)


async def open_challenge(
    ctx: Context, method: ChallengeMethod, user: User | None = None,
    access: PatientAccess | None = None,
) -> LoginChallenge:
    """A new challenge with a random, unguessable public id, alive for 15 minutes."""
    return await LoginChallenge.create(
        public_id=new_token(nbytes=24), environment_id=ctx.environment.id, user=user,
        patient_access=access, method=method, created_at=ctx.now,
        expires_at=ctx.now + CHALLENGE_LIFETIME,
    )


def _destination(challenge: LoginChallenge) -> str | None:
    if challenge.user is not None:
        return challenge.user.email or challenge.user.username
    access = access_of(challenge)
    return access.phone_number if challenge.method == ChallengeMethod.SMS else access.email


def issued(challenge: LoginChallenge) -> ChallengeIssued:
    to = _destination(challenge) if challenge.method != ChallengeMethod.TOTP else None
    hint = mask_phone(to) if challenge.method == ChallengeMethod.SMS else mask_email(to)
    return ChallengeIssued(challenge, hint)


async def issue(ctx: Context, challenge: LoginChallenge) -> ChallengeIssued:
    """SecondFactorRequired; an SMS or e-mail challenge gets its first code at once."""
    if challenge.method != ChallengeMethod.TOTP:
        try:
            await send_code(ctx, challenge)
        except ApiError as exc:  # the client can ask again with sendSecondFactorCode
            log.warning("first code of a challenge not sent: %s", exc.message)
    return issued(challenge)


async def issue_account_challenge(ctx: Context, user: User, use_email: bool) -> ChallengeIssued | None:
    """L12: TOTP with an authenticator (EMAIL when asked), EMAIL when two-factor is required."""
    has_totp = await Authenticator.filter(user_id=user.id).exists()
    if not has_totp and ctx.settings.practitioner_2fa != "required":
        return None
    method = ChallengeMethod.TOTP if has_totp and not use_email else ChallengeMethod.EMAIL
    return await issue(ctx, await open_challenge(ctx, method, user=user))


def is_live(challenge: LoginChallenge, now: datetime) -> bool:
    """Not completed, fewer than 5 wrong codes, younger than 15 minutes, and its holder still valid."""
    if challenge.completed_at is not None or challenge.failed_attempts >= MAX_WRONG_CODES:
        return False
    if now >= challenge.expires_at:
        return False
    if challenge.user is not None:
        return challenge.user.status == AccountStatus.ACTIVE
    return access_is_valid(access_of(challenge), now)


async def find_live(ctx: Context, public_id: str) -> LoginChallenge | None:
    """The live challenge of this environment with that id; None for unknown, dead or foreign."""
    if not public_id or len(public_id) > 64:
        return None
    challenge = await load(public_id, environment_id=ctx.environment.id)
    return challenge if challenge is not None and is_live(challenge, ctx.now) else None


async def load(public_id: str, **filters: object) -> LoginChallenge | None:
    """The challenge with its user, or its access and the access's institution."""
    challenge = await LoginChallenge.filter(public_id=public_id, **filters).select_related(
        "user", "patient_access").first()
    # Not one nested select_related: its column aliases pass PostgreSQL's 63-character limit.
    if challenge is not None and challenge.patient_access is not None:
        await challenge.patient_access.fetch_related("institution")
    return challenge


def _live_rows(ctx: Context, challenge: LoginChallenge):
    return LoginChallenge.filter(id=challenge.id, completed_at=None, expires_at__gt=ctx.now)


async def reserve_attempt(ctx: Context, challenge: LoginChallenge) -> bool:
    """Counts one code check before it happens: at most 5 checks per challenge, ever (S2b)."""
    return bool(
        await _live_rows(ctx, challenge)
        .filter(failed_attempts__lt=MAX_WRONG_CODES)
        .update(failed_attempts=F("failed_attempts") + 1)
    )


async def complete(ctx: Context, challenge: LoginChallenge, expected_hash: str | None = None) -> bool:
    """Marks the challenge done, once; with `expected_hash`, only while that code is the last sent
    and younger than 10 minutes (single use). The reserved attempt was no wrong code: given back."""
    rows = _live_rows(ctx, challenge)
    if expected_hash is not None:
        rows = rows.filter(code_hash=expected_hash, code_sent_at__gt=ctx.now - CODE_LIFETIME)
    return bool(await rows.update(
        completed_at=ctx.now, code_hash=None, failed_attempts=F("failed_attempts") - 1
    ))


def challenge_gone() -> ApiError:
    """sendSecondFactorCode on an unknown, foreign, finished or dead challenge."""
    return ApiError("NOT_FOUND", "This sign-in has expired; start again.", reason="CHALLENGE_EXPIRED")


async def resend(ctx: Context, public_id: str) -> ChallengeIssued:
    """sendSecondFactorCode: a new code for an SMS or e-mail challenge; TOTP has nothing to send."""
    challenge = await find_live(ctx, public_id)
    if challenge is None or (payment_only(challenge) and not payment_due(access_of(challenge))):
        raise challenge_gone()
    if challenge.patient_access is not None and payment_due(challenge.patient_access):
        raise forbidden("The fee must be paid before a code is sent.", reason="PAYMENT_REQUIRED")
    if challenge.method != ChallengeMethod.TOTP:
        await send_code(ctx, challenge)
    return issued(challenge)


async def send_code(ctx: Context, challenge: LoginChallenge) -> None:
    """A new 6-digit code replaces the last one: at most 3 per challenge, 30 seconds apart (L5)."""
    code = new_numeric_code()
    new_hash = code_hash(ctx.keyring, challenge.public_id, code)
    previous = await LoginChallenge.filter(id=challenge.id).only("id", "code_hash", "code_sent_at").first()
    reserved = await _live_rows(ctx, challenge).filter(
        Q(code_sent_at__isnull=True) | Q(code_sent_at__lte=ctx.now - SEND_SPACING),
        sends__lt=MAX_SENDS,
    ).update(sends=F("sends") + 1, code_hash=new_hash, code_sent_at=ctx.now)
    if not reserved:
        raise await _send_refused(ctx, challenge)
    to = _destination(challenge) or ""
    text = f"Your StudyGate code is {code}. It is valid for 10 minutes; never share it."
    try:
        if challenge.method == ChallengeMethod.SMS:
            await ctx.outbound.sms.send(to, text)
        else:
            await ctx.outbound.mail.send(to, "Your StudyGate sign-in code", text)
    except DeliveryError as exc:  # not delivered: the send does not count, the last code stays valid
        await LoginChallenge.filter(id=challenge.id, code_hash=new_hash).update(
            sends=F("sends") - 1, code_hash=previous.code_hash if previous else None,
            code_sent_at=previous.code_sent_at if previous else None,
        )
        raise ApiError("INTERNAL", str(exc), reason="DELIVERY_FAILED") from exc


async def _send_refused(ctx: Context, challenge: LoginChallenge) -> ApiError:
    row = await LoginChallenge.filter(id=challenge.id).only(
        "id", "sends", "code_sent_at", "completed_at").first()
    if row is not None and row.completed_at is None and ctx.now < challenge.expires_at:
        if row.sends >= MAX_SENDS:
            return ApiError("RATE_LIMITED", "No more codes for this sign-in; start again.",
                            reason="MAX_SENDS")
        if row.code_sent_at is not None:
            wait = math.ceil((row.code_sent_at + SEND_SPACING - ctx.now).total_seconds())
            return ApiError("RATE_LIMITED", "Wait before asking for a new code.",
                            retryAfterSeconds=max(wait, 1))
    return challenge_gone()
