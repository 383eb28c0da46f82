"""Account administration by the service desk (L2, L8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.sessions import end_user_sessions
from auth.viewer import UserViewer
from models.users import AccountStatus, User
from resolvers.errors import ApiError, forbidden, not_found, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context


def require_service_desk(ctx: Context) -> UserViewer:
    viewer = ctx.viewer
    if not isinstance(viewer, UserViewer):
        raise unauthenticated()
    if not viewer.is_service_desk:
        raise forbidden("Only the service desk may do this.")
    return viewer


async def _account(ctx: Context, user_id: int) -> User:
    user = await User.filter(id=user_id, environment_id=ctx.environment.id).first()
    if user is None:
        raise not_found("No such user.")
    return user


async def disable_user(ctx: Context, user_id: int) -> User:
    """DISABLED, and every session of the account ends at once (L2, L8)."""
    desk = require_service_desk(ctx)
    user = await _account(ctx, user_id)
    if user.id == desk.user.id:
        raise ApiError("CONFLICT", "You cannot disable your own account.")
    user.status = AccountStatus.DISABLED
    await user.save(update_fields=["status"])
    await end_user_sessions(user.id, ctx.now)
    return user


async def enable_user(ctx: Context, user_id: int) -> User:
    require_service_desk(ctx)
    user = await _account(ctx, user_id)
    if user.status != AccountStatus.DISABLED:
        raise ApiError("CONFLICT", "Only a disabled account can be enabled.")
    user.status = AccountStatus.ACTIVE
    await user.save(update_fields=["status"])
    return user
