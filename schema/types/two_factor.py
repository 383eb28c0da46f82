"""Practitioner two-factor (L12) as the API shows it; `Authenticator` lives with the User type."""

from __future__ import annotations

import strawberry


@strawberry.type
class TotpEnrollment:
    enrollment_id: strawberry.ID
    secret: str = strawberry.field(description="base32, at least 32 characters")
    provisioning_uri: str = strawberry.field(description="otpauth://totp/...")
