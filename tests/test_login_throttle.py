"""L3 brute force and S2b aliases: counters per username and per address, shared by instances."""

import uuid
from datetime import timedelta

import pytest
import time_machine

from tests import factories as f
from tests.test_login_password import LOGIN, login

WRONG = "definitely the wrong password"


async def fail(api, username, times):
    for _ in range(times):
        assert (await login(api, username, WRONG))["reason"] == "INVALID_CREDENTIALS"


async def test_L3_ten_failures_lock_the_username_even_for_the_right_password(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        await fail(api, "an@example.be", 10)
        locked = await login(api, "AN@example.be")  # case does not matter
        assert locked["reason"] == "TOO_MANY_ATTEMPTS"
        assert 0 < locked["retryAfterSeconds"] <= 15 * 60
        clock.shift(timedelta(minutes=14))
        assert (await login(api, "an@example.be"))["reason"] == "TOO_MANY_ATTEMPTS"
        clock.shift(timedelta(minutes=1, seconds=1))
        assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"


async def test_L3_unknown_usernames_lock_too(api):
    await f.environment()
    await fail(api, "ghost@example.be", 10)
    assert (await login(api, "ghost@example.be", WRONG))["reason"] == "TOO_MANY_ATTEMPTS"


async def test_L3_only_consecutive_failures_count(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    await fail(api, "an@example.be", 9)
    assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"
    await fail(api, "an@example.be", 9)
    assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"


async def test_L3_one_address_gets_100_failed_logins_an_hour(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    for i in range(100):
        assert (await login(api, f"user{i}@example.be", WRONG))["reason"] == "INVALID_CREDENTIALS"
    refused = await login(api, "an@example.be")
    assert refused["reason"] == "TOO_MANY_ATTEMPTS" and refused["retryAfterSeconds"] > 0


async def test_S2b_aliases_in_one_request_each_count_as_an_attempt(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    fields = " ".join(
        f'a{i}: loginWithPassword(username: "an@example.be", password: "{WRONG}") '
        "{ ... on LoginFailed { reason } }" for i in range(12))
    data = await api.data(f"mutation {{ {fields} }}")
    reasons = [data[f"a{i}"]["reason"] for i in range(12)]
    assert reasons == ["INVALID_CREDENTIALS"] * 10 + ["TOO_MANY_ATTEMPTS"] * 2
    assert (await login(api, "an@example.be"))["reason"] == "TOO_MANY_ATTEMPTS"


async def test_L3_a_lockout_in_redis_is_shared_by_two_server_instances(api_factory):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (.ci/run starts it)")
    env = await f.environment()
    name = f"redis-{uuid.uuid4().hex[:8]}@example.be"
    await f.user(env, name)
    first = api_factory(redis_url="redis://127.0.0.1:6379/0")
    second = api_factory(redis_url="redis://127.0.0.1:6379/0")
    await fail(first, name, 10)
    refused = await login(second, name)
    assert refused["reason"] == "TOO_MANY_ATTEMPTS" and refused["retryAfterSeconds"] > 0
    # Not in the database: the counters really live in Redis.
    from models.challenges import ThrottleCounter

    assert await ThrottleCounter.all().count() == 0
