"""Looking up accounts and institutions for `node` (A5, A6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.expressions import Subquery

from auth.viewer import UserViewer
from models.groups import GroupMembership
from models.institutions import Institution
from models.users import User
from resolvers.errors import not_found

if TYPE_CHECKING:
    from schema.context import Context


async def find_user(ctx: Context, user_id: int) -> User:
    """Yourself, a fellow group member, or anyone for the service desk; else NOT_FOUND."""
    viewer = ctx.viewer
    if isinstance(viewer, UserViewer):
        user = await User.filter(id=user_id, environment_id=ctx.environment.id).first()
        if user is not None and (
            viewer.is_service_desk
            or user.id == viewer.user.id
            or await GroupMembership.filter(
                user_id=user.id,
                group_id__in=Subquery(
                    GroupMembership.filter(user_id=viewer.user.id).values("group_id")
                ),
            ).exists()
        ):
            return user
    raise not_found("No such user.")


async def find_institution(ctx: Context, institution_id: int) -> Institution:
    inst = await Institution.filter(id=institution_id, environment_id=ctx.environment.id).first()
    if inst is None:
        raise not_found("No such institution.")
    return inst
