"""Patient access codes issued by partners (P4): `issuePatientAccess`, `revokePatientAccess`.

The code is returned once and stored as its keyed hash (L4, S5); a TOTP secret is stored
encrypted with the server key. Revoking ends the access, its sessions and its pending login
challenges at once (L8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import phonenumbers
import pyotp
from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.crypto import new_access_code, normalize_access_code
from models.challenges import LoginChallenge
from models.patients import PatientAccess, PatientAccessStudy, PatientScope, PatientVerification
from models.sessions import Session
from models.studies import Study
from resolvers.errors import bad_input, not_found
from resolvers.fixture_writer import add_months
from resolvers.partner_auth import PATIENT_ACCESS_WRITE, require_scope
from resolvers.partner_input import check_uid

if TYPE_CHECKING:
    from schema.context import Context

MAX_STUDIES = 100
MAX_VALIDITY = timedelta(days=366 * 10)
TOTP_ISSUER = "StudyGate"


@dataclass(frozen=True)
class PatientAccessData:
    """PatientAccessInput as the partner sent it."""

    study_instance_uids: list[str]
    verification: PatientVerification
    scope: PatientScope
    phone_number: str | None = None
    email: str | None = None
    payment_required: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class Issued:
    access: PatientAccess
    access_code: str  # in clear: shown once, never stored
    totp_provisioning_uri: str | None


def _phone(value: str | None) -> str:
    """E.164 only: an SMS gateway needs the country code, and we cannot guess the patient's."""
    text = (value or "").strip()
    try:
        number = phonenumbers.parse(text, None) if 0 < len(text) <= 40 else None
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not text.startswith("+") or not phonenumbers.is_valid_number(number):
        raise bad_input("input.phoneNumber", "an E.164 mobile number such as +32470123456 is "
                        "required for SMS verification")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str | None) -> str:
    text = (value or "").strip()
    if not text or len(text) > 254:
        raise bad_input("input.email", "an e-mail address is required for EMAIL verification")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise bad_input("input.email", f"is not a valid e-mail address: {exc}") from None


async def _studies(ctx: Context, institution_id: int, uids: list[str]) -> list[Study]:
    """The institution's studies in input order; NOT_FOUND names an unknown (or foreign) UID."""
    if not uids or len(uids) > MAX_STUDIES:
        raise bad_input("input.studyInstanceUids", f"give 1 to {MAX_STUDIES} study UIDs")
    wanted = list(dict.fromkeys(
        check_uid(uid, f"input.studyInstanceUids[{i}]") for i, uid in enumerate(uids)))
    found = {s.study_instance_uid: s for s in await Study.filter(
        environment_id=ctx.environment.id, institution_id=institution_id,
        study_instance_uid__in=wanted)}
    for uid in wanted:
        if uid not in found:
            raise not_found(f'No study "{uid}" at your institution.')
    studies = [found[uid] for uid in wanted]
    births = {s.patient_birth_date for s in studies}
    if None in births:
        raise bad_input("input.studyInstanceUids", "a study has no patient birth date: "
                        "upsert it with one first")
    if len(births) > 1:
        raise bad_input("input.studyInstanceUids",
                        "the studies have different patient birth dates: one access is for "
                        "one patient")
    return studies


def _validity(ctx: Context, data: PatientAccessData) -> datetime:
    valid_until = data.valid_until or add_months(ctx.now, 1)
    if valid_until <= ctx.now or valid_until > ctx.now + MAX_VALIDITY:
        raise bad_input("input.validUntil", "must be in the future, at most 10 years ahead")
    if data.valid_from is not None and data.valid_from >= valid_until:
        raise bad_input("input.validFrom", "must be before validUntil")
    return valid_until


async def issue_patient_access(ctx: Context, data: PatientAccessData) -> Issued:
    """A new access code for studies of the client's institution, returned once."""
    client = require_scope(ctx, PATIENT_ACCESS_WRITE)
    institution = client.client.institution
    studies = await _studies(ctx, institution.id, data.study_instance_uids)
    method = data.verification
    # Only the contact detail the verification uses is kept (no needless personal data).
    phone = _phone(data.phone_number) if method == PatientVerification.SMS else None
    email = _email(data.email) if method == PatientVerification.EMAIL else None
    valid_until = _validity(ctx, data)
    if data.payment_required and institution.patient_fee_amount is None:
        raise bad_input("input.paymentRequired", "your institution has no patient fee set")
    secret = pyotp.random_base32(32) if method == PatientVerification.TOTP else None
    for _ in range(3):  # 72 random bits: a clash is all but impossible; retry anyway
        code = new_access_code()
        try:
            async with in_transaction() as conn:
                access = await PatientAccess.create(
                    environment_id=ctx.environment.id, institution_id=institution.id,
                    code_hash=ctx.keyring.token_hash(normalize_access_code(code)),
                    date_of_birth=studies[0].patient_birth_date,
                    patient_name=studies[0].patient_name, verification=method, scope=data.scope,
                    phone_number=phone, email=email,
                    totp_secret_encrypted=ctx.keyring.encrypt(secret) if secret else None,
                    payment_required=bool(data.payment_required), paid=False,
                    valid_from=data.valid_from, valid_until=valid_until, created_at=ctx.now,
                    using_db=conn,
                )
                await PatientAccessStudy.bulk_create(
                    [PatientAccessStudy(patient_access_id=access.id, study_id=s.id)
                     for s in studies], using_db=conn)
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("could not draw a unique access code")
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=access.patient_name, issuer_name=f"{TOTP_ISSUER} {institution.name}",
    ) if secret else None
    return Issued(access, code, uri)


async def revoke_patient_access(ctx: Context, access_id: int) -> bool:
    """Ends the institution's access at once: its sessions and login challenges die with it.

    Another institution's (or environment's) access is NOT_FOUND, like a missing one.
    Revoking a revoked access again is true and changes nothing.
    """
    client = require_scope(ctx, PATIENT_ACCESS_WRITE)
    access = await PatientAccess.filter(
        id=access_id, environment_id=ctx.environment.id,
        institution_id=client.client.institution_id,
    ).first()
    if access is None:
        raise not_found("No such patient access.")
    async with in_transaction() as conn:
        await PatientAccess.filter(id=access.id, revoked_at=None).using_db(conn).update(
            revoked_at=ctx.now)
        await Session.filter(patient_access_id=access.id, ended_at=None).using_db(conn).update(
            ended_at=ctx.now)
        await LoginChallenge.filter(
            patient_access_id=access.id, completed_at=None, expires_at__gt=ctx.now,
        ).using_db(conn).update(expires_at=ctx.now)
    return True
