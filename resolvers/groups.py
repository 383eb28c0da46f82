"""Group practices (G1-G7): the read side; memberships come with their users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.viewer import UserViewer
from models.groups import Group, GroupMembership
from resolvers.errors import unauthenticated

if TYPE_CHECKING:
    from schema.context import Context


def require_practitioner(ctx: Context) -> UserViewer:
    if not isinstance(ctx.viewer, UserViewer):
        raise unauthenticated()
    return ctx.viewer


async def my_groups(ctx: Context) -> list[tuple[Group, list[GroupMembership]]]:
    """The viewer's groups by name, each with all its memberships (two queries)."""
    viewer = require_practitioner(ctx)
    groups = await Group.filter(
        environment_id=ctx.environment.id, memberships__user_id=viewer.user.id
    ).order_by("name", "id")
    rows = await GroupMembership.filter(group_id__in=[g.id for g in groups]).select_related("user")
    by_group: dict[int, list[GroupMembership]] = {g.id: [] for g in groups}
    for row in rows:
        by_group[row.group_id].append(row)
    return [(g, by_group[g.id]) for g in groups]


async def find_group(ctx: Context, group_id: int) -> Group | None:
    """A group the viewer is a member of; others do not exist for him (A5)."""
    viewer = require_practitioner(ctx)
    return await Group.filter(
        id=group_id, environment_id=ctx.environment.id, memberships__user_id=viewer.user.id
    ).first()
