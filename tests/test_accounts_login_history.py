"""L11 login history: the signed-in account's own attempts, newest first, at most 100."""

from datetime import datetime, timedelta

import time_machine

from models.sessions import LoginAttempt
from tests import factories as f
from tests.accounts_support import HISTORY
from tests.api import error_codes
from tests.test_login_password import login

WRONG = "definitely the wrong password"


async def test_L11_anonymous_callers_are_UNAUTHENTICATED(api):
    await f.environment()
    assert error_codes(await api.gql(HISTORY, {"n": 5})) == ["UNAUTHENTICATED"]


async def test_L11_patients_and_api_clients_have_no_history_FORBIDDEN(api_factory):
    env = await f.environment()
    inst = await f.institution(env)
    patient = api_factory().with_session(
        await f.session_cookie(env, access=await f.patient_access(inst, [])))
    _, token = await f.api_client(inst)
    for caller in (patient, api_factory().with_token(token)):
        assert error_codes(await caller.gql(HISTORY, {"n": 5})) == ["FORBIDDEN"]


async def test_L11_shows_own_attempts_newest_first_and_never_another_users(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    await f.user(env, "bo@example.be")
    api = api_factory()
    start = f.utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        assert (await login(api, "an@example.be", WRONG))["reason"] == "INVALID_CREDENTIALS"
        clock.shift(timedelta(minutes=1))
        assert (await login(api_factory(), "bo@example.be", WRONG))["reason"] == "INVALID_CREDENTIALS"
        assert (await login(api_factory(), "bo@example.be"))["__typename"] == "LoginSuccess"
        clock.shift(timedelta(minutes=1))
        assert (await login(api, "AN@example.be"))["__typename"] == "LoginSuccess"
        history = (await api.data(HISTORY, {"n": 20}))["loginHistory"]
    assert [(h["succeeded"], h["method"], h["ipAddress"]) for h in history] == [
        (True, "PASSWORD", "127.0.0.1"), (False, "PASSWORD", "127.0.0.1")]
    times = [datetime.fromisoformat(h["at"]) for h in history]
    assert times == [start + timedelta(minutes=2), start]


async def test_L11_returns_at_most_100_and_first_is_checked(api_factory):
    env = await f.environment()
    doctor = await f.user(env, "an@example.be")
    other = await f.user(env, "bo@example.be")
    base = f.utcnow() - timedelta(days=1)
    await LoginAttempt.bulk_create([
        LoginAttempt(environment=env, user=doctor, username_key="an@example.be", method="PASSWORD",
                     succeeded=i % 2 == 0, ip_address="192.0.2.7", at=base + timedelta(seconds=i))
        for i in range(130)
    ] + [LoginAttempt(environment=env, user=other, username_key="bo@example.be", method="EID",
                      succeeded=True, ip_address="198.51.100.1", at=base + timedelta(hours=2))])
    api = api_factory().with_session(await f.session_cookie(env, doctor))
    full = (await api.data(HISTORY, {"n": 100}))["loginHistory"]
    assert len(full) == 100 and {h["ipAddress"] for h in full} == {"192.0.2.7"}
    assert full[0]["at"] > full[-1]["at"]
    assert datetime.fromisoformat(full[0]["at"]) == base + timedelta(seconds=129)
    assert len((await api.data("{ loginHistory { at } }"))["loginHistory"]) == 20  # the default
    for bad in (0, 101, -5):
        body = await api.gql(HISTORY, {"n": bad})
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["argument"] == "first"
