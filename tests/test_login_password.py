"""L1, L2, L8: password login, account states, sessions."""

from datetime import timedelta

import time_machine

from models.sessions import LoginAttempt, Session
from models.users import AccountRole, AccountStatus
from tests import factories as f
from tests.api import error_codes

LOGIN = """
mutation($u: String!, $p: String!) {
  loginWithPassword(username: $u, password: $p) {
    __typename
    ... on LoginSuccess { expiresAt previousFailedAttempts viewer { ... on User { username status } } }
    ... on LoginFailed { reason message retryAfterSeconds }
  }
}"""
VIEWER = "{ viewer { __typename ... on User { username } } }"


async def login(api, username, password=f.PASSWORD):
    return (await api.data(LOGIN, {"u": username, "p": password}))["loginWithPassword"]


async def test_L1_anonymous_viewer_is_null(api):
    await f.environment()
    assert (await api.data(VIEWER))["viewer"] is None


async def test_L1_right_password_signs_in_case_insensitively_and_sets_the_cookie(api):
    env = await f.environment()
    await f.user(env, "An.Peeters@example.be")
    result = await login(api, "AN.PEETERS@EXAMPLE.BE")
    assert result["__typename"] == "LoginSuccess"
    assert result["viewer"]["username"] == "An.Peeters@example.be"
    assert api.http.cookies.get("studygate")
    assert (await api.data(VIEWER))["viewer"]["username"] == "An.Peeters@example.be"


