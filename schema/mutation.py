"""The root Mutation, assembled from per-domain parts."""

from __future__ import annotations

import strawberry

from resolvers import accounts, login
from schema.accounts import RegistrationMutations
from schema.context import Info
from schema.eid import EidMutations
from schema.groups import GroupMutations
from schema.ids import pk_of
from schema.login_challenges import ChallengeMutations, login_outcome
from schema.partner import PartnerMutations
from schema.portal import PortalMutations
from schema.types.login import LoginResult
from schema.types.people import User


@strawberry.type
class LoginMutations:
    @strawberry.mutation(description="L1, L2: LoginSuccess sets the session cookie.")
    async def login_with_password(
        self, info: Info, username: str, password: str, use_email: bool | None = False
    ) -> LoginResult:
        outcome = await login.login_with_password(info.context, username, password, bool(use_email))
        return login_outcome(info.context, outcome)

    @strawberry.mutation(description="Ends the session server-side at once (L8).")
    async def logout(self, info: Info) -> bool:
        return await login.logout(info.context)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Service desk: disable an account and end its sessions (L2, L8).")
    async def disable_user(self, info: Info, user_id: strawberry.ID) -> User:
        return User.from_model(await accounts.disable_user(info.context, pk_of(user_id, "User", "userId")))

    @strawberry.mutation(description="Service desk: re-enable a disabled account (L2).")
    async def enable_user(self, info: Info, user_id: strawberry.ID) -> User:
        return User.from_model(await accounts.enable_user(info.context, pk_of(user_id, "User", "userId")))


@strawberry.type
class Mutation(LoginMutations, AccountMutations, RegistrationMutations, GroupMutations,
               PortalMutations, EidMutations, ChallengeMutations, PartnerMutations):
    pass
