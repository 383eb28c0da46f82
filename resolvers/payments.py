"""The payment provider's callback (L6, HTTP.md `POST /webhooks/payments`).

The raw body is signed with STUDYGATE_PAYMENT_WEBHOOK_SECRET (HMAC-SHA256, constant-time check).
A "paid" callback with the institution's fee marks the challenge's access paid, for good; every
callback is kept once per paymentId, so a replay changes nothing. Answers, never a 500:
401 bad signature, 400 malformed body, 404 unknown challenge, 422 wrong amount or currency,
413 body over 64 KB, 200 otherwise (also for a replay and for "failed").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise.exceptions import IntegrityError
from models.db import transaction

from auth.middleware import utcnow
from models.challenges import PaymentEvent
from models.patients import PatientAccess
from resolvers.challenges import access_of, patient_fee
from resolvers.challenges import load as load_challenge
from settings import Settings

log = logging.getLogger("studygate.payments")

MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "x-studygate-signature"


class PaymentCallback(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    challenge_id: str = Field(alias="challengeId", min_length=1, max_length=64)
    payment_id: str = Field(alias="paymentId", min_length=1, max_length=100)
    status: Literal["paid", "failed"]
    amount: str = Field(pattern=r"^\d{1,8}(\.\d{1,2})?$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


@dataclass
class WebhookAnswer:
    status: int
    message: str


def signature_valid(secret: str | None, raw: bytes, header: str | None) -> bool:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time."""
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode("latin-1"))


async def receive_payment(
    settings: Settings, raw: bytes, signature: str | None, now: datetime
) -> WebhookAnswer:
    """Checks the signature, then the body, then applies the callback once."""
    if not signature_valid(settings.payment_webhook_secret, raw, signature):
        log.warning("payment callback with a wrong or missing signature refused")
        return WebhookAnswer(401, "invalid signature")
    try:
        callback = PaymentCallback.model_validate_json(raw)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) or "body" for e in exc.errors()})
        return WebhookAnswer(400, "invalid fields: " + ", ".join(fields))
    if await PaymentEvent.filter(payment_id=callback.payment_id).exists():
        return WebhookAnswer(200, "already received")
    challenge = await load_challenge(
        callback.challenge_id, environment__code=settings.environment,
        patient_access_id__isnull=False,
    )
    if challenge is None:
        return WebhookAnswer(404, "unknown challenge")
    paid = callback.status == "paid"
    access = access_of(challenge)
    amount, currency = patient_fee(access.institution)
    if paid and (Decimal(callback.amount) != Decimal(amount) or callback.currency != currency):
        log.warning("payment %s: amount or currency differs from the fee", callback.payment_id)
        return WebhookAnswer(422, "amount or currency differs from the fee")
    try:
        async with transaction() as conn:
            await PaymentEvent.create(
                payment_id=callback.payment_id, challenge=challenge, status=callback.status,
                amount=callback.amount, currency=callback.currency, received_at=now, using_db=conn,
            )
            if paid:  # a paid access stays paid: nothing ever sets it back
                await PatientAccess.filter(id=access.id).using_db(conn).update(
                    paid=True)
    except IntegrityError:  # the same paymentId, received meanwhile
        return WebhookAnswer(200, "already received")
    return WebhookAnswer(200, "paid" if paid else "recorded")


def payment_webhook(
    settings: Settings, clock: Callable[[], datetime] = utcnow
) -> Callable[[Request], Awaitable[Response]]:
    """The thin Starlette endpoint around `receive_payment`."""

    async def endpoint(request: Request) -> Response:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                return JSONResponse({"error": "body too large"}, status_code=413)
        answer = await receive_payment(settings, raw, request.headers.get(SIGNATURE_HEADER), clock())
        key = "result" if answer.status == 200 else "error"
        return JSONResponse({key: answer.message}, status_code=answer.status)

    return endpoint
