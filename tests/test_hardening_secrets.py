"""S5 secrets at rest: after the demo data and every sign-in flow, the database holds no clear
password, access code, session token, API token, link token or one-time code, and TOTP secrets
only encrypted with the server key."""

import asyncio
import json
import re

import pyotp
from tortoise.connection import get_connection

from auth.crypto import normalize_access_code
from models.patients import PatientAccess
from models.users import Authenticator, User
from resolvers.demo_catalog import DEMO_PASSWORD
from resolvers.demo_data import demo_fixture
from resolvers.fixtures import load_fixtures
from tests import dbutil
from tests import factories as f
from tests.login_flows import (
    WEBHOOK_SECRET,
    paid,
    password_login,
    patient_login,
    send,
    six_digits,
    totp_code,
    verify,
    webhook,
)
from tests.peers import SmtpPeer, http_peer, smtp_server

NEW_PASSWORD = "a brand new passphrase for S5"
RESET_PASSWORD = "another passphrase after the reset"
_TIMES = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?")  # microseconds are six digits too


class Secrets:
    """Everything secret the run saw, and the cookies its responses set."""

    def __init__(self) -> None:
        self.clear: set[str] = set()  # passwords, access codes, tokens, TOTP secrets
        self.codes: set[str] = set()  # six-digit one-time codes
        self.totp: set[str] = set()

    def cookies_of(self, api) -> None:
        token = api.http.cookies.get(api.settings.session_cookie_name)
        if token:
            self.clear.add(token)


async def database_text() -> list[tuple[str, str, str]]:
    """(table, column, text) of every text-like value in every table."""
    conn = get_connection("default")
    found = []
    for table in dbutil._tables():
        _, rows = await conn.execute_query(f'SELECT * FROM "{table}"')
        for row in rows:
            for column, value in dict(row).items():
                if isinstance(value, (bytes, bytearray, memoryview)):
                    value = bytes(value).decode("latin-1")
                elif isinstance(value, (dict, list)):
                    value = json.dumps(value)
                if isinstance(value, str):
                    found.append((table, column, value))
    return found


async def mail_link(smtp: SmtpPeer, address: str, path: str) -> str:
    for _ in range(100):  # some mails leave after the response
        for message in smtp.to(address):
            match = re.search(rf"/{path}\?token=([\w\-.~%]+)", SmtpPeer.body(message))
            if match:
                return match.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {path} mail to {address}")


async def practitioners_sign_in(make, fixture, seen: Secrets) -> None:
    totp = {u["username"]: u["totpSecrets"][0] for u in fixture["users"] if u.get("totpSecrets")}
    seen.totp |= set(totp.values())
    for user in fixture["users"]:
        api = make(user["environment"])
        await password_login(api, user["username"], "not the password")
        result = await password_login(api, user["username"], DEMO_PASSWORD)
        if result["__typename"] == "SecondFactorRequired":
            code = totp_code(totp[user["username"]], f.utcnow())
            seen.codes.add(code)
            result = await verify(api, result["challengeId"], code)
        assert result["__typename"] in ("LoginSuccess", "LoginFailed"), result
        seen.cookies_of(api)


async def patients_sign_in(make, fixture, smtp, gateway, seen: Secrets) -> None:
    envs = {i["code"]: i["environment"] for i in fixture["institutions"]}
    for access in fixture["patientAccesses"]:
        api = make(envs[access["institution"]])
        code = access["accessCode"]
        seen.clear |= {code, normalize_access_code(code)}
        result = await patient_login(api, code, access["dateOfBirth"])
        if result["__typename"] == "PaymentRequired":
            assert (await webhook(api, paid(result["challengeId"]))).status_code == 200
            await send(api, result["challengeId"])
            result = {"__typename": "SecondFactorRequired", **result, "method": "SMS"}
        if result["__typename"] == "SecondFactorRequired":
            if result["method"] == "TOTP":
                seen.totp.add(access["totpSecret"])
                one_time = totp_code(access["totpSecret"], f.utcnow())
            elif result["method"] == "SMS":
                one_time = six_digits(gateway.requests[-1].json()["text"])
            else:
                one_time = six_digits(SmtpPeer.body(smtp.to(access["email"])[-1]))
            seen.codes.add(one_time)
            result = await verify(api, result["challengeId"], one_time)
        seen.cookies_of(api)


