"""Group practices (G1-G7): the Query and Mutation fields; the use cases are in resolvers/."""

from __future__ import annotations

import strawberry

from resolvers import group_admin, group_reports, groups
from schema.context import Info
from schema.ids import pk_of
from schema.types.groups import Group, GroupConfirmation


def _group(info: Info, rows: groups.GroupRows) -> Group:
    """The Strawberry Group, its memberships handed to the loader (fresh after a change)."""
    group, memberships = rows
    info.context.loaders.group_memberships.prime(group.id, memberships, force=True)
    return Group.from_model(group)


def _confirmation(info: Info, pending: groups.PendingConfirmation | None) -> GroupConfirmation | None:
    if pending is None:
        return None
    return GroupConfirmation(
        due_since=pending.due_since, groups=[_group(info, rows) for rows in pending.groups]
    )


@strawberry.type
class GroupQueries:
    @strawberry.field(description="The viewer's groups (G6).")
    async def my_groups(self, info: Info) -> list[Group]:
        return [_group(info, rows) for rows in await groups.my_groups(info.context)]

    @strawberry.field(description="Null when nothing is due; else every group of the viewer (G2).")
    async def pending_group_confirmation(self, info: Info) -> GroupConfirmation | None:
        return _confirmation(info, await groups.pending_confirmation(info.context))


@strawberry.type
class GroupMutations:
    @strawberry.mutation(description="Confirms the viewer's memberships of these groups (G3).")
    async def confirm_group_memberships(
        self, info: Info, group_ids: list[strawberry.ID]
    ) -> GroupConfirmation | None:
        ids = [pk_of(g, "Group", "groupIds") for g in group_ids]
        return _confirmation(info, await groups.confirm_memberships(info.context, ids))

    @strawberry.mutation(description="E-mails the administrators and the service desk (G5).")
    async def report_group_composition_issue(
        self, info: Info, group_id: strawberry.ID, message: str
    ) -> int:
        pk = pk_of(group_id, "Group", "groupId")
        return await group_reports.report_composition_issue(info.context, pk, message)

    @strawberry.mutation(description="The creator is member, administrator, primary contact (G6).")
    async def create_group(self, info: Info, name: str) -> Group:
        return _group(info, await group_admin.create_group(info.context, name))

    @strawberry.mutation(description="Administrators add an ACTIVE practitioner (G6).")
    async def add_group_member(self, info: Info, group_id: strawberry.ID, username: str) -> Group:
        pk = pk_of(group_id, "Group", "groupId")
        return _group(info, await group_admin.add_member(info.context, pk, username))

    @strawberry.mutation(description="Administrators remove a member, not the primary contact (G7).")
    async def remove_group_member(
        self, info: Info, group_id: strawberry.ID, user_id: strawberry.ID
    ) -> Group:
        pk, user = pk_of(group_id, "Group", "groupId"), pk_of(user_id, "User", "userId")
        return _group(info, await group_admin.remove_member(info.context, pk, user))

    @strawberry.mutation(description="Grant or revoke administrator rights of another member (G7).")
    async def set_group_administrator(
        self, info: Info, group_id: strawberry.ID, user_id: strawberry.ID, is_administrator: bool
    ) -> Group:
        pk, user = pk_of(group_id, "Group", "groupId"), pk_of(user_id, "User", "userId")
        rows = await group_admin.set_administrator(info.context, pk, user, is_administrator)
        return _group(info, rows)

    @strawberry.mutation(description="A member becomes primary contact and administrator (G7).")
    async def set_group_primary_contact(
        self, info: Info, group_id: strawberry.ID, user_id: strawberry.ID
    ) -> Group:
        pk, user = pk_of(group_id, "Group", "groupId"), pk_of(user_id, "User", "userId")
        return _group(info, await group_admin.set_primary_contact(info.context, pk, user))

    @strawberry.mutation(description="The viewer leaves; not the primary contact (G7).")
    async def leave_group(self, info: Info, group_id: strawberry.ID) -> bool:
        return await group_admin.leave_group(info.context, pk_of(group_id, "Group", "groupId"))
