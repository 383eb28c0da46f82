"""C1, C2: the cookie notice is due unless the browser and, signed in, the account
acknowledged it in the last 30 days."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from models.users import User
from tests import factories as f

NOTICE = "{ cookieNotice { due text lastAcknowledgedAt } }"
ACK = "mutation { acknowledgeCookieNotice { due text lastAcknowledgedAt } }"
T0 = datetime(2026, 11, 28, 9, 15, tzinfo=timezone.utc)


async def notice(api):
    return (await api.data(NOTICE))["cookieNotice"]


async def acknowledge(api):
    return (await api.data(ACK))["acknowledgeCookieNotice"]


async def sign_in(api, env, user=None):
    """A fresh session at the (possibly travelled) current time; sessions idle out in 30 min."""
    user = user or await f.user(env)
    api.with_session(await f.session_cookie(env, user))
    return user


async def test_C1_anonymous_new_browser_is_due_with_the_text_naming_our_cookies(api):
    await f.environment()
    n = await notice(api)
    assert n["due"] is True and n["lastAcknowledgedAt"] is None
    for cookie in ("studygate", "studygate_env", "studygate_cookie_ack", "strictly necessary"):
        assert cookie in n["text"]


async def test_C1_text_comes_from_the_setting(api_factory):
    await f.environment()
    api = api_factory(cookie_notice_text="Only necessary cookies.")
    assert (await notice(api))["text"] == "Only necessary cookies."


async def test_C1_production_text_names_the_host_prefixed_session_cookie(api_factory):
    await f.environment()
    assert "__Host-studygate" in (await notice(api_factory(dev=False)))["text"]


async def test_C2_anonymous_acknowledgement_is_kept_for_30_days_by_the_browser(api):
    await f.environment()
    with time_machine.travel(T0, tick=False):
        ack = await acknowledge(api)
        assert ack["due"] is False and ack["lastAcknowledgedAt"] == T0.isoformat()
    with time_machine.travel(T0 + timedelta(days=30) - timedelta(seconds=1), tick=False):
        n = await notice(api)
        assert n["due"] is False and n["lastAcknowledgedAt"] == T0.isoformat()
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert (await notice(api))["due"] is True


async def test_C2_acknowledgement_cookie_is_signed_httponly_and_lax(api):
    await f.environment()
    response = await api.post(ACK)
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("studygate_cookie_ack="))
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=31536000"):
        assert attribute in cookie


@pytest.mark.parametrize("forged", ["1795000000", "1795000000.AAAAAAAAAAAAAAAAAAAAAA", "x.y"])
async def test_C1_tampered_acknowledgement_cookie_is_ignored(api, forged):
    await f.environment()
    api.http.cookies.set("studygate_cookie_ack", forged)
    assert (await notice(api))["due"] is True


async def test_C2_signed_in_acknowledgement_records_browser_and_account(api):
    env = await f.environment()
    with time_machine.travel(T0, tick=False):
        user = await sign_in(api, env)
        await acknowledge(api)
    stored = await User.get(id=user.id)
    assert stored.cookie_notice_acknowledged_at == T0
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        await sign_in(api, env, user)
        assert (await notice(api))["due"] is False
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        await sign_in(api, env, user)
        assert (await notice(api))["due"] is True


async def test_C1_signed_in_on_a_new_browser_is_due_although_the_account_acknowledged(api_factory):
    env = await f.environment()
    first, second = api_factory(), api_factory()
    with time_machine.travel(T0, tick=False):
        user = await sign_in(first, env)
        await acknowledge(first)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        await sign_in(second, env, user)
        n = await notice(second)
        assert n["due"] is True and n["lastAcknowledgedAt"] == T0.isoformat()


async def test_C1_account_that_never_acknowledged_is_due_in_an_acknowledged_browser(api):
    env = await f.environment()
    with time_machine.travel(T0, tick=False):
        await acknowledge(api)  # anonymous: the browser only
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        await sign_in(api, env)
        assert (await notice(api))["due"] is True
        await acknowledge(api)
        assert (await notice(api))["due"] is False


async def test_C1_stale_account_acknowledgement_is_due_although_the_browser_is_recent(api):
    env = await f.environment()
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        user = await sign_in(api, env)
        await acknowledge(api)  # both recorded
    await User.filter(id=user.id).update(cookie_notice_acknowledged_at=T0 - timedelta(days=30))
    with time_machine.travel(T0, tick=False):
        await sign_in(api, env, user)
        assert (await notice(api))["due"] is True


async def test_C2_signed_in_patient_acknowledges_for_the_browser(api):
    env = await f.environment()
    inst = await f.institution(env)
    access = await f.patient_access(inst, [await f.study(inst)])
    api.with_session(await f.session_cookie(env, access=access))
    assert (await api.data("{ viewer { __typename } }"))["viewer"]["__typename"] == "PatientViewer"
    ack = await acknowledge(api)
    assert ack["due"] is False
    assert (await notice(api))["due"] is False