async def accounts_flows(make, smtp, seen: Secrets) -> None:
    """Registration, approval, password reset and a TOTP enrollment, as users do them."""
    api, desk = make("BE"), make("BE")
    await password_login(desk, "servicedesk@studygate.example", DEMO_PASSWORD)
    seen.cookies_of(desk)
    form = {"username": "new.doctor@example.be", "password": NEW_PASSWORD,
            "displayName": "Dr. New", "profession": "PHYSICIAN"}
    user_id = (await api.data("mutation($i: RegisterInput!) { register(input: $i) { user { id } } }",
                              {"i": form}))["register"]["user"]["id"]
    token = await mail_link(smtp, form["username"], "verify-email")
    seen.clear.add(token)
    await api.data("mutation($t: String!) { verifyEmail(token: $t) { id } }", {"t": token})
    await desk.data("mutation($id: ID!) { approveRegistration(userId: $id) { id } }", {"id": user_id})
    await api.data('mutation($u: String!) { requestPasswordReset(username: $u) }',
                   {"u": form["username"]})
    reset = await mail_link(smtp, form["username"], "reset-password")
    seen.clear.add(reset)
    assert await api.data("mutation($t: String!, $p: String!) { resetPassword(token: $t, "
                          "newPassword: $p) }", {"t": reset, "p": RESET_PASSWORD})
    seen.clear |= {NEW_PASSWORD, RESET_PASSWORD}
    assert (await password_login(api, form["username"], RESET_PASSWORD))["__typename"] == "LoginSuccess"
    seen.cookies_of(api)
    started = (await api.data("mutation { startTotpEnrollment { enrollmentId secret } }"))
    secret = started["startTotpEnrollment"]["secret"]
    seen.totp.add(secret)
    code = pyotp.TOTP(secret).now()
    seen.codes.add(code)
    await api.data("mutation($id: ID!, $c: String!) { confirmTotpEnrollment(enrollmentId: $id, "
                   'code: $c, label: "phone") { id } }',
                   {"id": started["startTotpEnrollment"]["enrollmentId"], "c": code})


async def partner_flows(make, fixture, seen: Secrets) -> None:
    """The API clients read, and issue a patient access with TOTP (P4)."""
    uid = next(s["studyInstanceUid"] for s in fixture["studies"] if s["institution"] == "AZX")
    for client in fixture["apiClients"]:
        seen.clear.add(client["token"])
        await make("BE").with_token(client["token"]).gql("{ studies(first: 5) { totalCount } }")
    partner = make("BE").with_token(fixture["apiClients"][0]["token"])
    issued = (await partner.data(
        """mutation($i: PatientAccessInput!) { issuePatientAccess(input: $i) {
             accessCode totpProvisioningUri } }""",
        {"i": {"studyInstanceUids": [uid], "verification": "TOTP", "scope": "IMAGES"}},
    ))["issuePatientAccess"]
    seen.clear |= {issued["accessCode"], normalize_access_code(issued["accessCode"])}
    seen.totp.add(pyotp.parse_uri(issued["totpProvisioningUri"]).secret)


async def test_S5_after_a_full_demo_run_no_secret_is_stored_in_clear(api_factory):
    fixture = demo_fixture(f.utcnow())
    await load_fixtures(fixture, f.KEYRING)
    seen = Secrets()
    seen.clear.add(DEMO_PASSWORD)
    with smtp_server() as smtp, http_peer() as gateway:
        def make(environment: str):
            return api_factory(environment=environment, smtp_host="127.0.0.1",
                               smtp_port=smtp.port, sms_gateway_url=gateway.url,
                               payment_webhook_secret=WEBHOOK_SECRET)

        await practitioners_sign_in(make, fixture, seen)
        await patients_sign_in(make, fixture, smtp, gateway, seen)
        await accounts_flows(make, smtp, seen)
        await partner_flows(make, fixture, seen)

    assert len(seen.codes) >= 5 and len(seen.totp) >= 4 and len(seen.clear) >= 30
    found = await database_text()
    for table, column, text in found:
        lowered = text.lower()
        for secret in seen.clear | seen.totp:
            assert secret.lower() not in lowered, f"{table}.{column} holds a secret in clear"
        untimed = _TIMES.sub(" ", text)
        for code in seen.codes:
            assert not re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", untimed), (
                f"{table}.{column} holds a one-time code")
    # Passwords: argon2id only. TOTP secrets: encrypted with the server key, readable with it.
    assert {u.password_hash[:10] for u in await User.all()} == {"$argon2id$"}
    encrypted = [a.secret_encrypted for a in await Authenticator.all()] + [
        p.totp_secret_encrypted for p in await PatientAccess.exclude(totp_secret_encrypted=None)]
    assert {f.KEYRING.decrypt(e) for e in encrypted} == seen.totp
