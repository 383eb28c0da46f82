"""Practitioner authenticators (L12): enrol up to 5 TOTP secrets, confirm with a first code, remove.

Secrets are at least 160 bits and stored only encrypted with the server key (S5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from auth.crypto import new_token
from auth.one_time_codes import (
    clean_code,
    matching_totp_step,
    new_totp_secret,
    provisioning_uri,
)
from auth.viewer import Anonymous, UserViewer
from models.challenges import PendingTotpEnrollment
from models.users import AccountRole, Authenticator, User
from resolvers.errors import ApiError, bad_input, forbidden, not_found, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context

ENROLLMENT_LIFETIME = timedelta(minutes=15)
MAX_AUTHENTICATORS = 5
MAX_LABEL = 100


@dataclass
class StartedEnrollment:
    enrollment_id: str
    secret: str
    provisioning_uri: str


def require_practitioner(ctx: Context) -> User:
    """The signed-in practitioner; UNAUTHENTICATED for nobody, FORBIDDEN for anyone else."""
    viewer = ctx.viewer
    if isinstance(viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(viewer, UserViewer) or viewer.user.role != AccountRole.PRACTITIONER:
        raise forbidden("Only practitioners enrol authenticators.")
    return viewer.user


async def authenticators(user: User) -> list[Authenticator]:
    return await Authenticator.filter(user_id=user.id).order_by("created_at", "id")


async def start_enrollment(ctx: Context) -> StartedEnrollment:
    """A new secret for the viewer's authenticator app, pending until confirmed (15 minutes)."""
    user = require_practitioner(ctx)
    secret = new_totp_secret()
    pending = await PendingTotpEnrollment.create(
        public_id=new_token(nbytes=24), user=user, secret_encrypted=ctx.keyring.encrypt(secret),
        created_at=ctx.now, expires_at=ctx.now + ENROLLMENT_LIFETIME,
    )
    return StartedEnrollment(pending.public_id, secret, provisioning_uri(secret, user.username))


async def confirm_enrollment(
    ctx: Context, enrollment_id: str, code: str, label: str
) -> list[Authenticator]:
    """The first valid code turns the pending secret into an authenticator (at most 5: CONFLICT)."""
    user = require_practitioner(ctx)
    label = label.strip()
    if not label or len(label) > MAX_LABEL:
        raise bad_input("label", f"between 1 and {MAX_LABEL} characters")
    pending = await PendingTotpEnrollment.filter(
        public_id=enrollment_id[:64], user_id=user.id, expires_at__gt=ctx.now
    ).first()
    if pending is None:
        raise not_found("No such enrollment; start again.")
    secret = ctx.keyring.decrypt(pending.secret_encrypted)
    cleaned = clean_code(code)
    step = matching_totp_step(secret, cleaned, ctx.now, None) if secret and cleaned else None
    if step is None:
        raise bad_input("code", "not the current code of this authenticator")
    async with in_transaction() as conn:
        # One enrolment at a time per account keeps the limit of 5 under concurrency.
        await User.filter(id=user.id).using_db(conn).select_for_update().first()
        if await Authenticator.filter(user_id=user.id).using_db(conn).count() >= MAX_AUTHENTICATORS:
            raise ApiError("CONFLICT", f"At most {MAX_AUTHENTICATORS} authenticators; remove one first.")
        if not await PendingTotpEnrollment.filter(id=pending.id).using_db(conn).delete():
            raise not_found("No such enrollment; start again.")
        await Authenticator.create(
            user=user, label=label, secret_encrypted=pending.secret_encrypted,
            last_used_step=step, created_at=ctx.now, using_db=conn,
        )
    return await authenticators(user)


async def remove_authenticator(ctx: Context, authenticator_id: int) -> list[Authenticator]:
    """The viewer's own authenticator only; NOT_FOUND for anyone else's."""
    user = require_practitioner(ctx)
    if not await Authenticator.filter(id=authenticator_id, user_id=user.id).delete():
        raise not_found("No such authenticator.")
    return await authenticators(user)
