"""L4-L6, L12 over the demo data: every patient sign-in of the README behaves as printed, and the
payment flow works against a real `studygate serve` process, its SMS gateway and its provider."""

from datetime import UTC, datetime

import httpx
import pytest

from resolvers.demo_catalog import BART_TOTP_SECRET, DEMO_PASSWORD
from resolvers.demo_data import PATIENT_TOTP_SECRET, demo_fixture
from resolvers.fixtures import load_fixtures
from tests import factories as f
from tests.live import live_server
from tests.login_flows import (
    PATIENT_LOGIN,
    VERIFY,
    WEBHOOK_SECRET,
    paid,
    password_login,
    patient_login,
    signed,
    six_digits,
    totp_code,
    verify,
)
from tests.peers import http_peer

NOW = datetime.now(UTC)


@pytest.fixture
async def demo(db):
    await load_fixtures(demo_fixture(NOW), f.KEYRING, NOW)


DEMO_PATIENTS = [
    ("DATE-AAAA-3333-4444", "1980-02-03", ("LoginSuccess", None)),
    ("date aaaa 3333 4444", "1980-02-03", ("LoginSuccess", None)),
    ("TEAM-AAAA-3333-6666", "1975-06-15", ("SecondFactorRequired", "TOTP")),
    ("TEXT-AAAA-3333-7777", "1990-09-21", ("SecondFactorRequired", "SMS")),
    ("DEAR-AAAA-3333-9999", "1968-12-01", ("SecondFactorRequired", "EMAIL")),
    ("CARD-AAAA-4444-7777", "2001-04-30", ("PaymentRequired", None)),
    ("XRAY-AAAA-4444-9999", "1995-11-11", ("LoginSuccess", None)),
    ("NEAR-AAAA-6666-7777", "2010-07-07", ("LoginFailed", "NOT_AVAILABLE_YET")),
    ("EXPD-AAAA-6666-9999", "1950-01-20", ("LoginFailed", "ACCESS_EXPIRED")),
    ("HAAG-AAAA-7777-9999", "1985-03-14", ("LoginFailed", "INVALID_CREDENTIALS")),  # NL only
]


async def test_L4_L5_L12_demo_sign_ins_behave_as_printed(api_factory, demo):
    api = api_factory()
    for code, birth, outcome in DEMO_PATIENTS:
        result = await patient_login(api, code, birth)
        detail = result.get("method") or result.get("reason")
        assert (result["__typename"], detail) == outcome, code
    patient = api_factory()
    challenge = await patient_login(patient, "TEAM-AAAA-3333-6666", "1975-06-15")
    result = await verify(patient, challenge["challengeId"], totp_code(PATIENT_TOTP_SECRET, f.utcnow()))
    assert result["viewer"]["patientName"] == "Tom Wuyts"
    bart = api_factory()
    challenge = await password_login(bart, "bart.claes@example.be", DEMO_PASSWORD)
    assert challenge["method"] == "TOTP"
    result = await verify(bart, challenge["challengeId"], totp_code(BART_TOTP_SECRET, f.utcnow()))
    assert result["viewer"]["username"] == "bart.claes@example.be"


def _post(client: httpx.Client, query: str, variables: dict) -> dict:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert not body.get("errors"), body
    return body["data"]


def _provider(base: str, raw: bytes, headers: dict[str, str]) -> int:
    """The payment provider's callback to the server; its HTTP status."""
    with httpx.Client(base_url=base) as provider:
        return provider.post("/webhooks/payments", content=raw, headers=headers).status_code


async def test_L6_a_live_server_takes_payment_then_texts_the_code(db, demo):
    with http_peer() as gateway:
        env = {"STUDYGATE_DATABASE_URL": db, "STUDYGATE_SECRET_KEY": f.SECRET, "STUDYGATE_DEV": "1",
               "STUDYGATE_SMS_GATEWAY_URL": gateway.url + "/send",
               "STUDYGATE_SMS_GATEWAY_TOKEN": "gateway-token",
               "STUDYGATE_PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET}
        with live_server(env) as (base, _), httpx.Client(base_url=base) as browser:
            due = _post(browser, PATIENT_LOGIN, {"c": "CARD-AAAA-4444-7777", "d": "2001-04-30"})[
                "patientLogin"]
            assert (due["__typename"], due["amount"], due["currency"]) == (
                "PaymentRequired", "12.50", "EUR")
            raw, headers = signed(paid(due["challengeId"], "pay_live_1"))
            forged = {"X-StudyGate-Signature": "sha256=" + "ab" * 32}
            assert _provider(base, raw, forged) == 401
            assert _provider(base, raw, headers) == 200
            assert _provider(base, raw, headers) == 200  # the provider retries: nothing changes
            send = "mutation($id: ID!) { sendSecondFactorCode(challengeId: $id) { method } }"
            assert _post(browser, send, {"id": due["challengeId"]})["sendSecondFactorCode"] == {
                "method": "SMS"}
            [sms] = gateway.requests
            assert sms.path == "/send" and sms.headers["Authorization"] == "Bearer gateway-token"
            assert sms.json()["to"] == "+32470000105"
            result = _post(browser, VERIFY, {"id": due["challengeId"],
                                             "code": six_digits(sms.json()["text"])})
            assert result["verifySecondFactor"]["__typename"] == "LoginSuccess"
            viewer = _post(browser, "{ viewer { ... on PatientViewer { patientName } } }", {})
            assert viewer["viewer"] == {"patientName": "Lucas Smets"}
