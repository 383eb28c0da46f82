"""L6 payment: PaymentRequired, the signed provider callback (HTTP.md), then the second factor."""

import json
from decimal import Decimal

import pytest

from models.challenges import PaymentEvent
from models.patients import PatientAccess
from tests import factories as f
from tests.api import error_codes
from tests.login_flows import (
    WEBHOOK_SECRET,
    access_with_code,
    paid,
    patient_login,
    send,
    signed,
    six_digits,
    verify,
    webhook,
)
from tests.peers import http_peer

CARD = "CARD-AAAA-4444-7777"


async def _unpaid(verification="SMS", env_code="BE", code=CARD):
    env = await f.environment(env_code)
    inst = await f.institution(env, patient_fee_amount=Decimal("12.50"), patient_fee_currency="EUR")
    return await access_with_code(
        inst, [await f.study(inst, report="FINAL")], code, verification=verification,
        phone_number="+32470000105", payment_required=True, paid=False,
    )


@pytest.fixture
def gateway():
    with http_peer() as peer:
        yield peer


@pytest.fixture
def pay_api(api_factory, gateway):
    return api_factory(sms_gateway_url=gateway.url, payment_webhook_secret=WEBHOOK_SECRET)


async def _is_paid(access) -> bool:
    return (await PatientAccess.get(id=access.id)).paid


async def test_L6_unpaid_access_pays_then_the_same_challenge_continues_with_the_sms(pay_api, gateway):
    access = await _unpaid()
    due = await patient_login(pay_api, CARD, "1980-02-03")
    assert due["__typename"] == "PaymentRequired"
    challenge_id = due["challengeId"]
    assert (due["amount"], due["currency"]) == ("12.50", "EUR")
    assert due["checkoutUrl"] == f"https://be.studygate.example/pay/{challenge_id}"
    assert gateway.requests == []  # nothing is sent before payment
    refused = await send(pay_api, challenge_id)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == "PAYMENT_REQUIRED"
    assert (await verify(pay_api, challenge_id, "123456"))["__typename"] == "PaymentRequired"
    assert gateway.requests == []

    response = await webhook(pay_api, paid(challenge_id))
    assert response.status_code == 200
    assert await _is_paid(access)

    sent = (await send(pay_api, challenge_id))["data"]["sendSecondFactorCode"]
    assert sent == {"challengeId": challenge_id, "method": "SMS",
                    "destinationHint": "+32 4** ** ** 05", "expiresAt": sent["expiresAt"]}
    [sms] = gateway.requests
    assert sms.json()["to"] == "+32470000105"
    result = await verify(pay_api, challenge_id, six_digits(sms.json()["text"]))
    assert result["__typename"] == "LoginSuccess"


async def test_L6_a_paid_access_stays_paid_and_skips_the_payment_next_time(pay_api, gateway):
    access = await _unpaid()
    challenge_id = (await patient_login(pay_api, CARD))["challengeId"]
    assert (await webhook(pay_api, paid(challenge_id, "pay_1"))).status_code == 200
    failed = paid(challenge_id, "pay_2", status="failed")
    assert (await webhook(pay_api, failed)).status_code == 200
    assert await _is_paid(access)
    again = await patient_login(pay_api, CARD)
    assert again["__typename"] == "SecondFactorRequired" and len(gateway.requests) == 1


@pytest.mark.parametrize("headers", [
    {},
    {"X-StudyGate-Signature": "sha256=" + "0" * 64},
    {"X-StudyGate-Signature": "deadbeef"},
    {"X-StudyGate-Signature": "sha256=é".encode("latin-1")},
], ids=["missing", "wrong", "malformed", "non_ascii"])
async def test_L6_a_wrong_or_missing_signature_gets_401_and_changes_nothing(pay_api, headers):
    access = await _unpaid()
    challenge_id = (await patient_login(pay_api, CARD))["challengeId"]
    raw = json.dumps(paid(challenge_id)).encode()
    response = await pay_api.http.post("/webhooks/payments", content=raw, headers=headers)
    assert response.status_code == 401
    assert not await _is_paid(access) and await PaymentEvent.all().count() == 0


async def test_L6_a_signature_over_another_body_or_with_another_secret_is_refused(pay_api):
    access = await _unpaid()
    challenge_id = (await patient_login(pay_api, CARD))["challengeId"]
    _, headers = signed(paid(challenge_id, amount="0.01"))
    raw = json.dumps(paid(challenge_id)).encode()
    assert (await pay_api.http.post("/webhooks/payments", content=raw, headers=headers)
            ).status_code == 401
    raw, headers = signed(paid(challenge_id), secret="not-the-shared-secret")
    assert (await pay_api.http.post("/webhooks/payments", content=raw, headers=headers)
            ).status_code == 401
    assert not await _is_paid(access)


async def test_L6_without_a_configured_secret_every_callback_is_refused(api_factory):
    access = await _unpaid()
    api = api_factory()
    challenge_id = (await patient_login(api, CARD))["challengeId"]
    assert (await webhook(api, paid(challenge_id))).status_code == 401
    assert not await _is_paid(access)


