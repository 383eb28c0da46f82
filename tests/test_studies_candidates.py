"""resolvers/study_candidates.py (PostgreSQL): a practitioner's pages through the per-participant
candidates are exactly the pages of the plain A1 query, in every case it is used for."""

from datetime import date, timedelta

import pytest

from resolvers import studies as study_queries
from tests import dbutil
from tests import factories as f
from tests.sqlcount import count_sql
from tests.test_studies_visibility import walk

pytestmark = pytest.mark.skipif(
    not dbutil.is_postgres(), reason="the candidates are a PostgreSQL plan (no LATERAL in SQLite)")


@pytest.fixture
async def crowd(api_factory):
    """A practitioner, colleagues in two groups (one lapsed), copy-to lists that overlap the
    referrals, many date ties, and studies nobody here may see."""
    env = await f.environment()
    inst = await f.institution(env, "AZX")
    me, a, b, c, stranger = [await f.user(env, f"{n}@example.be") for n in "mabcs"]
    await f.group(env, "Noord", [(me, True), (a, False)])
    await f.group(env, "Zuid", [(b, True), (me, False)])
    lapsed = await f.group(env, "Oud", [(c, True), (me, False)])
    from models.groups import GroupMembership
    await GroupMembership.filter(group_id=lapsed.id, user_id=me.id).update(
        confirmed_at=f.utcnow() - timedelta(days=200))
    people = [me, a, b, c, stranger]
    for i in range(90):
        referring = people[i % 5]
        copy_to = [people[(i * 7) % 5]] if i % 3 == 0 else []
        copy_to += [me] if i % 11 == 0 and referring is not me else []
        await f.study(inst, referring=referring, copy_to=[u for u in copy_to if u is not referring],
                      study_date=date(2026, 1, 1) + timedelta(days=i // 6), series=0)
    return api_factory().with_session(await f.session_cookie(env, me))


CASES = [
    ({}, "STUDY_DATE_DESC"),
    ({}, "STUDY_DATE_ASC"),
    ({"via": "OWN"}, "STUDY_DATE_DESC"),
    ({"studyDateFrom": "2026-01-04", "studyDateTo": "2026-01-11"}, "STUDY_DATE_DESC"),
    ({"studyDateFrom": "2026-01-04"}, "STUDY_DATE_ASC"),
]


@pytest.mark.parametrize("filter,order", CASES)
@pytest.mark.parametrize("first", [1, 4, 7, 50])
async def test_pages_through_the_candidates_are_the_plain_querys_pages(
        crowd, monkeypatch, filter, order, first):
    fast, fast_total = await walk(crowd, first=first, filter=filter, order=order)
    monkeypatch.setattr(study_queries, "_takes_candidates", lambda *args: False)
    plain, plain_total = await walk(crowd, first=first, filter=filter, order=order)
    assert fast == plain
    assert fast_total == plain_total == len(plain) > 0


async def test_the_list_uses_the_candidates(crowd):
    with count_sql() as statements:
        await walk(crowd, first=10)
    assert any("CROSS JOIN LATERAL" in s for s in statements)
