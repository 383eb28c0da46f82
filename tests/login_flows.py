"""Shared pieces of the challenge-login tests (L4-L6, L12): operations, builders, a provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime

import pyotp

from auth.crypto import normalize_access_code
from models.patients import PatientAccess
from tests import factories as f

CODE = "K7QM-4XWT-9HBD-2RPF"
BIRTH = "1980-02-03"
TOTP_SECRET = "ORXW2LLXOV4XI4ZNORXXI4BNMRSW23ZB"
WEBHOOK_SECRET = "whsec-test-0123456789abcdef"

RESULT = """
    __typename
    ... on LoginSuccess { expiresAt previousFailedAttempts
        viewer { __typename ... on PatientViewer { patientName expiresAt institution { code } }
                 ... on User { username } } }
    ... on SecondFactorRequired { challengeId method destinationHint expiresAt }
    ... on PaymentRequired { challengeId amount currency checkoutUrl }
    ... on LoginFailed { reason message retryAfterSeconds }
"""
PATIENT_LOGIN = f"""mutation($c: String!, $d: Date!) {{
  patientLogin(accessCode: $c, dateOfBirth: $d) {{ {RESULT} }} }}"""
PASSWORD_LOGIN = f"""mutation($u: String!, $p: String!, $e: Boolean) {{
  loginWithPassword(username: $u, password: $p, useEmail: $e) {{ {RESULT} }} }}"""
VERIFY = f"""mutation($id: ID!, $code: String!) {{
  verifySecondFactor(challengeId: $id, code: $code) {{ {RESULT} }} }}"""
SEND = """mutation($id: ID!) {
  sendSecondFactorCode(challengeId: $id) { challengeId method destinationHint expiresAt } }"""
STUDY_UIDS = "{ studies { totalCount edges { node { studyInstanceUid } } } }"


async def access_with_code(inst, studies, code: str = CODE, **kw) -> PatientAccess:
    """A patient access whose clear code is `code` (stored as the server stores it: hashed)."""
    access = await f.patient_access(inst, studies, **kw)
    access.code_hash = f.KEYRING.token_hash(normalize_access_code(code))
    await access.save(update_fields=["code_hash"])
    return access


async def patient_login(api, code: str = CODE, birth: str = BIRTH) -> dict:
    return (await api.data(PATIENT_LOGIN, {"c": code, "d": birth}))["patientLogin"]


async def password_login(api, username: str, password: str = f.PASSWORD, use_email=None) -> dict:
    variables = {"u": username, "p": password, "e": use_email}
    return (await api.data(PASSWORD_LOGIN, variables))["loginWithPassword"]


async def verify(api, challenge_id: str, code: str) -> dict:
    return (await api.data(VERIFY, {"id": challenge_id, "code": code}))["verifySecondFactor"]


async def send(api, challenge_id: str) -> dict:
    return await api.gql(SEND, {"id": challenge_id})


def totp_code(secret: str, at: datetime, steps: int = 0) -> str:
    """The authenticator app's code at `at`, `steps` time steps later (or earlier)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(at) + steps)


def six_digits(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def signed(body: dict | bytes, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers as the payment provider sends them (HTTP.md)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-StudyGate-Signature": f"sha256={digest}", "Content-Type": "application/json"}


async def webhook(api, body: dict | bytes, headers: dict[str, str] | None = None):
    raw, signed_headers = signed(body)
    return await api.http.post("/webhooks/payments", content=raw,
                               headers=signed_headers if headers is None else headers)


def paid(challenge_id: str, payment_id: str = "pay_1", **changes) -> dict:
    return {"challengeId": challenge_id, "paymentId": payment_id, "status": "paid",
            "amount": "12.50", "currency": "EUR", **changes}
