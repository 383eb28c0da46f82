"""G6 (and G1 through it): administrators manage their group; every change is recorded."""

from datetime import datetime, timezone

import pytest
import time_machine

from models.groups import Group, GroupChange, GroupMembership
from tests import factories as f
from tests.api import error_codes
from tests.groups_gql import ADD, CREATE, LEAVE, MY_GROUPS, REMOVE, SET_ADMIN, SET_PRIMARY, gid, \
    seen_uids, signed_in, uid
from tests.groups_world import ADMIN_ONLY, ALL, CONFIRMED, build, mutations, snapshot

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
async def w():
    return await build()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


async def as_(api_factory, w, who, **settings):
    env = w.nl if who in ("Nina", "Noor") else w.be
    code = "NL" if env is w.nl else "BE"
    return await signed_in(api_factory, env, w[who], environment=code, **settings)


def members(group: dict) -> list[tuple[str, bool, bool]]:
    return [(m["user"]["displayName"], m["isAdministrator"], m["isPrimaryContact"])
            for m in group["members"]]


async def changes(group) -> list[tuple[str, int, int | None, datetime]]:
    rows = await GroupChange.filter(group_id=group.id).order_by("id")
    return [(r.action, r.actor_id, r.subject_id, r.at) for r in rows]


@pytest.mark.parametrize("name", ALL + ["createGroup"])
async def test_G6_anonymous_is_unauthenticated(api, w, name):
    query, variables = mutations(w)[name]
    before = await snapshot(w.group)
    body = await api.gql(query, variables)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await snapshot(w.group) == before


async def test_G6_the_creator_is_first_member_administrator_and_primary_contact(api_factory, w, clock):
    api = await as_(api_factory, w, "Eve")
    group = (await api.data(CREATE, {"name": "  Praktijk \n Oost "}))["createGroup"]
    assert group["name"] == "Praktijk Oost"
    assert members(group) == [("Dr. Eve", True, True)]
    assert group["viewerIsAdministrator"] is True
    assert datetime.fromisoformat(group["viewerConfirmedAt"]) == NOW
    assert [g["name"] for g in (await api.data(MY_GROUPS))["myGroups"]] == ["Praktijk Oost"]
    created = await Group.get(name="Praktijk Oost")
    assert created.environment_id == w.be.id
    assert await changes(created) == [("GROUP_CREATED", w["Eve"].id, w["Eve"].id, NOW)]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_G6_a_group_name_has_1_to_200_characters(api_factory, w, name):
    api = await as_(api_factory, w, "Eve")
    body = await api.gql(CREATE, {"name": name})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "name"
    assert await Group.all().count() == 2


async def test_G6_the_service_desk_does_not_create_groups(api_factory, w):
    body = await (await as_(api_factory, w, "Desk")).gql(CREATE, {"name": "Desk group"})
    assert error_codes(body) == ["FORBIDDEN"]


async def test_G6_administrators_add_active_practitioners_by_username(api_factory, w, clock):
    api = await as_(api_factory, w, "Yves")
    group = (await api.data(ADD, {"g": gid(w.group), "u": "  WILL@Example.BE "}))["addGroupMember"]
    assert members(group) == [("Dr. Zoe", True, True), ("Dr. Yves", True, False),
                              ("Dr. Will", False, False), ("Dr. Xavier", False, False)]
    rows = dict(await GroupMembership.filter(group_id=w.group.id).values_list(
        "user_id", "confirmed_at"))
    # The new member's confirmation starts now; everyone else's is untouched.
    assert rows == {w["Zoe"].id: CONFIRMED, w["Yves"].id: CONFIRMED,
                    w["Xavier"].id: CONFIRMED, w["Will"].id: NOW}
    assert await changes(w.group) == [("MEMBER_ADDED", w["Yves"].id, w["Will"].id, NOW)]
    body = await api.gql(ADD, {"g": gid(w.group), "u": "will@example.be"})
    assert error_codes(body) == ["CONFLICT"]


@pytest.mark.parametrize("username", [
    "nobody@example.be", "pending@example.be", "disabled@example.be", "desk@example.be",
    "nina@example.nl",  # an account of the Netherlands
])
async def test_G6_only_active_practitioners_of_this_environment_can_be_added(api_factory, w, username):
    before = await snapshot(w.group)
    body = await (await as_(api_factory, w, "Zoe")).gql(ADD, {"g": gid(w.group), "u": username})
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["extensions"]["argument"] == "username"
    assert body["errors"][0]["message"] == "No active practitioner has this username."
    assert await snapshot(w.group) == before


