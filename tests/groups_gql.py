"""GraphQL documents and helpers shared by the group tests (G1-G7)."""

from __future__ import annotations

from models.groups import Group, GroupMembership
from schema.ids import to_global_id
from tests import factories as f

GROUP_FIELDS = """
  id name viewerIsAdministrator viewerConfirmedAt
  primaryContact { user { displayName } }
  members { user { id displayName } isAdministrator isPrimaryContact }
"""
MY_GROUPS = "{ myGroups { %s } }" % GROUP_FIELDS
PENDING = "{ pendingGroupConfirmation { dueSince groups { %s } } }" % GROUP_FIELDS
CONFIRM = """mutation($ids: [ID!]!) {
  confirmGroupMemberships(groupIds: $ids) { dueSince groups { id name } } }"""
REPORT = """mutation($g: ID!, $m: String!) { reportGroupCompositionIssue(groupId: $g, message: $m) }"""
CREATE = "mutation($name: String!) { createGroup(name: $name) { %s } }" % GROUP_FIELDS
ADD = "mutation($g: ID!, $u: String!) { addGroupMember(groupId: $g, username: $u) { %s } }" % (
    GROUP_FIELDS)
REMOVE = "mutation($g: ID!, $u: ID!) { removeGroupMember(groupId: $g, userId: $u) { %s } }" % (
    GROUP_FIELDS)
SET_ADMIN = """mutation($g: ID!, $u: ID!, $a: Boolean!) {
  setGroupAdministrator(groupId: $g, userId: $u, isAdministrator: $a) { %s } }""" % GROUP_FIELDS
SET_PRIMARY = """mutation($g: ID!, $u: ID!) {
  setGroupPrimaryContact(groupId: $g, userId: $u) { %s } }""" % GROUP_FIELDS
LEAVE = "mutation($g: ID!) { leaveGroup(groupId: $g) }"
STUDIES = "{ studies(first: 100) { totalCount edges { node { studyInstanceUid visibility { via } } } } }"


def gid(group: Group) -> str:
    return to_global_id("Group", group.id)


def uid(user) -> str:
    return to_global_id("User", user.id)


async def signed_in(api_factory, env, user, **settings):
    """A client with a fresh session of `user` (created at the current, possibly travelled, time)."""
    return api_factory(**settings).with_session(await f.session_cookie(env, user))


async def composition(group: Group) -> tuple[int, dict[int, bool]]:
    """(primary contact id, {member id: is administrator}) as stored."""
    g = await Group.get(id=group.id)
    rows = await GroupMembership.filter(group_id=group.id)
    return g.primary_contact_id, {m.user_id: m.is_administrator for m in rows}


async def assert_valid(group: Group) -> None:
    """G7 as stored: one primary contact, a member and administrator; at least one administrator."""
    primary, members = await composition(group)
    assert members.get(primary) is True, (primary, members)
    assert any(members.values())


async def seen_uids(api) -> set[str]:
    data = (await api.data(STUDIES))["studies"]
    return {e["node"]["studyInstanceUid"] for e in data["edges"]}
