"""P2: a sync by (updatedAt, id) from a mark sees every study updated since, even while studies
change during the walk, and its cursor survives a server restart."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from tortoise.transactions import in_transaction

from models.studies import Study
from resolvers.study_clock import lock_study_writes
from tests import factories as f
from tests.api import error_codes
from tests.live import live_server
from tests.partner_gql import SYNC, UPSERT, partner_client, study_input, uid


async def walk(api, since, first, after=None, between_pages=None):
    """Pages to the end; returns the UIDs seen (with repeats) and the last cursor."""
    seen = []
    while True:
        page = (await api.data(SYNC, {"first": first, "after": after, "since": since}))["studies"]
        seen += [e["node"]["studyInstanceUid"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] or after
        if not page["pageInfo"]["hasNextPage"]:
            return seen, after
        if between_pages:
            await between_pages()


async def partner(api_factory, inst=None):
    """A client of institution AZX (created unless given)."""
    if inst is None:
        inst = await f.institution(await f.environment("BE"), "AZX")
    _, token = await partner_client(inst)
    api = api_factory().with_token(token)
    api.inst = inst
    return api


async def test_P2_anonymous_sync_is_unauthenticated(api):
    await f.environment("BE")
    assert error_codes(await api.gql(SYNC, {"first": 10})) == ["UNAUTHENTICATED"]


async def test_P2_first_is_capped_at_500(api_factory):
    api = await partner(api_factory)
    assert error_codes(await api.gql(SYNC, {"first": 501})) == ["BAD_USER_INPUT"]
    assert (await api.data(SYNC, {"first": 500}))["studies"]["edges"] == []


async def test_P2_a_study_changed_behind_the_cursor_is_seen_even_when_the_clock_stands_still(
        api_factory):
    # Equal timestamps are what a coarse clock or a slow, late-committing writer produce.
    api = await partner(api_factory)
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        await api.data(UPSERT, {"input": study_input(0)})
    with time_machine.travel(start, tick=False):
        for n in range(1, 10):
            await api.data(UPSERT, {"input": study_input(n)})
        changes = iter([0, 4])

        async def change_one():
            n = next(changes, None)
            if n is not None:
                await api.data(UPSERT, {"input": study_input(n, description=f"Changed {n}")})

        seen, _ = await walk(api, start.isoformat(), 3, between_pages=change_one)
    assert set(seen) == {uid(n) for n in range(10)}
    assert seen.count(uid(4)) == 2  # seen before and after its change


async def test_P2_a_sync_sees_every_study_updated_since_the_mark_while_upserts_continue(
        api_factory):
    api = await partner(api_factory)
    writer = await partner(api_factory, api.inst)  # another system of the same hospital
    total = 120
    for n in range(total):
        await api.data(UPSERT, {"input": study_input(n)})
    mark = (await api.data(SYNC, {"first": 1}))["studies"]["edges"][0]["node"]["updatedAt"]
    changed = []
    rng = random.Random(7)

    async def change_some():
        # Between every two pages another system changes old studies and adds new ones. A
        # fixed number per page, not as fast as it can: a writer faster than the reader would
        # keep moving studies past the end, and no walk could ever finish.
        for _ in range(2):
            n = rng.randrange(total + 40)
            await writer.data(UPSERT, {"input": study_input(n, description=f"v{len(changed)}")})
            changed.append(n)

    seen, cursor = await walk(api, mark, 5, between_pages=change_some)
    more, _ = await walk(api, mark, 10, after=cursor)  # the next sync resumes at the cursor
    seen += more
    assert len(changed) > 10  # the walk really ran beside the upserts
    final = {e["node"]["studyInstanceUid"] for e in await _everything(api, mark)}
    assert final <= set(seen)
    assert {uid(n) for n in changed} <= set(seen)


async def test_P2_a_study_write_waits_for_the_one_before_so_stamps_follow_commit_order(
        api_factory):
    api = await partner(api_factory)
    for n in range(2):
        await api.data(UPSERT, {"input": study_input(n)})
    slow = await Study.get(study_instance_uid=uid(0))
    go = asyncio.Event()

    async def later_upsert():
        await go.wait()
        return await api.data(UPSERT, {"input": study_input(1, description="Changed")})

    # Created outside the transaction, so the request does not inherit its connection.
    later = asyncio.create_task(later_upsert())
    async with in_transaction() as conn:  # a slow writer: stamped first, committing late
        stamp = await lock_study_writes(conn, slow.environment_id)
        await Study.filter(id=slow.id).using_db(conn).update(updated_at=stamp)
        go.set()
        await asyncio.sleep(0.5)
        assert not later.done()  # it waits for the slow writer's commit
    await later
    first, second = [await Study.get(study_instance_uid=uid(n)) for n in (0, 1)]
    assert first.updated_at == stamp < second.updated_at


async def _everything(api, since):
    edges, after = [], None
    while True:
        page = (await api.data(SYNC, {"first": 500, "after": after, "since": since}))["studies"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]


async def test_P2_a_cursor_stays_valid_across_a_server_restart(db, tmp_path):
    env = await f.environment("BE")
    inst = await f.institution(env, "AZX")
    _, token = await partner_client(inst)
    base = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    studies = [await f.study(inst, updated_at=base + timedelta(seconds=n % 4)) for n in range(12)]
    expected = [s.study_instance_uid for s in sorted(studies, key=lambda s: (s.updated_at, s.id))]
    server_env = {"STUDYGATE_DATABASE_URL": db, "STUDYGATE_SECRET_KEY": f.SECRET,
                  "STUDYGATE_DEV": "0", "STUDYGATE_ENVIRONMENT": "BE",
                  "STUDYGATE_TEST_LOG_DIR": str(tmp_path)}
    headers = {"Authorization": f"Bearer {token}"}

    def page(url, after):
        body = httpx.post(url + "/graphql", headers=headers, timeout=30, json={
            "query": SYNC, "variables": {"first": 5, "after": after,
                                         "since": base.isoformat()}}).json()
        assert not body.get("errors"), body
        return body["data"]["studies"]

    with live_server(server_env) as (url, _):
        first = page(url, None)
    with live_server(server_env) as (url, _):  # a new process: nothing kept in memory
        second = page(url, first["pageInfo"]["endCursor"])
        third = page(url, second["pageInfo"]["endCursor"])
    seen = [e["node"]["studyInstanceUid"] for p in (first, second, third) for e in p["edges"]]
    assert seen == expected
    assert not third["pageInfo"]["hasNextPage"]
