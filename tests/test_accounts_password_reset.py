"""L10 password reset: always true, a single-use link for 1 hour, every session ends."""

from datetime import timedelta

import time_machine

from models.challenges import EmailToken
from models.sessions import Session
from models.users import AccountStatus
from tests import factories as f
from tests.accounts_support import (
    NEW_PASSWORD, REQUEST_RESET, RESET, mails_to, smtp_settings, token_in,
)
from tests.api import error_codes
from tests.peers import smtp_server
from tests.test_login_password import VIEWER, login
from tests.test_login_throttle import fail


async def reset_link(api, peer, username, count=1):
    assert (await api.data(REQUEST_RESET, {"u": username}))["requestPasswordReset"] is True
    mails = await mails_to(peer, username.strip().lower(), count)
    assert len(mails) == count
    return token_in(mails[-1], "reset-password")


async def test_L10_anonymous_reset_ends_every_session_and_changes_the_password(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        browser = api_factory(**smtp_settings(peer))
        assert (await login(browser, "an@example.be"))["__typename"] == "LoginSuccess"
        other = api_factory().with_session(await f.session_cookie(env, await f.user(env, "bo@example.be")))
        anonymous = api_factory(**smtp_settings(peer))
        token = await reset_link(anonymous, peer, "An@Example.be")
        assert "https://be.studygate.example/reset-password?token=" in peer.body(peer.messages[0])
        assert (await anonymous.data(RESET, {"t": token, "p": NEW_PASSWORD}))["resetPassword"] is True

    assert (await browser.data(VIEWER))["viewer"] is None  # the old session is dead
    assert await Session.filter(user__username="an@example.be", ended_at=None).count() == 0
    assert (await other.data(VIEWER))["viewer"]["username"] == "bo@example.be"  # not his
    assert (await login(anonymous, "an@example.be"))["reason"] == "INVALID_CREDENTIALS"
    assert (await login(anonymous, "an@example.be", NEW_PASSWORD))["__typename"] == "LoginSuccess"


async def test_L10_the_link_works_once(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        token = await reset_link(api, peer, "an@example.be")
        assert (await api.data(RESET, {"t": token, "p": NEW_PASSWORD}))["resetPassword"] is True
        replay = await api.gql(RESET, {"t": token, "p": "yet another passphrase here"})
    assert error_codes(replay) == ["BAD_USER_INPUT"]
    assert replay["errors"][0]["extensions"]["argument"] == "token"
    assert (await login(api, "an@example.be", NEW_PASSWORD))["__typename"] == "LoginSuccess"


async def test_L10_the_link_expires_after_one_hour(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        token = await reset_link(api, peer, "an@example.be")
        row = await EmailToken.get()
        assert row.expires_at - row.created_at == timedelta(hours=1)
        with time_machine.travel(row.expires_at + timedelta(seconds=1), tick=False):
            expired = await api.gql(RESET, {"t": token, "p": NEW_PASSWORD})
    assert error_codes(expired) == ["BAD_USER_INPUT"]
    assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"  # unchanged


async def test_L10_an_unknown_username_gets_true_and_no_mail(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    nl = await f.environment("NL")
    await f.user(nl, "nl.only@example.nl")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for unknown in ["ghost@example.be", "nl.only@example.nl", "", "x" * 5000]:
            assert (await api.data(REQUEST_RESET, {"u": unknown}))["requestPasswordReset"] is True
        await reset_link(api, peer, "an@example.be")  # a known one, after: its mail arrives
    assert [m["X-Envelope-To"] for m in peer.messages] == ["an@example.be"]
    assert await EmailToken.all().count() == 1


async def test_L10_unverified_and_disabled_accounts_get_no_mail(api_factory):
    env = await f.environment()
    await f.user(env, "new@example.be", status=AccountStatus.PENDING_EMAIL_VERIFICATION)
    await f.user(env, "gone@example.be", status=AccountStatus.DISABLED)
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for name in ["new@example.be", "gone@example.be"]:
            assert (await api.data(REQUEST_RESET, {"u": name}))["requestPasswordReset"] is True
        await reset_link(api, peer, "an@example.be")
    assert [m["X-Envelope-To"] for m in peer.messages] == ["an@example.be"]


async def test_L10_at_most_5_reset_mails_per_username_an_hour(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for _ in range(7):
            assert (await api.data(REQUEST_RESET, {"u": "an@example.be"}))["requestPasswordReset"]
        assert len(await mails_to(peer, "an@example.be", 5)) == 5
    assert await EmailToken.all().count() == 5


async def test_L10_a_refused_password_keeps_the_link_usable(api_factory):
    env = await f.environment()
    await f.user(env, "an.peeters@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        token = await reset_link(api, peer, "an.peeters@example.be")
        for bad in ["too short", "1qaz2wsx3edc", "an.peeters is my name", "p" * 10_000]:
            body = await api.gql(RESET, {"t": token, "p": bad})
            assert error_codes(body) == ["BAD_USER_INPUT"], bad
            assert body["errors"][0]["extensions"]["argument"] == "newPassword"
        assert (await api.data(RESET, {"t": token, "p": NEW_PASSWORD}))["resetPassword"] is True


async def test_L10_a_newer_reset_kills_the_older_links_and_lifts_the_L3_lockout(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        first = await reset_link(api, peer, "an@example.be")
        second = await reset_link(api, peer, "an@example.be", 2)
        await fail(api, "an@example.be", 10)
        assert (await login(api, "an@example.be"))["reason"] == "TOO_MANY_ATTEMPTS"
        assert (await api.data(RESET, {"t": second, "p": NEW_PASSWORD}))["resetPassword"] is True
        assert error_codes(await api.gql(RESET, {"t": first, "p": "some other passphrase"})) == [
            "BAD_USER_INPUT"]
    assert (await login(api, "an@example.be", NEW_PASSWORD))["__typename"] == "LoginSuccess"


async def test_L10_a_link_from_another_environment_or_purpose_is_refused(api_factory):
    env = await f.environment()
    await f.environment("NL")
    await f.user(env, "an@example.be")
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        token = await reset_link(api, peer, "an@example.be")
        nl = api_factory(environment="NL")
        assert error_codes(await nl.gql(RESET, {"t": token, "p": NEW_PASSWORD})) == ["BAD_USER_INPUT"]
        verify = await api.gql("mutation($t: String!) { verifyEmail(token: $t) { id } }", {"t": token})
        assert error_codes(verify) == ["BAD_USER_INPUT"]
    assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"
