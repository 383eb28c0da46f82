"""G1, G4: a membership unconfirmed 30 days after falling due shares nothing, until confirmed."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from models.groups import GroupMembership
from tests import factories as f
from tests.groups_gql import CONFIRM, gid, seen_uids, signed_in

UTC = timezone.utc


@pytest.fixture
async def colleagues():
    """An and Bart share Praktijk Zuid; each requested one study; Carla is outside."""
    be = await f.environment("BE")
    inst = await f.institution(be, "AZX")
    an, bart, carla = [await f.user(be, f"{n}@example.be", n.title()) for n in ("an", "bart", "carla")]
    zuid = await f.group(be, "Praktijk Zuid", [(an, True), (bart, False)])
    studies = {"an": await f.study(inst, referring=an), "bart": await f.study(inst, referring=bart),
               "carla": await f.study(inst, referring=carla, copy_to=[])}
    return dict(be=be, users=dict(an=an, bart=bart, carla=carla), group=zuid,
                uids={k: s.study_instance_uid for k, s in studies.items()})


async def sharing_at(api_factory, world, now: datetime) -> dict[str, set[str]]:
    """What An and Bart each see, as study owners, at `now`."""
    owner = {u: k for k, u in world["uids"].items()}
    seen = {}
    with time_machine.travel(now, tick=False):
        for who in ("an", "bart"):
            api = await signed_in(api_factory, world["be"], world["users"][who])
            seen[who] = {owner[u] for u in await seen_uids(api)}
    return seen


SHARED = {"an": {"an", "bart"}, "bart": {"an", "bart"}}
APART = {"an": {"an"}, "bart": {"bart"}}


async def test_G1_members_see_each_others_own_studies_and_no_one_elses(api_factory, colleagues):
    assert await sharing_at(api_factory, colleagues, f.utcnow()) == SHARED


@pytest.mark.parametrize("lapsing", ["an", "bart"])
@pytest.mark.parametrize("confirmed_at, last_shared, lapsed", [
    # Due 15 April 2026, lapsed 30 days later: 15 May.
    (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 5, 14, 23, 59, 59, tzinfo=UTC),
     datetime(2026, 5, 15, tzinfo=UTC)),
    # Confirmed 30 November 2027: due 29 February 2028 (leap year), lapsed 30 March.
    (datetime(2027, 11, 30, 18, tzinfo=UTC), datetime(2028, 3, 29, 23, 59, 59, tzinfo=UTC),
     datetime(2028, 3, 30, tzinfo=UTC)),
    # Confirmed 30 November 2026: due 28 February 2027, lapsed 30 March.
    (datetime(2026, 11, 30, 1, tzinfo=UTC), datetime(2027, 3, 29, 23, 59, 59, tzinfo=UTC),
     datetime(2027, 3, 30, tzinfo=UTC)),
])
async def test_G4_a_lapsed_membership_shares_nothing_either_way_until_confirmed(
        api_factory, colleagues, lapsing, confirmed_at, last_shared, lapsed):
    other = "bart" if lapsing == "an" else "an"
    # The other member confirmed recently: only `lapsing` falls behind.
    await GroupMembership.filter(user_id=colleagues["users"][other].id).update(
        confirmed_at=last_shared - timedelta(days=5))
    await GroupMembership.filter(user_id=colleagues["users"][lapsing].id).update(
        confirmed_at=confirmed_at)
    assert await sharing_at(api_factory, colleagues, last_shared) == SHARED
    assert await sharing_at(api_factory, colleagues, lapsed) == APART
    # Confirming restores sharing in both directions at once.
    with time_machine.travel(lapsed + timedelta(hours=1), tick=False):
        api = await signed_in(api_factory, colleagues["be"], colleagues["users"][lapsing])
        await api.data(CONFIRM, {"ids": [gid(colleagues["group"])]})
    assert await sharing_at(api_factory, colleagues, lapsed + timedelta(hours=2)) == SHARED


async def test_G4_the_other_members_confirmation_does_not_revive_a_lapsed_one(api_factory, colleagues):
    an, bart = colleagues["users"]["an"], colleagues["users"]["bart"]
    await GroupMembership.filter(user_id=bart.id).update(
        confirmed_at=datetime(2026, 1, 15, tzinfo=UTC))
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        api = await signed_in(api_factory, colleagues["be"], an)
        await api.data(CONFIRM, {"ids": [gid(colleagues["group"])]})
    assert await sharing_at(api_factory, colleagues, now + timedelta(hours=1)) == APART
