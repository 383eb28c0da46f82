"""G7: one primary contact, a member and administrator; at least one administrator; CONFLICT
and nothing changed for a change that would break them."""

import pytest

from tests.api import error_codes
from tests.groups_gql import LEAVE, REMOVE, SET_ADMIN, SET_PRIMARY, assert_valid, gid, signed_in, \
    uid
from tests.groups_world import build, snapshot


@pytest.fixture
async def w():
    return await build()


async def refused(api_factory, w, who, query, variables, code="CONFLICT"):
    """`who` tries; the answer is `code` and the group is exactly as before."""
    before = await snapshot(w.group)
    body = await (await signed_in(api_factory, w.be, w[who])).gql(query, variables)
    assert body["data"] is None and error_codes(body) == [code], body
    assert await snapshot(w.group) == before
    return body["errors"][0]["message"]


async def test_G7_anonymous_is_unauthenticated(api, w):
    body = await api.gql(REMOVE, {"g": gid(w.group), "u": uid(w["Zoe"])})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_G7_the_primary_contact_cannot_be_removed(api_factory, w):
    message = await refused(api_factory, w, "Yves", REMOVE, {"g": gid(w.group), "u": uid(w["Zoe"])})
    assert "primary contact" in message


async def test_G7_the_primary_contact_cannot_be_demoted(api_factory, w):
    await refused(api_factory, w, "Yves", SET_ADMIN,
                  {"g": gid(w.group), "u": uid(w["Zoe"]), "a": False})


@pytest.mark.parametrize("who, flag", [("Yves", False), ("Yves", True), ("Zoe", False)])
async def test_G7_an_administrator_cannot_change_his_own_flag(api_factory, w, who, flag):
    message = await refused(api_factory, w, who, SET_ADMIN,
                            {"g": gid(w.group), "u": uid(w[who]), "a": flag})
    assert "your own" in message


async def test_G7_the_primary_contact_cannot_leave_nor_remove_himself(api_factory, w):
    await refused(api_factory, w, "Zoe", LEAVE, {"g": gid(w.group)})
    await refused(api_factory, w, "Zoe", REMOVE, {"g": gid(w.group), "u": uid(w["Zoe"])})


async def test_G7_the_last_administrator_cannot_leave(api_factory, w):
    zoe = await signed_in(api_factory, w.be, w["Zoe"])
    await zoe.data(REMOVE, {"g": gid(w.group), "u": uid(w["Xavier"])})
    await zoe.data(SET_PRIMARY, {"g": gid(w.group), "u": uid(w["Yves"])})
    assert (await zoe.data(LEAVE, {"g": gid(w.group)}))["leaveGroup"] is True
    # Yves is now the only member, the only administrator and the primary contact.
    await refused(api_factory, w, "Yves", LEAVE, {"g": gid(w.group)})
    await assert_valid(w.group)


async def test_G7_the_primary_contact_is_a_member(api_factory, w):
    await refused(api_factory, w, "Zoe", SET_PRIMARY, {"g": gid(w.group), "u": uid(w["Eve"])},
                  code="NOT_FOUND")
    await refused(api_factory, w, "Zoe", SET_PRIMARY, {"g": gid(w.group), "u": uid(w["Nina"])},
                  code="NOT_FOUND")


async def test_G7_after_handing_over_the_former_primary_contact_can_be_demoted(api_factory, w):
    zoe = await signed_in(api_factory, w.be, w["Zoe"])
    await zoe.data(SET_PRIMARY, {"g": gid(w.group), "u": uid(w["Yves"])})
    # Zoe may not demote the new primary contact, Yves may demote Zoe.
    await refused(api_factory, w, "Zoe", SET_ADMIN,
                  {"g": gid(w.group), "u": uid(w["Yves"]), "a": False})
    yves = await signed_in(api_factory, w.be, w["Yves"])
    await yves.data(SET_ADMIN, {"g": gid(w.group), "u": uid(w["Zoe"]), "a": False})
    await assert_valid(w.group)
    await refused(api_factory, w, "Zoe", REMOVE, {"g": gid(w.group), "u": uid(w["Xavier"])},
                  code="FORBIDDEN")


async def test_G7_a_user_id_that_is_not_a_user_id_is_bad_input(api_factory, w):
    body = await refused(api_factory, w, "Zoe", REMOVE, {"g": gid(w.group), "u": gid(w.group)},
                         code="BAD_USER_INPUT")
    assert "userId" in body
