"""Fair use: each API client operation spends its cost (schema/cost.py) from an hourly budget
shared by every server instance; past it, one RATE_LIMITED error and nothing runs."""

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as redis
import time_machine

from models.studies import Study
from tests import factories as f
from tests.api import error_codes
from tests.partner_gql import partner_client, study_input

CHEAP = "{ currentEnvironment { code } }"  # costs 2
LIST = "query($n: Int) { studies(first: $n) { edges { node { id } } } }"  # 1 + n * 3
SMALL_UPSERT = "mutation($input: StudyInput!) { upsertStudy(input: $input) { id } }"  # 2
TEN_PAST = datetime(2026, 11, 20, 10, 10, tzinfo=UTC)
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def inst(db):
    return await f.institution(await f.environment("BE"), "AZX")


async def test_fair_use_does_not_apply_to_anonymous_callers(inst, api_factory):
    api = api_factory(api_points_per_hour=1)
    for _ in range(3):
        assert (await api.data(CHEAP))["currentEnvironment"] == {"code": "BE"}


async def test_fair_use_past_the_budget_is_one_rate_limited_error_until_the_hour_ends(
        inst, api_factory):
    _, token = await partner_client(inst)
    api = api_factory(api_points_per_hour=10).with_token(token)
    with time_machine.travel(TEN_PAST, tick=False) as clock:
        for _ in range(5):  # 5 x 2 points: the whole budget
            await api.data(CHEAP)
        response = await api.post(CHEAP)
        body = response.json()
        assert error_codes(body) == ["RATE_LIMITED"] and body.get("data") is None
        extensions = body["errors"][0]["extensions"]
        assert extensions["resetAt"] == "2026-11-20T11:00:00+00:00"
        assert extensions["retryAfterSeconds"] == 50 * 60
        assert response.headers["retry-after"] == "3000"
        clock.move_to(datetime(2026, 11, 20, 11, 0, 1, tzinfo=UTC))
        assert (await api.data(CHEAP))["currentEnvironment"] == {"code": "BE"}


async def test_fair_use_an_operation_over_budget_executes_nothing(inst, api_factory):
    _, token = await partner_client(inst)
    api = api_factory(api_points_per_hour=5).with_token(token)
    with time_machine.travel(TEN_PAST, tick=False):
        await api.data(SMALL_UPSERT, {"input": study_input(1)})  # 2 points
        await api.data(SMALL_UPSERT, {"input": study_input(2)})  # 4
        body = await api.gql(SMALL_UPSERT, {"input": study_input(3)})  # 6: over
    assert error_codes(body) == ["RATE_LIMITED"]
    assert await Study.all().count() == 2


async def test_fair_use_the_cost_counts_the_nodes_requested(inst, api_factory):
    _, token = await partner_client(inst, scopes="studies:read")
    api = api_factory(api_points_per_hour=100).with_token(token)
    with time_machine.travel(TEN_PAST, tick=False):
        assert error_codes(await api.gql(LIST, {"n": 35})) == ["RATE_LIMITED"]  # 106 points
        assert error_codes(await api.gql(LIST, {"n": 34})) == ["RATE_LIMITED"]  # 103
        await api.data(LIST, {"n": 33})  # 100: fits exactly; the refusals spent nothing
        body = await api.gql(LIST, {"n": 1})  # 4 more
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["cost"] == 4


async def test_fair_use_invalid_documents_spend_nothing(inst, api_factory):
    _, token = await partner_client(inst)
    api = api_factory(api_points_per_hour=2).with_token(token)
    with time_machine.travel(TEN_PAST, tick=False):
        for _ in range(3):
            assert error_codes(await api.gql("{ noSuchField }")) == ["BAD_USER_INPUT"]
        await api.data(CHEAP)


async def test_fair_use_each_client_has_its_own_budget(inst, api_factory):
    _, first = await partner_client(inst)
    _, second = await partner_client(inst)
    with time_machine.travel(TEN_PAST, tick=False):
        api = api_factory(api_points_per_hour=2).with_token(first)
        await api.data(CHEAP)
        assert error_codes(await api.gql(CHEAP)) == ["RATE_LIMITED"]
        await api_factory(api_points_per_hour=2).with_token(second).data(CHEAP)


async def _shared_between_two_instances(api_factory, token, **settings):
    one = api_factory(api_points_per_hour=6, **settings).with_token(token)
    two = api_factory(api_points_per_hour=6, **settings).with_token(token)
    await one.data(CHEAP)
    await two.data(CHEAP)
    await one.data(CHEAP)
    assert error_codes(await two.gql(CHEAP)) == ["RATE_LIMITED"]
    assert error_codes(await one.gql(CHEAP)) == ["RATE_LIMITED"]


async def test_fair_use_the_budget_is_shared_by_instances_through_the_database(inst, api_factory):
    _, token = await partner_client(inst)
    await _shared_between_two_instances(api_factory, token)


async def test_fair_use_the_budget_is_shared_by_instances_through_redis(inst, api_factory):
    client, token = await partner_client(inst)
    await _shared_between_two_instances(api_factory, token, redis_url=REDIS_URL)
    connection = redis.from_url(REDIS_URL)
    try:
        keys = await connection.keys(f"sg:budget:{client.token_hash[:32]}:*")
        assert len(keys) == 1 and int(await connection.get(keys[0])) == 6
        assert 0 < await connection.ttl(keys[0]) <= 2 * 3600
    finally:
        await connection.aclose()


async def test_fair_use_a_new_hour_forgets_the_finished_ones_in_the_database(inst, api_factory):
    from models.challenges import ThrottleCounter

    _, token = await partner_client(inst)
    api = api_factory(api_points_per_hour=100).with_token(token)
    with time_machine.travel(TEN_PAST, tick=False) as clock:
        await api.data(CHEAP)
        for hours in range(1, 4):
            clock.move_to(TEN_PAST + timedelta(hours=hours))
            await api.data(CHEAP)
    assert await ThrottleCounter.filter(key__startswith="sg:budget:").count() == 1
