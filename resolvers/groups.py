"""Group practices: the read side, confirmation every 3 months (G2, G3) and its standing (G4).

Changes to a group's composition are in resolvers/group_admin.py (G6, G7), composition
reports in resolvers/group_reports.py (G5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from auth import standing
from auth.viewer import Anonymous, UserViewer
from models.groups import Group, GroupMembership
from resolvers.errors import bad_input, forbidden, not_found, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context

MAX_GROUP_IDS = 100

# A group with all its memberships, users loaded.
GroupRows = tuple[Group, list[GroupMembership]]


@dataclass
class PendingConfirmation:
    """G2: when the earliest due membership fell due, and every group of the viewer."""

    due_since: datetime
    groups: list[GroupRows]


def require_practitioner(ctx: Context) -> UserViewer:
    """The signed-in account; UNAUTHENTICATED when anonymous, FORBIDDEN for patients and API clients."""
    if isinstance(ctx.viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(ctx.viewer, UserViewer):
        raise forbidden("Groups are for practitioners' accounts.")
    return ctx.viewer


def in_display_order(group: Group, memberships: list[GroupMembership]) -> list[GroupMembership]:
    """Primary contact first, then administrators, then the rest; by display name within each (G2)."""

    def rank(m: GroupMembership) -> tuple[int, str, int]:
        first = 0 if m.user_id == group.primary_contact_id else 1 if m.is_administrator else 2
        return first, m.user.display_name.casefold(), m.user_id

    return sorted(memberships, key=rank)


async def with_members(groups: list[Group]) -> list[GroupRows]:
    """Each group with its memberships and their users, in one query."""
    rows = await GroupMembership.filter(group_id__in=[g.id for g in groups]).select_related("user")
    by_group: dict[int, list[GroupMembership]] = {g.id: [] for g in groups}
    for row in rows:
        by_group[row.group_id].append(row)
    return [(g, by_group[g.id]) for g in groups]


async def my_groups(ctx: Context) -> list[GroupRows]:
    """The viewer's groups by name, each with all its memberships (two queries)."""
    viewer = require_practitioner(ctx)
    groups = await Group.filter(
        environment_id=ctx.environment.id, memberships__user_id=viewer.user.id
    ).order_by("name", "id")
    return await with_members(groups)


async def find_group(ctx: Context, group_id: int) -> Group | None:
    """A group the viewer is a member of; others do not exist for him (A5)."""
    if isinstance(ctx.viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(ctx.viewer, UserViewer):
        return None
    return await Group.filter(
        id=group_id, environment_id=ctx.environment.id, memberships__user_id=ctx.viewer.user.id
    ).first()


async def pending_confirmation(ctx: Context) -> PendingConfirmation | None:
    """G2: null unless one of the viewer's memberships was confirmed 3 calendar months ago or more."""
    viewer = require_practitioner(ctx)
    oldest = await GroupMembership.filter(
        user_id=viewer.user.id, group__environment_id=ctx.environment.id
    ).order_by("confirmed_at").only("confirmed_at").first()
    # due_at is monotone in confirmed_at: the oldest confirmation falls due first.
    if oldest is None or not standing.is_due(oldest.confirmed_at, ctx.now):
        return None
    return PendingConfirmation(standing.due_at(oldest.confirmed_at), await my_groups(ctx))


async def confirm_memberships(ctx: Context, group_ids: list[int]) -> PendingConfirmation | None:
    """G3: confirms the viewer's memberships of these groups now; returns what is still due.

    All or nothing: an id that is not one of the viewer's groups is NOT_FOUND, and then
    nothing is confirmed.
    """
    viewer = require_practitioner(ctx)
    wanted = set(group_ids)
    if len(wanted) > MAX_GROUP_IDS:
        raise bad_input("groupIds", f"at most {MAX_GROUP_IDS} groups")
    mine = await GroupMembership.filter(
        user_id=viewer.user.id, group_id__in=wanted, group__environment_id=ctx.environment.id
    ).only("id", "group_id")
    if {m.group_id for m in mine} != wanted:
        raise not_found("No such group.")
    if mine:
        await GroupMembership.filter(id__in=[m.id for m in mine]).update(confirmed_at=ctx.now)
    return await pending_confirmation(ctx)
