"""Practitioner registration (L9): register, then verify the e-mail address; the service desk
approves (resolvers.accounts.approve_registration)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.crypto import hash_password_async
from models.challenges import EmailToken, EmailTokenPurpose
from models.users import AccountRole, AccountStatus, User
from resolvers.account_mail import send_later, verification_mail
from resolvers.email_tokens import (
    INVALID_LINK, VERIFY_EMAIL_VALIDITY, issue_token, usable_token, use_up,
)
from resolvers.errors import ApiError, bad_input
from resolvers.login import count_failure
from resolvers.outbound import DeliveryError
from resolvers.registration_input import CheckedRegistration, RegistrationForm, check_registration

if TYPE_CHECKING:
    from schema.context import Context

# Each registration sends an e-mail: one client address gets at most 10 an hour.
REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW = 10, timedelta(hours=1)
USERNAME_TAKEN = "This username is already taken; sign in, or reset your password."


def _conflict() -> ApiError:
    return ApiError("CONFLICT", USERNAME_TAKEN, argument="input.username")


async def _replaceable(ctx: Context, existing: User) -> bool:
    """An unverified registration whose link has expired does not hold its username."""
    if existing.status != AccountStatus.PENDING_EMAIL_VERIFICATION:
        return False
    live_link = EmailToken.filter(
        user_id=existing.id, purpose=EmailTokenPurpose.VERIFY_EMAIL, used_at=None,
        expires_at__gt=ctx.now,
    )
    return not await live_link.exists()


async def _rate_limit(ctx: Context) -> str | None:
    key = f"register:{ctx.environment.id}:{ctx.client_ip}" if ctx.client_ip else None
    wait = await ctx.throttle.locked_for(key, ctx.now) if key else 0
    if wait:
        raise ApiError("RATE_LIMITED", "Too many registrations from this address; try again later.",
                       retryAfterSeconds=wait)
    return key


async def _save(ctx: Context, form: CheckedRegistration, password_hash: str, existing: User | None,
                conn: BaseDBAsyncClient) -> User:
    values = dict(
        username=form.username, username_key=form.username_key, email=form.username,
        password_hash=password_hash, display_name=form.display_name, profession=form.profession,
        role=AccountRole.PRACTITIONER, status=AccountStatus.PENDING_EMAIL_VERIFICATION,
        phone_number=form.phone_number, practitioner_number=form.practitioner_number,
    )
    if existing is None:
        return await User.create(environment_id=ctx.environment.id, using_db=conn, **values)
    # Only while still unverified: a verification that won the race keeps the account.
    if not await User.filter(
        id=existing.id, status=AccountStatus.PENDING_EMAIL_VERIFICATION
    ).using_db(conn).update(**values):
        raise _conflict()
    await existing.refresh_from_db(using_db=conn)
    return existing


async def register(ctx: Context, form: RegistrationForm) -> User:
    """A PENDING_EMAIL_VERIFICATION practitioner account in the served environment, and the
    verification e-mail sent. BAD_USER_INPUT naming the field, CONFLICT for a taken username;
    nothing is kept when the e-mail cannot be sent."""
    checked = check_registration(form, ctx.environment.country)
    existing = await User.filter(
        environment_id=ctx.environment.id, username_key=checked.username_key
    ).first()
    if existing is not None and not await _replaceable(ctx, existing):
        raise _conflict()
    limit_key = await _rate_limit(ctx)
    password_hash = await hash_password_async(checked.password)
    try:
        async with in_transaction() as conn:
            user = await _save(ctx, checked, password_hash, existing, conn)
            token = await issue_token(ctx, user, EmailTokenPurpose.VERIFY_EMAIL,
                                      VERIFY_EMAIL_VALIDITY, using_db=conn)
    except IntegrityError:
        raise _conflict() from None  # a concurrent registration took the username
    hours = int(VERIFY_EMAIL_VALIDITY.total_seconds() // 3600)
    try:
        subject, body = verification_mail(ctx, user, token, hours)
        await ctx.outbound.mail.send(user.email or user.username, subject, body)
    except DeliveryError as exc:
        await _undo(ctx, user, token, created=existing is None)
        raise ApiError(
            "INTERNAL", "The verification e-mail could not be sent; try again later."
        ) from exc
    await count_failure(ctx, limit_key, REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW)
    return user


async def _undo(ctx: Context, user: User, token: str, created: bool) -> None:
    """The e-mail did not go out: a link nobody received must not hold the username."""
    async with in_transaction() as conn:
        await EmailToken.filter(token_hash=ctx.keyring.token_hash(token)).using_db(conn).delete()
        if created:
            await User.filter(id=user.id).using_db(conn).delete()


async def verify_email(ctx: Context, token: str) -> User:
    """PENDING_EMAIL_VERIFICATION to PENDING_APPROVAL; the link works once, for 24 hours.
    An unknown, used, expired or foreign link is BAD_USER_INPUT (argument `token`)."""
    row = await usable_token(ctx, token, EmailTokenPurpose.VERIFY_EMAIL)
    user: User = row.user
    if user.status != AccountStatus.PENDING_EMAIL_VERIFICATION:
        raise bad_input("token", INVALID_LINK)
    async with in_transaction() as conn:
        await use_up(ctx, row, using_db=conn)
        await User.filter(id=user.id).using_db(conn).update(status=AccountStatus.PENDING_APPROVAL)
    user.status = AccountStatus.PENDING_APPROVAL
    send_later(ctx, ctx.settings.service_desk_email, "A StudyGate registration awaits approval",
               f"{user.display_name} <{user.username}> ({ctx.environment.code}) has confirmed "
               "the e-mail address and awaits approval.\n")
    return user
