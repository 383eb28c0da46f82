"""G2, G3: confirming group memberships every 3 calendar months."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from models.groups import GroupMembership
from tests import factories as f
from tests.api import error_codes
from tests.groups_gql import CONFIRM, PENDING, gid, signed_in

UTC = timezone.utc


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def practice():
    """Zoe (primary contact), Yves and Bram (administrators), Xavier and Anna (members)."""
    be = await f.environment("BE")
    people = {n: await f.user(be, f"{n.lower()}@example.be", n)
              for n in ("Zoe", "Yves", "Bram", "Xavier", "Anna")}
    zuid = await f.group(be, "Praktijk Zuid", [(people["Zoe"], True), (people["Xavier"], False),
                                               (people["Yves"], True), (people["Anna"], False),
                                               (people["Bram"], True)])
    noord = await f.group(be, "Praktijk Noord", [(people["Yves"], True), (people["Anna"], False)])
    return dict(be=be, people=people, zuid=zuid, noord=noord)


async def confirmed(user, group, when: datetime) -> None:
    await GroupMembership.filter(user_id=user.id, group_id=group.id).update(confirmed_at=when)


async def pending_at(api_factory, practice, who: str, now: datetime):
    with time_machine.travel(now, tick=False):
        api = await signed_in(api_factory, practice["be"], practice["people"][who])
        return (await api.data(PENDING))["pendingGroupConfirmation"]


async def test_G2_anonymous_is_unauthenticated(api, practice):
    assert error_codes(await api.gql(PENDING)) == ["UNAUTHENTICATED"]
    body = await api.gql(CONFIRM, {"ids": [gid(practice["zuid"])]})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_G2_a_patient_has_no_groups(api_factory, practice):
    inst = await f.institution(practice["be"])
    access = await f.patient_access(inst, [])
    api = api_factory().with_session(await f.session_cookie(practice["be"], access=access))
    assert error_codes(await api.gql(PENDING)) == ["FORBIDDEN"]


@pytest.mark.parametrize("confirmed_at, day_before, due_day", [
    (at(2026, 11, 30, 9), at(2027, 2, 27, 23, 59, 59), at(2027, 2, 28)),   # month end
    (at(2027, 11, 30, 9), at(2028, 2, 28, 23, 59, 59), at(2028, 2, 29)),   # leap year
    (at(2026, 8, 31, 23, 59), at(2026, 11, 29, 23, 59, 59), at(2026, 11, 30)),
    (at(2026, 11, 1, 0, 0), at(2027, 1, 31, 23, 59, 59), at(2027, 2, 1)),  # 92 days, not 90
    (at(2026, 12, 15, 12), at(2027, 3, 14, 23, 59, 59), at(2027, 3, 15)),  # over the year end
])
async def test_G2_due_on_the_same_day_three_calendar_months_later(
        api_factory, practice, confirmed_at, day_before, due_day):
    anna = practice["people"]["Anna"]
    await GroupMembership.all().update(confirmed_at=due_day - timedelta(days=10))
    await confirmed(anna, practice["zuid"], confirmed_at)
    await confirmed(anna, practice["noord"], confirmed_at + timedelta(days=20))
    assert await pending_at(api_factory, practice, "Anna", day_before) is None
    due = await pending_at(api_factory, practice, "Anna", due_day)
    assert datetime.fromisoformat(due["dueSince"]) == due_day
    # Anna's due membership is hers only: Zoe's, in the same group, is fresh.
    assert await pending_at(api_factory, practice, "Zoe", due_day) is None


async def test_G2_lists_every_group_with_members_in_order(api_factory, practice):
    anna = practice["people"]["Anna"]
    await confirmed(anna, practice["zuid"], at(2026, 1, 10, 8))  # due 10 April
    await confirmed(anna, practice["noord"], at(2026, 3, 1, 8))  # not due yet on 20 April
    due = await pending_at(api_factory, practice, "Anna", at(2026, 4, 20, 12))
    assert due["dueSince"].startswith("2026-04-10T00:00:00")
    assert [g["name"] for g in due["groups"]] == ["Praktijk Noord", "Praktijk Zuid"]
    zuid = due["groups"][1]
    assert [(m["user"]["displayName"], m["isAdministrator"], m["isPrimaryContact"])
            for m in zuid["members"]] == [
        ("Zoe", True, True), ("Bram", True, False), ("Yves", True, False),
        ("Anna", False, False), ("Xavier", False, False)]
    assert zuid["primaryContact"]["user"]["displayName"] == "Zoe"
    assert zuid["viewerIsAdministrator"] is False
    assert zuid["viewerConfirmedAt"].startswith("2026-01-10T08:00:00")


async def test_G2_due_since_is_the_earliest_due_time(api_factory, practice):
    anna = practice["people"]["Anna"]
    await confirmed(anna, practice["zuid"], at(2026, 2, 5, 8))
    await confirmed(anna, practice["noord"], at(2026, 1, 31, 8))  # due 30 April, before 5 May
    due = await pending_at(api_factory, practice, "Anna", at(2026, 6, 1))
    assert due["dueSince"].startswith("2026-04-30T00:00:00")


async def test_G3_confirming_every_due_membership_returns_null(api_factory, practice):
    anna = practice["people"]["Anna"]
    for group in (practice["zuid"], practice["noord"]):
        await confirmed(anna, group, at(2026, 1, 10, 8))
    yves_before = await GroupMembership.get(user_id=practice["people"]["Yves"].id,
                                            group_id=practice["zuid"].id)
    now = at(2026, 5, 2, 9, 30)
    with time_machine.travel(now, tick=False):
        api = await signed_in(api_factory, practice["be"], anna)
        ids = [gid(practice["zuid"]), gid(practice["noord"])]
        assert (await api.data(CONFIRM, {"ids": ids}))["confirmGroupMemberships"] is None
        assert (await api.data(PENDING))["pendingGroupConfirmation"] is None
    mine = await GroupMembership.filter(user_id=anna.id).values_list("confirmed_at", flat=True)
    assert mine == [now, now]
    # Another member's confirmation is his own (viewerConfirmedAt unaffected).
    yves_after = await GroupMembership.get(id=yves_before.id)
    assert yves_after.confirmed_at == yves_before.confirmed_at


async def test_G3_confirming_some_returns_what_is_still_due(api_factory, practice):
    anna = practice["people"]["Anna"]
    await confirmed(anna, practice["zuid"], at(2026, 1, 10, 8))
    await confirmed(anna, practice["noord"], at(2026, 1, 20, 8))
    with time_machine.travel(at(2026, 5, 2), tick=False):
        api = await signed_in(api_factory, practice["be"], anna)
        still = (await api.data(CONFIRM, {"ids": [gid(practice["zuid"])]}))["confirmGroupMemberships"]
    assert still["dueSince"].startswith("2026-04-20T00:00:00")
    assert {g["name"] for g in still["groups"]} == {"Praktijk Zuid", "Praktijk Noord"}


async def test_G3_a_group_of_someone_else_is_not_found_and_nothing_is_confirmed(api_factory, practice):
    anna, be = practice["people"]["Anna"], practice["be"]
    await confirmed(anna, practice["zuid"], at(2026, 1, 10, 8))
    strangers = await f.group(be, "Elders", [(await f.user(be, "eve@example.be", "Eve"), True)])
    nl = await f.environment("NL")
    dutch = await f.group(nl, "Centrum", [(await f.user(nl, "anna@example.be", "Anna NL"), True)])
    with time_machine.travel(at(2026, 5, 2), tick=False):
        api = await signed_in(api_factory, be, anna)
        for foreign in (strangers, dutch):
            body = await api.gql(CONFIRM, {"ids": [gid(practice["zuid"]), gid(foreign)]})
            assert body["data"]["confirmGroupMemberships"] is None
            assert error_codes(body) == ["NOT_FOUND"]
        garbage = await api.gql(CONFIRM, {"ids": ["not-an-id"]})
        assert error_codes(garbage) == ["BAD_USER_INPUT"]
        assert garbage["errors"][0]["extensions"]["argument"] == "groupIds"
    row = await GroupMembership.get(user_id=anna.id, group_id=practice["zuid"].id)
    assert row.confirmed_at == at(2026, 1, 10, 8)
