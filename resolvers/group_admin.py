"""My Groups (G6) under the group invariants (G7); every change is recorded in GroupChange.

Each change runs in one transaction that first locks the group's row (`SELECT ... FOR UPDATE`
on PostgreSQL; SQLite runs one transaction at a time), then reads the memberships afresh and
checks the invariants on the result. So all changes to one group serialise, and two
concurrent requests can never together leave a group that breaks G7.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from models.groups import Group, GroupChange, GroupMembership
from models.users import AccountRole, AccountStatus, User
from resolvers.errors import ApiError, bad_input, forbidden, not_found
from resolvers.groups import GroupRows, require_practitioner, with_members

if TYPE_CHECKING:
    from schema.context import Context

MAX_NAME = 200


@dataclass
class LockedGroup:
    """A group locked for this transaction, its memberships, and the acting member's own."""

    group: Group
    memberships: list[GroupMembership]
    mine: GroupMembership

    def member(self, user_id: int) -> GroupMembership:
        found = next((m for m in self.memberships if m.user_id == user_id), None)
        if found is None:
            raise not_found("No such member in this group.")
        return found


def conflict(message: str) -> ApiError:
    return ApiError("CONFLICT", message)


def check_invariants(primary_id: int, admins: dict[int, bool]) -> None:
    """G7 on a proposed composition (`admins`: member id -> is administrator); CONFLICT if broken.

    The primary contact being an administrator member also gives "at least one administrator".
    """
    if primary_id not in admins:
        raise conflict("The primary contact cannot leave or be removed; "
                       "make another member the primary contact first.")
    if not admins[primary_id]:
        raise conflict("The primary contact must stay an administrator; "
                       "make another member the primary contact first.")


def _composition(locked: LockedGroup) -> dict[int, bool]:
    return {m.user_id: m.is_administrator for m in locked.memberships}


async def _record(ctx: Context, group: Group, action: str, subject_id: int | None,
                  details: str | None = None) -> None:
    actor = require_practitioner(ctx).user.id
    await GroupChange.create(group_id=group.id, actor_id=actor, action=action,
                             subject_id=subject_id, at=ctx.now, details=details)


@asynccontextmanager
async def _locked(ctx: Context, group_id: int, administrators_only: bool = True
                  ) -> AsyncIterator[LockedGroup]:
    """The group locked in a transaction; NOT_FOUND unless the viewer is a member, FORBIDDEN
    unless an administrator (when asked). An error inside rolls everything back."""
    viewer = require_practitioner(ctx)
    async with in_transaction():
        group = await Group.select_for_update().filter(
            id=group_id, environment_id=ctx.environment.id
        ).first()
        memberships = await GroupMembership.filter(group_id=group_id) if group else []
        mine = next((m for m in memberships if m.user_id == viewer.user.id), None)
        if group is None or mine is None:
            raise not_found("No such group.")
        if administrators_only and not mine.is_administrator:
            raise forbidden("Only the group's administrators may do this.")
        yield LockedGroup(group, memberships, mine)


async def _fresh(group: Group) -> GroupRows:
    return (await with_members([group]))[0]


async def create_group(ctx: Context, name: str) -> GroupRows:
    """G6: the creator is the first member, an administrator and the primary contact."""
    viewer = require_practitioner(ctx)
    if viewer.is_service_desk:
        raise forbidden("Only practitioners create groups.")
    clean = " ".join(name.split())  # one line: the name goes into e-mail subjects (G5)
    if not 1 <= len(clean) <= MAX_NAME:
        raise bad_input("name", f"1 to {MAX_NAME} characters")
    async with in_transaction():
        group = await Group.create(environment_id=ctx.environment.id, name=clean,
                                   primary_contact_id=viewer.user.id)
        await GroupMembership.create(group_id=group.id, user_id=viewer.user.id,
                                     is_administrator=True, confirmed_at=ctx.now)
        await _record(ctx, group, "GROUP_CREATED", viewer.user.id, clean)
    return await _fresh(group)


async def add_member(ctx: Context, group_id: int, username: str) -> GroupRows:
    """G6: an ACTIVE practitioner of this environment, by username (any case), joins confirmed now."""
    key = username.strip().casefold()
    if not 1 <= len(key) <= 254:
        raise bad_input("username", "1 to 254 characters")
    async with _locked(ctx, group_id) as locked:
        user = await User.filter(
            environment_id=ctx.environment.id, username_key=key,
            role=AccountRole.PRACTITIONER, status=AccountStatus.ACTIVE,
        ).first()
        if user is None:
            # Unknown, not active, service desk or another environment: one answer for all.
            raise ApiError("NOT_FOUND", "No active practitioner has this username.",
                           argument="username")
        if user.id in _composition(locked):
            raise conflict("This practitioner is already a member of the group.")
        await GroupMembership.create(group_id=group_id, user_id=user.id, is_administrator=False,
                                     confirmed_at=ctx.now)
        await _record(ctx, locked.group, "MEMBER_ADDED", user.id)
    return await _fresh(locked.group)


async def remove_member(ctx: Context, group_id: int, user_id: int) -> GroupRows:
    """G6: an administrator removes a member; never the primary contact (G7)."""
    async with _locked(ctx, group_id) as locked:
        target = locked.member(user_id)
        proposed = _composition(locked)
        del proposed[user_id]
        check_invariants(locked.group.primary_contact_id, proposed)
        await target.delete()
        await _record(ctx, locked.group, "MEMBER_REMOVED", user_id)
    return await _fresh(locked.group)


async def set_administrator(ctx: Context, group_id: int, user_id: int,
                            is_administrator: bool) -> GroupRows:
    """G6: grant or revoke administrator rights; not one's own, not the primary contact's (G7)."""
    async with _locked(ctx, group_id) as locked:
        target = locked.member(user_id)
        if target.user_id == locked.mine.user_id:
            raise conflict("You cannot change your own administrator rights.")
        if target.is_administrator != is_administrator:
            proposed = _composition(locked)
            proposed[user_id] = is_administrator
            check_invariants(locked.group.primary_contact_id, proposed)
            target.is_administrator = is_administrator
            await target.save(update_fields=["is_administrator"])
            action = "ADMINISTRATOR_GRANTED" if is_administrator else "ADMINISTRATOR_REVOKED"
            await _record(ctx, locked.group, action, user_id)
    return await _fresh(locked.group)


async def set_primary_contact(ctx: Context, group_id: int, user_id: int) -> GroupRows:
    """G6: any member becomes the primary contact, and an administrator if he was not (G7)."""
    async with _locked(ctx, group_id) as locked:
        target = locked.member(user_id)
        group = locked.group
        if group.primary_contact_id != user_id:
            if not target.is_administrator:
                target.is_administrator = True
                await target.save(update_fields=["is_administrator"])
                await _record(ctx, group, "ADMINISTRATOR_GRANTED", user_id)
            previous = group.primary_contact_id
            group.primary_contact_id = user_id
            await group.save(update_fields=["primary_contact_id"])
            await _record(ctx, group, "PRIMARY_CONTACT_SET", user_id,
                          f"previous primary contact: user {previous}")
    return await _fresh(locked.group)


async def leave_group(ctx: Context, group_id: int) -> bool:
    """G6: a member leaves; the primary contact (so also the last administrator) cannot (G7)."""
    async with _locked(ctx, group_id, administrators_only=False) as locked:
        proposed = _composition(locked)
        del proposed[locked.mine.user_id]
        check_invariants(locked.group.primary_contact_id, proposed)
        await locked.mine.delete()
        await _record(ctx, locked.group, "MEMBER_LEFT", locked.mine.user_id)
    return True
