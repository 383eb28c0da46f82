"""Group practices (G1-G7) as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.viewer import UserViewer
from models.groups import Group as GroupModel
from models.groups import GroupMembership
from resolvers.groups import in_display_order
from schema.context import Info
from schema.ids import to_global_id
from schema.types.common import Node
from schema.types.people import UserSummary


@strawberry.type
class GroupMember:
    user: UserSummary
    is_administrator: bool
    is_primary_contact: bool


def ordered_members(group: GroupModel, memberships: list[GroupMembership]) -> list[GroupMember]:
    """Primary contact first, then administrators, then the rest; by display name within each (G2)."""
    return [
        GroupMember(
            user=UserSummary.from_model(m.user),
            is_administrator=m.is_administrator,
            is_primary_contact=m.user_id == group.primary_contact_id,
        )
        for m in in_display_order(group, memberships)
    ]


@strawberry.type(name="Group")
class Group(Node):
    id: strawberry.ID
    name: str
    model: strawberry.Private[GroupModel]

    @staticmethod
    def from_model(group: GroupModel) -> "Group":
        return Group(id=strawberry.ID(to_global_id("Group", group.id)), name=group.name, model=group)

    async def _memberships(self, info: Info) -> list[GroupMembership]:
        return await info.context.loaders.group_memberships.load(self.model.id)

    def _viewer_membership(self, info: Info, rows: list[GroupMembership]) -> GroupMembership | None:
        viewer = info.context.viewer
        if not isinstance(viewer, UserViewer):
            return None
        return next((m for m in rows if m.user_id == viewer.user.id), None)

    @strawberry.field(description="Primary contact first, then administrators, then the rest (G2).")
    async def members(self, info: Info) -> list[GroupMember]:
        return ordered_members(self.model, await self._memberships(info))

    @strawberry.field
    async def primary_contact(self, info: Info) -> GroupMember:
        return ordered_members(self.model, await self._memberships(info))[0]

    @strawberry.field
    async def viewer_is_administrator(self, info: Info) -> bool:
        mine = self._viewer_membership(info, await self._memberships(info))
        return bool(mine and mine.is_administrator)

    @strawberry.field
    async def viewer_confirmed_at(self, info: Info) -> datetime | None:
        mine = self._viewer_membership(info, await self._memberships(info))
        return mine.confirmed_at if mine else None


@strawberry.type
class GroupConfirmation:
    due_since: datetime
    groups: list[Group]
