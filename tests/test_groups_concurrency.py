"""G7 under concurrency: two requests at once never leave a group that breaks the invariants.

Two HTTP requests run at the same time through two clients; on PostgreSQL each has its own
connection, so only the row lock on the group keeps them from interleaving.
"""

import asyncio

import pytest

from models.groups import Group, GroupMembership
from tests.api import error_codes
from tests.groups_gql import LEAVE, REMOVE, SET_ADMIN, SET_PRIMARY, assert_valid, gid, signed_in, \
    uid
from tests.groups_world import build

ROUNDS = 6


@pytest.fixture
async def w():
    return await build()


async def reset(w, admins: set[str]) -> None:
    """Zoe primary contact; Zoe, Yves, Xavier members; `admins` administrators."""
    await Group.filter(id=w.group.id).update(primary_contact_id=w["Zoe"].id)
    for name in ("Zoe", "Yves", "Xavier"):
        await GroupMembership.update_or_create(
            defaults={"is_administrator": name in admins, "confirmed_at": w.group.created_at},
            group_id=w.group.id, user_id=w[name].id)


@pytest.fixture
async def clients(api_factory, w):
    """One signed-in client per person, each with its own app and cookie jar."""
    return {who: await signed_in(api_factory, w.be, w[who]) for who in ("Zoe", "Yves", "Xavier")}


async def at_once(clients, first: tuple, second: tuple) -> list[dict]:
    """(who, query, variables) twice, sent together."""
    return list(await asyncio.gather(*(clients[who].gql(q, v) for who, q, v in (first, second))))


def outcomes(bodies: list[dict]) -> list[str]:
    return [(error_codes(b) or ["OK"])[0] for b in bodies]


async def test_G7_two_administrators_demoting_each_other_leave_one_administrator(clients, w):
    g = gid(w.group)
    for _ in range(ROUNDS):
        await reset(w, {"Zoe", "Yves", "Xavier"})
        bodies = await at_once(
            clients,
            ("Yves", SET_ADMIN, {"g": g, "u": uid(w["Xavier"]), "a": False}),
            ("Xavier", SET_ADMIN, {"g": g, "u": uid(w["Yves"]), "a": False}))
        # Whoever comes second has just lost the right to act.
        assert sorted(outcomes(bodies)) == ["FORBIDDEN", "OK"]
        admins = await GroupMembership.filter(group_id=w.group.id, is_administrator=True).count()
        assert admins == 2
        await assert_valid(w.group)


async def test_G7_the_last_two_administrators_leaving_at_once_leave_one(clients, w):
    g = gid(w.group)
    for _ in range(ROUNDS):
        await reset(w, {"Zoe", "Yves"})
        bodies = await at_once(clients, ("Zoe", LEAVE, {"g": g}), ("Yves", LEAVE, {"g": g}))
        assert outcomes(bodies) == ["CONFLICT", "OK"]
        await assert_valid(w.group)


@pytest.mark.parametrize("rival", [
    ("Xavier", LEAVE, lambda w: {"g": gid(w.group)}),
    ("Yves", REMOVE, lambda w: {"g": gid(w.group), "u": uid(w["Xavier"])}),
    ("Yves", SET_ADMIN, lambda w: {"g": gid(w.group), "u": uid(w["Xavier"]), "a": False}),
])
async def test_G7_handing_over_the_primary_contact_while_he_goes_leaves_a_valid_group(
        clients, w, rival):
    who, query, variables = rival
    for _ in range(ROUNDS):
        await reset(w, {"Zoe", "Yves", "Xavier"} if query is SET_ADMIN else {"Zoe", "Yves"})
        bodies = await at_once(
            clients, ("Zoe", SET_PRIMARY, {"g": gid(w.group), "u": uid(w["Xavier"])}),
            (who, query, variables(w)))
        codes = outcomes(bodies)
        # One of the two goes first; the other then finds him gone, or finds him primary.
        assert codes in (["OK", "CONFLICT"], ["NOT_FOUND", "OK"], ["OK", "OK"]), codes
        await assert_valid(w.group)
