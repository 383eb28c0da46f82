"""e-ID sign-in types (L7)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry


@strawberry.type
class EidLoginStart:
    authorization_url: str
    state: str


@strawberry.enum(description="LOGIN for completeEidLogin; LINK (started signed in) for linkEid.")
class EidLoginPurpose(Enum):
    LOGIN = "LOGIN"
    LINK = "LINK"


@strawberry.type(description="An e-ID request still waiting for the provider's answer.")
class EidLoginRequest:
    purpose: EidLoginPurpose
    return_to: str | None
    expires_at: datetime
