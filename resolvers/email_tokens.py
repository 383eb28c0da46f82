"""Single-use tokens sent by e-mail (L9 verification, L10 reset); only their keyed hash is kept."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from auth.crypto import new_token
from models.challenges import EmailToken, EmailTokenPurpose
from models.users import User
from resolvers.errors import bad_input

if TYPE_CHECKING:
    from schema.context import Context

VERIFY_EMAIL_VALIDITY = timedelta(hours=24)
RESET_PASSWORD_VALIDITY = timedelta(hours=1)
# One message for unknown, used, expired and foreign tokens: none of them tells more.
INVALID_LINK = "this link is not valid: it was used already, has expired, or is wrong"


async def issue_token(ctx: Context, user: User, purpose: EmailTokenPurpose, valid_for: timedelta,
                      using_db: BaseDBAsyncClient | None = None) -> str:
    """A new random 256-bit token for `user`; returns the clear token (for the e-mail only)."""
    token = new_token(nbytes=32)
    await EmailToken.create(
        token_hash=ctx.keyring.token_hash(token), user=user, purpose=purpose,
        created_at=ctx.now, expires_at=ctx.now + valid_for, using_db=using_db,
    )
    return token


async def usable_token(ctx: Context, token: str, purpose: EmailTokenPurpose,
                       argument: str = "token") -> EmailToken:
    """The unused, unexpired token of this purpose for an account of this environment, with its
    user loaded; BAD_USER_INPUT naming `argument` otherwise. Does not use it up."""
    if not token or len(token) > 200:
        raise bad_input(argument, INVALID_LINK)
    row = await EmailToken.filter(
        token_hash=ctx.keyring.token_hash(token.strip()), purpose=purpose,
        user__environment_id=ctx.environment.id,
    ).select_related("user").first()
    if row is None or row.used_at is not None or row.expires_at <= ctx.now:
        raise bad_input(argument, INVALID_LINK)
    return row


async def use_up(ctx: Context, row: EmailToken, using_db: BaseDBAsyncClient | None = None,
                 argument: str = "token") -> None:
    """Marks the token used; a concurrent request that used it first makes this one fail."""
    unused = EmailToken.filter(id=row.id, used_at=None).using_db(using_db)
    marked = await unused.update(used_at=ctx.now)
    if not marked:
        raise bad_input(argument, INVALID_LINK)
