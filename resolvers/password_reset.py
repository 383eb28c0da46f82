"""Password reset by e-mail (L10): a single-use link valid 1 hour; a reset signs out everywhere."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from auth.crypto import hash_password_async
from auth.sessions import end_user_sessions
from models.challenges import EmailToken, EmailTokenPurpose
from models.users import AccountStatus, User
from resolvers.account_mail import reset_mail, send_later
from resolvers.email_tokens import (
    INVALID_LINK, RESET_PASSWORD_VALIDITY, issue_token, usable_token, use_up,
)
from resolvers.errors import bad_input
from resolvers.login import username_key
from resolvers.registration_input import check_password

if TYPE_CHECKING:
    from schema.context import Context

# A verified address only: an unverified registration gets its link by registering again, and a
# disabled account is the service desk's to re-enable.
RESETTABLE = (AccountStatus.ACTIVE, AccountStatus.PENDING_APPROVAL)
# At most 5 reset e-mails per username an hour, so the endpoint cannot flood a mailbox.
MAILS_PER_USERNAME, MAIL_WINDOW = 5, timedelta(hours=1)


async def _mail_allowed(ctx: Context, key: str) -> bool:
    """Counts the request for the username, known or not, so both cost the same work."""
    throttle_key = f"reset:{ctx.environment.id}:{key}"
    if await ctx.throttle.locked_for(throttle_key, ctx.now):
        return False
    if await ctx.throttle.add_failure(throttle_key, ctx.now, MAIL_WINDOW) >= MAILS_PER_USERNAME:
        await ctx.throttle.lock(throttle_key, ctx.now, MAIL_WINDOW)
    return True


async def request_password_reset(ctx: Context, username: str) -> bool:
    """Always true. E-mails a reset link when an ACTIVE or PENDING_APPROVAL account of this
    environment has that username; the mail goes out after the response, so neither the
    response time nor a delivery failure tells whether the account exists."""
    key = username.strip().casefold()
    if not key or len(key) > 254:
        return True
    user = await User.filter(environment_id=ctx.environment.id, username_key=key).first()
    if not await _mail_allowed(ctx, key) or user is None or user.status not in RESETTABLE:
        return True
    token = await issue_token(ctx, user, EmailTokenPurpose.RESET_PASSWORD, RESET_PASSWORD_VALIDITY)
    minutes = int(RESET_PASSWORD_VALIDITY.total_seconds() // 60)
    send_later(ctx, user.email or user.username, *reset_mail(ctx, user, token, minutes))
    return True


async def reset_password(ctx: Context, token: str, new_password: str) -> bool:
    """Sets the new password (L9 policy), uses the link up, ends every session of the account
    and lifts its L3 lockout. A bad link is BAD_USER_INPUT `token`; a refused password is
    BAD_USER_INPUT `newPassword`, and leaves the link usable."""
    row = await usable_token(ctx, token, EmailTokenPurpose.RESET_PASSWORD)
    user: User = row.user
    if user.status not in RESETTABLE:
        raise bad_input("token", INVALID_LINK)
    check_password(new_password, user.username, "newPassword")
    password_hash = await hash_password_async(new_password)
    async with in_transaction() as conn:
        await use_up(ctx, row, using_db=conn)
        # Every other reset link of the account dies with this one.
        await EmailToken.filter(
            user_id=user.id, purpose=EmailTokenPurpose.RESET_PASSWORD, used_at=None
        ).using_db(conn).update(used_at=ctx.now)
        await User.filter(id=user.id).using_db(conn).update(password_hash=password_hash)
        await end_user_sessions(user.id, ctx.now)  # in the transaction (Tortoise routes by context)
    await ctx.throttle.clear(username_key(user.username_key))
    return True
