"""Registration and login history as the API shows them (L9, L11)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.sessions import LoginAttempt as LoginAttemptModel
from schema.types.people import Profession, User


@strawberry.input(name="RegisterInput")
class RegisterInput:
    username: str = strawberry.field(description="An e-mail address.")
    password: str
    display_name: str
    profession: Profession
    practitioner_number: str | None = strawberry.field(
        default=None, description="RIZIV/INAMI or national equivalent."
    )
    phone_number: str | None = strawberry.field(default=None, description="E.164.")


@strawberry.type(name="RegisterResult")
class RegisterResult:
    user: User = strawberry.field(description="Status PENDING_EMAIL_VERIFICATION.")


@strawberry.type(name="LoginAttempt")
class LoginAttempt:
    at: datetime
    succeeded: bool
    method: str = strawberry.field(description="PASSWORD, EID, ...")
    ip_address: str | None

    @staticmethod
    def from_model(attempt: LoginAttemptModel) -> "LoginAttempt":
        return LoginAttempt(
            at=attempt.at, succeeded=attempt.succeeded, method=attempt.method,
            ip_address=attempt.ip_address,
        )
