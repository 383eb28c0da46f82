"""Portal fields: environments (E2-E4), browser support (B1), cookie notice (C1, C2)."""

from __future__ import annotations

import strawberry

from resolvers import cookie_notice, portal
from schema.context import Info
from schema.types.portal import (
    ClientSupport,
    CookieNotice,
    EnvironmentRedirect,
    EnvironmentSuggestion,
)


@strawberry.type
class PortalQueries:
    @strawberry.field(description="E2: the portal serving the detected country; whether to ask.")
    async def environment_suggestion(
        self, info: Info, country: str | None = None
    ) -> EnvironmentSuggestion:
        return EnvironmentSuggestion.from_result(
            await portal.environment_suggestion(info.context, country)
        )

    @strawberry.field(description="B1: from the User-Agent header.")
    def client_support(self, info: Info) -> ClientSupport:
        return ClientSupport.from_result(portal.client_support(info.context))

    @strawberry.field(description="C1: due unless acknowledged in the last 30 days.")
    def cookie_notice(self, info: Info) -> CookieNotice:
        return CookieNotice.from_result(cookie_notice.cookie_notice(info.context))


@strawberry.type
class PortalMutations:
    @strawberry.mutation(description="E3: the chosen portal's URL; `remember` keeps the choice.")
    async def choose_environment(
        self, info: Info, code: str, remember: bool
    ) -> EnvironmentRedirect:
        redirect = await portal.choose_environment(info.context, code, remember)
        return EnvironmentRedirect.from_result(redirect, info.context.environment.id)

    @strawberry.mutation(description="E4: back to the previous portal; may forget the choice.")
    async def go_back_environment(
        self, info: Info, clear_preferences: bool
    ) -> EnvironmentRedirect:
        redirect = await portal.go_back_environment(info.context, clear_preferences)
        return EnvironmentRedirect.from_result(redirect, info.context.environment.id)

    @strawberry.mutation(description="C2: records the acknowledgement for the browser and account.")
    async def acknowledge_cookie_notice(self, info: Info) -> CookieNotice:
        return CookieNotice.from_result(await cookie_notice.acknowledge_cookie_notice(info.context))
