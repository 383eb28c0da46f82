"""L12 practitioner two-factor: authenticators, TOTP or e-mail after the password, required mode."""

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import time_machine

from models.challenges import PendingTotpEnrollment
from models.users import AccountRole, Authenticator
from tests import factories as f
from tests.api import error_codes
from tests.login_flows import (
    TOTP_SECRET,
    password_login,
    six_digits,
    totp_code,
    verify,
    wrong_code,
)
from tests.peers import SmtpPeer, smtp_server

START = "mutation { startTotpEnrollment { enrollmentId secret provisioningUri } }"
CONFIRM = """mutation($id: ID!, $code: String!, $label: String!) {
  confirmTotpEnrollment(enrollmentId: $id, code: $code, label: $label) { id label createdAt lastUsedAt } }"""
REMOVE = "mutation($id: ID!) { removeAuthenticator(id: $id) { id label } }"
MINE = "{ viewer { ... on User { authenticators { id label } } } }"


async def _signed_in(api, env=None, username="an@example.be", **kw):
    env = env or await f.environment()
    user = await f.user(env, username, **kw)
    api.with_session(await f.session_cookie(env, user=user))
    return user


async def _enrol(api, label="Phone") -> tuple[str, list[dict]]:
    started = (await api.data(START))["startTotpEnrollment"]
    code = totp_code(started["secret"], f.utcnow())
    confirmed = await api.data(CONFIRM, {"id": started["enrollmentId"], "code": code, "label": label})
    return started["secret"], confirmed["confirmTotpEnrollment"]


async def _with_authenticator(env, username="an@example.be", secret=TOTP_SECRET):
    user = await f.user(env, username)
    await Authenticator.create(user=user, label="Phone", secret_encrypted=f.KEYRING.encrypt(secret))
    return user


async def test_L12_anonymous_patients_clients_and_service_desk_cannot_enrol(api, api_factory):
    env = await f.environment()
    assert error_codes(await api.gql(START)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(REMOVE, {"id": "QXV0aGVudGljYXRvcjox"})) == ["UNAUTHENTICATED"]
    inst = await f.institution(env)
    access = await f.patient_access(inst, [await f.study(inst)])
    patient = api_factory().with_session(await f.session_cookie(env, access=access))
    assert error_codes(await patient.gql(START)) == ["FORBIDDEN"]
    _, token = await f.api_client(inst)
    assert error_codes(await api_factory().with_token(token).gql(START)) == ["FORBIDDEN"]
    desk = api_factory()
    await _signed_in(desk, env, "desk@example.be", role=AccountRole.SERVICE_DESK)
    assert error_codes(await desk.gql(START)) == ["FORBIDDEN"]


