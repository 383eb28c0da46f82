"""Registration, password reset, login history and the service desk's tools (L3, L9-L11)."""

from __future__ import annotations

import strawberry

from resolvers import accounts, login_history, password_reset, registration
from resolvers.registration_input import RegistrationForm
from schema.context import Info
from schema.ids import pk_of
from schema.types.accounts import LoginAttempt, RegisterInput, RegisterResult
from schema.types.people import User


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in account's own attempts, newest first (L11).")
    async def login_history(self, info: Info, first: int | None = 20) -> list[LoginAttempt]:
        rows = await login_history.login_history(info.context, 20 if first is None else first)
        return [LoginAttempt.from_model(a) for a in rows]

    @strawberry.field(description="Service desk only (L9).")
    async def registrations_pending_approval(self, info: Info) -> list[User]:
        pending = await accounts.registrations_pending_approval(info.context)
        return [User.from_model(u) for u in pending]

    @strawberry.field(description="Service desk only: by username or name.")
    async def users(self, info: Info, search: str, first: int | None = 20) -> list[User]:
        found = await accounts.search_users(info.context, search, 20 if first is None else first)
        return [User.from_model(u) for u in found]


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(description="A practitioner account, pending e-mail verification (L9).")
    async def register(self, info: Info, input: RegisterInput) -> RegisterResult:
        form = RegistrationForm(
            username=input.username, password=input.password, display_name=input.display_name,
            profession=input.profession, practitioner_number=input.practitioner_number,
            phone_number=input.phone_number,
        )
        user = await registration.register(info.context, form)
        return RegisterResult(user=User.from_model(user))

    @strawberry.mutation(description="The verification e-mail's link: pending approval next (L9).")
    async def verify_email(self, info: Info, token: str) -> User:
        return User.from_model(await registration.verify_email(info.context, token))

    @strawberry.mutation(description="Service desk: make a verified registration ACTIVE (L9).")
    async def approve_registration(self, info: Info, user_id: strawberry.ID) -> User:
        user = await accounts.approve_registration(info.context, pk_of(user_id, "User", "userId"))
        return User.from_model(user)

    @strawberry.mutation(description="Service desk: clears the account's L3 counters.")
    async def unlock_user(self, info: Info, user_id: strawberry.ID) -> User:
        user = await accounts.unlock_user(info.context, pk_of(user_id, "User", "userId"))
        return User.from_model(user)

    @strawberry.mutation(description="Always true; e-mails a link when the account exists (L10).")
    async def request_password_reset(self, info: Info, username: str) -> bool:
        return await password_reset.request_password_reset(info.context, username)

    @strawberry.mutation(description="Sets the password; every session of the account ends (L10).")
    async def reset_password(self, info: Info, token: str, new_password: str) -> bool:
        return await password_reset.reset_password(info.context, token, new_password)