async def test_L1_wrong_password_and_unknown_user_get_the_same_answer(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    wrong = await login(api, "an@example.be", "not the password at all")
    unknown = await login(api, "nobody@example.be", "not the password at all")
    assert wrong == unknown
    assert wrong["reason"] == "INVALID_CREDENTIALS"
    assert "studygate" not in api.http.cookies


async def test_L1_unknown_user_still_checks_a_hash(api, monkeypatch):
    from auth import crypto

    await f.environment()
    checked = []
    real = crypto._hasher

    class Spy:
        def verify(self, hash_, password):
            checked.append(hash_)
            return real.verify(hash_, password)

    monkeypatch.setattr(crypto, "_hasher", Spy())
    result = await login(api, "nobody@example.be", "whatever password")
    assert result["reason"] == "INVALID_CREDENTIALS"
    assert checked == [crypto._DUMMY_HASH]


async def test_L1_argon2_runs_off_the_event_loop_at_the_lowest_cpu_priority(api, monkeypatch):
    """A password check must not stall the requests the event loop is serving (issue 9)."""
    import os
    import threading

    from auth import crypto

    env = await f.environment()
    await f.user(env, "an@example.be")
    seen = []
    real = crypto._hasher

    class Spy:
        def verify(self, hash_, password):
            seen.append((threading.get_ident(),
                         os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
            return real.verify(hash_, password)

    monkeypatch.setattr(crypto, "_hasher", Spy())
    assert (await login(api, "an@example.be"))["__typename"] == "LoginSuccess"
    assert len(seen) == 1
    thread, niceness = seen[0]
    assert thread != threading.get_ident()  # not the event loop's thread
    assert niceness == crypto.LOW_PRIORITY


async def test_L1_passwords_are_stored_with_argon2id(api):
    env = await f.environment()
    u = await f.user(env)
    assert u.password_hash.startswith("$argon2id$")


async def test_L2_pending_and_disabled_accounts_are_told_only_with_the_right_password(api):
    env = await f.environment()
    await f.user(env, "pending@example.be", status=AccountStatus.PENDING_APPROVAL)
    await f.user(env, "verify@example.be", status=AccountStatus.PENDING_EMAIL_VERIFICATION)
    await f.user(env, "off@example.be", status=AccountStatus.DISABLED)
    assert (await login(api, "pending@example.be"))["reason"] == "ACCOUNT_PENDING"
    assert (await login(api, "verify@example.be"))["reason"] == "ACCOUNT_PENDING"
    assert (await login(api, "off@example.be"))["reason"] == "ACCOUNT_DISABLED"
    for name in ("pending@example.be", "off@example.be"):
        assert (await login(api, name, "wrong password here"))["reason"] == "INVALID_CREDENTIALS"
    assert "studygate" not in api.http.cookies


DISABLE = "mutation($id: ID!) { disableUser(userId: $id) { status } }"
ENABLE = "mutation($id: ID!) { enableUser(userId: $id) { status } }"


async def test_L2_L8_service_desk_disables_and_the_session_ends_at_once(api_factory):
    env = await f.environment()
    doctor = await f.user(env, "doc@example.be")
    desk = await f.user(env, "desk@example.be", role=AccountRole.SERVICE_DESK)
    doctor_api = api_factory().with_session(await f.session_cookie(env, doctor))
    desk_api = api_factory().with_session(await f.session_cookie(env, desk))
    doctor_id = (await doctor_api.data("{ viewer { ... on User { id } } }"))["viewer"]["id"]

    assert (await desk_api.data(DISABLE, {"id": doctor_id}))["disableUser"]["status"] == "DISABLED"
    assert (await doctor_api.data(VIEWER))["viewer"] is None
    assert (await login(api_factory(), "doc@example.be"))["reason"] == "ACCOUNT_DISABLED"

    assert (await desk_api.data(ENABLE, {"id": doctor_id}))["enableUser"]["status"] == "ACTIVE"
    assert (await login(api_factory(), "doc@example.be"))["__typename"] == "LoginSuccess"


async def test_L2_others_may_not_disable_or_enable(api_factory):
    env = await f.environment()
    doctor = await f.user(env)
    other = await f.user(env)
    other_api = api_factory().with_session(await f.session_cookie(env, other))
    from schema.ids import to_global_id

    target = to_global_id("User", doctor.id)
    body = await other_api.gql(DISABLE, {"id": target})
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
    assert error_codes(await api_factory().gql(ENABLE, {"id": target})) == ["UNAUTHENTICATED"]
    await doctor.refresh_from_db()
    assert doctor.status == AccountStatus.ACTIVE


async def test_L8_dev_cookie_is_httponly_lax_and_not_secure(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    response = await api.post(LOGIN, {"u": "an@example.be", "p": f.PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("studygate=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie and "Domain" not in cookie


async def test_L8_production_cookie_is_host_prefixed_and_secure(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    api = api_factory(dev=False)
    response = await api.post(LOGIN, {"u": "an@example.be", "p": f.PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-studygate=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie


async def test_L8_token_has_128_bits_is_stored_hashed_and_new_at_every_login(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    api = api_factory()
    await login(api, "an@example.be")
    first = api.http.cookies["studygate"]
    await login(api, "an@example.be")
    second = api.http.cookies["studygate"]
    assert first != second and len(first) >= 22  # 32 random bytes, base64url
    stored = await Session.all().values_list("token_hash", flat=True)
    assert first not in stored and second not in stored
    assert f.KEYRING.token_hash(second) in stored
    # The session replaced by the second login is over.
    assert (await api_factory().with_session(first).data(VIEWER))["viewer"] is None


async def test_L8_logout_ends_the_session_server_side(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    api = api_factory()
    await login(api, "an@example.be")
    token = api.http.cookies["studygate"]
    assert (await api.data("mutation { logout }"))["logout"] is True
    replay = api_factory().with_session(token)
    assert (await replay.data(VIEWER))["viewer"] is None


async def test_L8_session_ends_after_30_minutes_idle(api_factory):
    env = await f.environment()
    u = await f.user(env)
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        api = api_factory().with_session(await f.session_cookie(env, u))
        clock.shift(timedelta(minutes=29))
        assert (await api.data(VIEWER))["viewer"] is not None  # activity resets the idle clock
        clock.shift(timedelta(minutes=29))
        assert (await api.data(VIEWER))["viewer"] is not None
        clock.shift(timedelta(minutes=30, seconds=1))
        assert (await api.data(VIEWER))["viewer"] is None


async def test_L8_session_ends_4_hours_after_login_even_when_active(api_factory):
    env = await f.environment()
    u = await f.user(env)
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        api = api_factory().with_session(await f.session_cookie(env, u))
        for _ in range(11):
            clock.shift(timedelta(minutes=20))
            assert (await api.data(VIEWER))["viewer"] is not None
        clock.shift(timedelta(minutes=20, seconds=1))  # 4 h + 1 s after login
        assert (await api.data(VIEWER))["viewer"] is None


async def test_L11_attempts_are_recorded_and_failures_counted_on_success(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    for _ in range(3):
        await login(api, "an@example.be", "wrong password 123")
    result = await login(api, "an@example.be")
    assert result["previousFailedAttempts"] == 3
    assert (await login(api, "an@example.be"))["previousFailedAttempts"] == 0
    attempts = await LoginAttempt.all().order_by("id")
    assert [a.succeeded for a in attempts] == [False, False, False, True, True]
    assert all(a.ip_address == "127.0.0.1" and a.method == "PASSWORD" for a in attempts)


async def test_bad_input_empty_or_huge_password_is_bad_user_input(api):
    await f.environment()
    for password in ("", "x" * 10_000):
        body = await api.gql(LOGIN, {"u": "an@example.be", "p": password})
        assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await LoginAttempt.all().count() == 0