async def test_G6_administrators_remove_members_grant_and_revoke_rights_and_set_the_primary_contact(
        api_factory, w, clock):
    zoe, yves, xavier = w["Zoe"], w["Yves"], w["Xavier"]
    api = await as_(api_factory, w, "Zoe")
    g = gid(w.group)
    granted = (await api.data(SET_ADMIN, {"g": g, "u": uid(xavier), "a": True}))
    assert members(granted["setGroupAdministrator"])[1] == ("Dr. Xavier", True, False)
    revoked = (await api.data(SET_ADMIN, {"g": g, "u": uid(xavier), "a": False}))
    assert members(revoked["setGroupAdministrator"])[2] == ("Dr. Xavier", False, False)
    # Asking for what already is changes nothing and records nothing.
    await api.data(SET_ADMIN, {"g": g, "u": uid(xavier), "a": False})
    primary = (await api.data(SET_PRIMARY, {"g": g, "u": uid(xavier)}))["setGroupPrimaryContact"]
    # G7: the new primary contact is an administrator too; Zoe stays one.
    assert members(primary) == [("Dr. Xavier", True, True), ("Dr. Yves", True, False),
                                ("Dr. Zoe", True, False)]
    assert primary["primaryContact"]["user"]["displayName"] == "Dr. Xavier"
    removed = (await api.data(REMOVE, {"g": g, "u": uid(yves)}))["removeGroupMember"]
    assert members(removed) == [("Dr. Xavier", True, True), ("Dr. Zoe", True, False)]
    assert await changes(w.group) == [
        ("ADMINISTRATOR_GRANTED", zoe.id, xavier.id, NOW),
        ("ADMINISTRATOR_REVOKED", zoe.id, xavier.id, NOW),
        ("ADMINISTRATOR_GRANTED", zoe.id, xavier.id, NOW),
        ("PRIMARY_CONTACT_SET", zoe.id, xavier.id, NOW),
        ("MEMBER_REMOVED", zoe.id, yves.id, NOW),
    ]
    confirmations = await GroupMembership.filter(group_id=w.group.id).values_list(
        "confirmed_at", flat=True)
    assert set(confirmations) == {CONFIRMED}


@pytest.mark.parametrize("name", ADMIN_ONLY)
async def test_G6_a_member_who_is_not_an_administrator_is_forbidden(api_factory, w, name):
    query, variables = mutations(w)[name]
    if name in ("removeGroupMember", "setGroupAdministrator", "setGroupPrimaryContact"):
        variables = {**variables, "u": uid(w["Yves"])}
    before = await snapshot(w.group)
    body = await (await as_(api_factory, w, "Xavier")).gql(query, variables)
    assert body["data"] is None and error_codes(body) == ["FORBIDDEN"]
    assert await snapshot(w.group) == before


@pytest.mark.parametrize("who", ["Eve", "Desk", "Nina"])
@pytest.mark.parametrize("name", ALL)
async def test_G6_a_non_member_or_another_environment_does_not_find_the_group(
        api_factory, w, who, name):
    query, variables = mutations(w)[name]
    before = await snapshot(w.group)
    body = await (await as_(api_factory, w, who)).gql(query, variables)
    assert body["data"] is None and error_codes(body) == ["NOT_FOUND"]
    assert await snapshot(w.group) == before


async def test_G6_a_member_leaves(api_factory, w, clock):
    api = await as_(api_factory, w, "Xavier")
    assert (await api.data(LEAVE, {"g": gid(w.group)}))["leaveGroup"] is True
    assert (await api.data(MY_GROUPS))["myGroups"] == []
    assert await changes(w.group) == [("MEMBER_LEFT", w["Xavier"].id, w["Xavier"].id, NOW)]
    assert error_codes(await api.gql(LEAVE, {"g": gid(w.group)})) == ["NOT_FOUND"]


async def test_G6_a_member_of_another_group_is_not_found(api_factory, w):
    body = await (await as_(api_factory, w, "Zoe")).gql(REMOVE, {"g": gid(w.group),
                                                                 "u": uid(w["Eve"])})
    assert error_codes(body) == ["NOT_FOUND"]


async def test_G1_a_member_added_shares_at_once_and_a_member_removed_stops(api_factory, w):
    inst = await f.institution(w.be)
    zoes = (await f.study(inst, referring=w["Zoe"])).study_instance_uid
    wills = (await f.study(inst, referring=w["Will"])).study_instance_uid
    zoe, will = await as_(api_factory, w, "Zoe"), await as_(api_factory, w, "Will")
    assert await seen_uids(will) == {wills}
    await zoe.data(ADD, {"g": gid(w.group), "u": "will@example.be"})
    assert await seen_uids(will) == {wills, zoes}
    assert await seen_uids(zoe) == {zoes, wills}
    await zoe.data(REMOVE, {"g": gid(w.group), "u": uid(w["Will"])})
    assert await seen_uids(will) == {wills}
    assert await seen_uids(zoe) == {zoes}


async def test_G6_patients_and_api_clients_have_no_groups(api_factory, w):
    inst = await f.institution(w.be)
    access = await f.patient_access(inst, [])
    patient = api_factory().with_session(await f.session_cookie(w.be, access=access))
    _, token = await f.api_client(inst)
    for api in (patient, api_factory().with_token(token)):
        assert error_codes(await api.gql(CREATE, {"name": "Mine"})) == ["FORBIDDEN"]
        assert error_codes(await api.gql(MY_GROUPS)) == ["FORBIDDEN"]
        assert error_codes(await api.gql(LEAVE, {"g": gid(w.group)})) == ["FORBIDDEN"]
