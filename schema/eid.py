"""e-ID sign-in and linking over OpenID Connect (L7)."""

from __future__ import annotations

import strawberry

from resolvers import eid
from schema.context import Info
from schema.convert import login_result
from schema.types.eid import EidLoginPurpose, EidLoginRequest, EidLoginStart
from schema.types.login import LoginResult
from schema.types.people import User


@strawberry.type
class EidQueries:
    @strawberry.field(description="For the callback page: what the request is for and where to go "
                                  "next; null when unknown, used or expired.")
    async def eid_login_request(self, info: Info, state: str) -> EidLoginRequest | None:
        row = await eid.pending_request(info.context, state)
        if row is None:
            return None
        return EidLoginRequest(purpose=EidLoginPurpose(row.purpose), return_to=row.return_to,
                               expires_at=row.expires_at)


@strawberry.type
class EidMutations:
    @strawberry.mutation(description="L7: an authorization request (PKCE, state, nonce) at the "
                                     "e-ID provider; valid 10 minutes, single use.")
    async def start_eid_login(self, info: Info, return_to: str | None = None) -> EidLoginStart:
        start = await eid.start_eid_login(info.context, return_to)
        return EidLoginStart(authorization_url=start.authorization_url, state=start.state)

    @strawberry.mutation(description="L7: the provider's code and state; signs in the linked account.")
    async def complete_eid_login(self, info: Info, code: str, state: str) -> LoginResult:
        outcome = await eid.complete_eid_login(info.context, code, state)
        return login_result(info.context, outcome)

    @strawberry.mutation(description="L7: links the e-ID to the signed-in account (started signed in).")
    async def link_eid(self, info: Info, code: str, state: str) -> User:
        return User.from_model(await eid.link_eid(info.context, code, state))