async def test_L6_a_replayed_payment_id_changes_nothing_and_gets_200(pay_api):
    access = await _unpaid()
    challenge_id = (await patient_login(pay_api, CARD))["challengeId"]
    failed = paid(challenge_id, "pay_9", status="failed")
    assert (await webhook(pay_api, failed)).status_code == 200
    replay = await webhook(pay_api, paid(challenge_id, "pay_9"))  # same id, now "paid"
    assert replay.status_code == 200
    assert not await _is_paid(access)
    assert await PaymentEvent.filter(payment_id="pay_9").count() == 1


@pytest.mark.parametrize("change", [{"amount": "1.00"}, {"amount": "12.51"}, {"currency": "USD"}])
async def test_L6_a_payment_of_another_amount_or_currency_is_refused(pay_api, change):
    access = await _unpaid()
    challenge_id = (await patient_login(pay_api, CARD))["challengeId"]
    response = await webhook(pay_api, paid(challenge_id, **change))
    assert response.status_code == 422
    assert not await _is_paid(access) and await PaymentEvent.all().count() == 0
    assert (await webhook(pay_api, paid(challenge_id, amount="12.5"))).status_code == 200
    assert await _is_paid(access)


async def test_L6_unknown_and_foreign_challenges_get_404(pay_api, api_factory):
    await _unpaid()
    nl_access = await _unpaid(env_code="NL", code="MMMM-NNNN-PPPP-QQQQ")
    nl_api = api_factory(environment="NL")
    nl_challenge = (await patient_login(nl_api, "MMMM-NNNN-PPPP-QQQQ"))["challengeId"]
    for challenge_id in ("no-such-challenge", nl_challenge):
        response = await webhook(pay_api, paid(challenge_id, f"pay_{challenge_id[:8]}"))
        assert response.status_code == 404
    assert not await _is_paid(nl_access)


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[]", b"null", b'"paid"', b"{}", b"\xff\xfe",
    json.dumps({"challengeId": "c", "paymentId": "p", "status": "refunded", "amount": "12.50",
                "currency": "EUR"}).encode(),
    json.dumps({"challengeId": "c", "paymentId": "p", "status": "paid", "amount": 12.5,
                "currency": "EUR"}).encode(),
    json.dumps({"challengeId": "c", "paymentId": "p", "status": "paid", "amount": "12,50",
                "currency": "EUR"}).encode(),
    json.dumps({"challengeId": ["c"], "paymentId": "p", "status": "paid", "amount": "12.50",
                "currency": "EUR"}).encode(),
    json.dumps({"challengeId": "c", "paymentId": "", "status": "paid", "amount": "12.50",
                "currency": "eur"}).encode(),
])
async def test_L6_malformed_callbacks_get_400_never_500(pay_api, raw):
    await _unpaid()
    response = await webhook(pay_api, raw)
    assert response.status_code == 400, response.text
    assert await PaymentEvent.all().count() == 0


async def test_L6_oversized_bodies_are_refused(pay_api):
    await _unpaid()
    response = await webhook(pay_api, b"{" + b" " * 70_000 + b"}")
    assert response.status_code == 413


async def test_L6_only_POST(pay_api):
    await _unpaid()
    assert (await pay_api.http.get("/webhooks/payments")).status_code == 405


async def test_L6_checkout_url_follows_the_setting(api_factory):
    await _unpaid()
    api = api_factory(checkout_url="https://pay.example/checkout?from={portal}&c={challengeId}")
    due = await patient_login(api, CARD)
    assert due["checkoutUrl"] == (
        f"https://pay.example/checkout?from=https://be.studygate.example&c={due['challengeId']}")


async def test_L6_a_birth_date_only_access_pays_then_signs_in_again(pay_api):
    access = await _unpaid("DATE_OF_BIRTH_ONLY")
    due = await patient_login(pay_api, CARD)
    assert due["__typename"] == "PaymentRequired"
    assert "studygate" not in pay_api.http.cookies
    assert (await webhook(pay_api, paid(due["challengeId"]))).status_code == 200
    assert await _is_paid(access)
    assert (await verify(pay_api, due["challengeId"], "123456"))["reason"] == "CHALLENGE_EXPIRED"
    assert error_codes(await send(pay_api, due["challengeId"])) == ["NOT_FOUND"]
    assert (await patient_login(pay_api, CARD))["__typename"] == "LoginSuccess"


async def test_L6_totp_access_pays_first_too(pay_api):
    await _unpaid("TOTP")
    due = await patient_login(pay_api, CARD)
    assert due["__typename"] == "PaymentRequired"
    assert (await webhook(pay_api, paid(due["challengeId"]))).status_code == 200
    sent = await send(pay_api, due["challengeId"])
    assert sent["data"]["sendSecondFactorCode"]["method"] == "TOTP"
