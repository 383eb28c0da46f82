"""Login outcomes as union members, not errors (STYLE 7)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from schema.types.people import Viewer


@strawberry.enum
class LoginFailureReason(Enum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    ACCOUNT_PENDING = "ACCOUNT_PENDING"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    ACCESS_EXPIRED = "ACCESS_EXPIRED"
    NOT_AVAILABLE_YET = "NOT_AVAILABLE_YET"
    INVALID_CODE = "INVALID_CODE"
    CHALLENGE_EXPIRED = "CHALLENGE_EXPIRED"
    EID_NOT_LINKED = "EID_NOT_LINKED"
    EID_UNAVAILABLE = "EID_UNAVAILABLE"


@strawberry.enum
class SecondFactorMethod(Enum):
    TOTP = "TOTP"
    SMS = "SMS"
    EMAIL = "EMAIL"


@strawberry.type
class LoginSuccess:
    viewer: Viewer
    expires_at: datetime
    previous_failed_attempts: int


@strawberry.type
class SecondFactorRequired:
    challenge_id: strawberry.ID
    method: SecondFactorMethod
    destination_hint: str | None
    expires_at: datetime


@strawberry.type
class PaymentRequired:
    challenge_id: strawberry.ID
    amount: str
    currency: str
    checkout_url: str


@strawberry.type
class LoginFailed:
    reason: LoginFailureReason
    message: str
    retry_after_seconds: int | None


LoginResult = Annotated[
    LoginSuccess | SecondFactorRequired | PaymentRequired | LoginFailed,
    strawberry.union("LoginResult"),
]