async def test_L12_enrolment_gives_a_160_bit_secret_kept_encrypted_until_the_first_code(api):
    user = await _signed_in(api)
    started = (await api.data(START))["startTotpEnrollment"]
    secret = started["secret"]
    assert len(secret) >= 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    uri = urlparse(started["provisioningUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/StudyGate:an@example.be"
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["StudyGate"]}
    pending = await PendingTotpEnrollment.get(public_id=started["enrollmentId"])
    assert secret not in pending.secret_encrypted  # S5
    assert f.KEYRING.decrypt(pending.secret_encrypted) == secret
    wrong = await api.gql(CONFIRM, {"id": started["enrollmentId"], "label": "Phone",
                                    "code": wrong_code(totp_code(secret, f.utcnow()))})
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    assert await Authenticator.filter(user=user).count() == 0
    confirmed = await api.data(CONFIRM, {"id": started["enrollmentId"], "label": " Phone ",
                                         "code": totp_code(secret, f.utcnow())})
    [authenticator] = confirmed["confirmTotpEnrollment"]
    assert authenticator["label"] == "Phone"
    row = await Authenticator.get(user=user)
    assert secret not in row.secret_encrypted and f.KEYRING.decrypt(row.secret_encrypted) == secret
    assert (await api.data(MINE))["viewer"]["authenticators"] == [
        {"id": authenticator["id"], "label": "Phone"}]
    again = await api.gql(CONFIRM, {"id": started["enrollmentId"], "label": "Phone",
                                    "code": totp_code(secret, f.utcnow())})
    assert error_codes(again) == ["NOT_FOUND"]  # an enrolment is confirmed once


async def test_L12_at_most_five_authenticators(api):
    await _signed_in(api)
    for i in range(5):
        _, listed = await _enrol(api, f"Device {i}")
    assert len(listed) == 5
    started = (await api.data(START))["startTotpEnrollment"]
    sixth = await api.gql(CONFIRM, {"id": started["enrollmentId"], "label": "Sixth",
                                    "code": totp_code(started["secret"], f.utcnow())})
    assert error_codes(sixth) == ["CONFLICT"]


async def test_L12_enrolments_expire_and_belong_to_their_user(api, api_factory):
    env = await f.environment()
    await _signed_in(api, env)
    other = api_factory()
    await _signed_in(other, env, "bart@example.be")
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        started = (await api.data(START))["startTotpEnrollment"]
        variables = {"id": started["enrollmentId"], "label": "Phone",
                     "code": totp_code(started["secret"], f.utcnow())}
        assert error_codes(await other.gql(CONFIRM, variables)) == ["NOT_FOUND"]
        clock.shift(timedelta(minutes=15))
        variables["code"] = totp_code(started["secret"], f.utcnow())
        assert error_codes(await api.gql(CONFIRM, variables)) == ["NOT_FOUND"]


async def test_L12_remove_only_your_own_authenticator(api, api_factory):
    env = await f.environment()
    await _signed_in(api, env)
    _, [mine] = await _enrol(api)
    other = api_factory()
    await _signed_in(other, env, "bart@example.be")
    assert error_codes(await other.gql(REMOVE, {"id": mine["id"]})) == ["NOT_FOUND"]
    assert error_codes(await other.gql(REMOVE, {"id": "garbage"})) == ["BAD_USER_INPUT"]
    assert (await api.data(REMOVE, {"id": mine["id"]}))["removeAuthenticator"] == []
    assert error_codes(await api.gql(REMOVE, {"id": mine["id"]})) == ["NOT_FOUND"]


async def test_L12_with_an_authenticator_the_password_asks_for_a_totp_code(api):
    env = await f.environment()
    await _with_authenticator(env)
    with time_machine.travel(f.utcnow(), tick=False):
        challenge = await password_login(api, "AN@example.be")
        assert challenge["__typename"] == "SecondFactorRequired"
        assert (challenge["method"], challenge["destinationHint"]) == ("TOTP", None)
        assert "studygate" not in api.http.cookies
        code = totp_code(TOTP_SECRET, f.utcnow())
        result = await verify(api, challenge["challengeId"], code)
        assert result["__typename"] == "LoginSuccess"
        assert result["viewer"] == {"__typename": "User", "username": "an@example.be"}
        assert api.http.cookies.get("studygate")
        replay = await verify(api, (await password_login(api, "an@example.be"))["challengeId"], code)
        assert replay["reason"] == "INVALID_CODE"
    assert (await Authenticator.get(user__username="an@example.be")).last_used_at is not None


async def test_L12_a_wrong_password_never_reaches_the_second_factor(api):
    env = await f.environment()
    await _with_authenticator(env)
    assert (await password_login(api, "an@example.be", "wrong password!"))[
        "reason"] == "INVALID_CREDENTIALS"


async def test_L12_useEmail_sends_a_code_to_the_accounts_address(api_factory):
    env = await f.environment()
    await _with_authenticator(env)
    with smtp_server() as smtp:
        api = api_factory(smtp_host="127.0.0.1", smtp_port=smtp.port)
        challenge = await password_login(api, "an@example.be", use_email=True)
        assert (challenge["method"], challenge["destinationHint"]) == ("EMAIL", "a***@example.be")
        code = six_digits(SmtpPeer.body(smtp.to("an@example.be")[-1]))
    result = await verify(api, challenge["challengeId"], code)
    assert result["__typename"] == "LoginSuccess"


async def test_L12_required_mode_sends_an_email_code_to_accounts_without_authenticator(api_factory):
    env = await f.environment()
    await f.user(env, "an@example.be")
    optional = api_factory()
    assert (await password_login(optional, "an@example.be"))["__typename"] == "LoginSuccess"
    with smtp_server() as smtp:
        api = api_factory(smtp_host="127.0.0.1", smtp_port=smtp.port, practitioner_2fa="required")
        challenge = await password_login(api, "an@example.be")
        assert challenge["method"] == "EMAIL"
        code = six_digits(SmtpPeer.body(smtp.to("an@example.be")[-1]))
    assert (await verify(api, challenge["challengeId"], wrong_code(code)))["reason"] == "INVALID_CODE"
    result = await verify(api, challenge["challengeId"], code)
    assert result["__typename"] == "LoginSuccess" and result["previousFailedAttempts"] == 1


async def test_L12_wrong_codes_count_against_the_username_like_wrong_passwords(api):
    env = await f.environment()
    await _with_authenticator(env)
    with time_machine.travel(f.utcnow(), tick=False):
        right = totp_code(TOTP_SECRET, f.utcnow())
        for _ in range(2):
            challenge_id = (await password_login(api, "an@example.be"))["challengeId"]
            for _ in range(5):
                assert (await verify(api, challenge_id, wrong_code(right)))["reason"] == "INVALID_CODE"
        locked = await password_login(api, "an@example.be")
        assert locked["reason"] == "TOO_MANY_ATTEMPTS" and locked["retryAfterSeconds"] > 0


async def test_L12_a_locked_username_cannot_finish_a_live_challenge(api):
    env = await f.environment()
    await _with_authenticator(env)
    with time_machine.travel(f.utcnow(), tick=False):
        right = totp_code(TOTP_SECRET, f.utcnow())
        live = (await password_login(api, "an@example.be"))["challengeId"]
        for _ in range(2):
            challenge_id = (await password_login(api, "an@example.be"))["challengeId"]
            for _ in range(5):
                await verify(api, challenge_id, wrong_code(right))
        refused = await verify(api, live, right)
        assert refused["reason"] == "TOO_MANY_ATTEMPTS"


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
async def test_L12_labels_are_1_to_100_characters(api, label):
    await _signed_in(api)
    started = (await api.data(START))["startTotpEnrollment"]
    body = await api.gql(CONFIRM, {"id": started["enrollmentId"], "label": label,
                                   "code": totp_code(started["secret"], f.utcnow())})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "label"
