"""The GraphQL endpoint: Strawberry's ASGI view, overriding only the context and the IDE page."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL

from auth.crypto import Keyring
from auth.sessions import SessionPolicy
from auth.throttle import Throttle
from resolvers.outbound import Outbound
from schema.context import Context
from settings import Settings

GRAPHIQL_PAGE = (Path(__file__).parent / "graphiql.html").read_text()


class StudyGateGraphQL(GraphQL):
    def __init__(self, schema, settings: Settings, keyring: Keyring, sessions: SessionPolicy,
                 throttle: Throttle, outbound: Outbound) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.keyring = keyring
        self.sessions = sessions
        self.throttle = throttle
        self.outbound = outbound

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        scope = request.scope
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            keyring=self.keyring,
            sessions=self.sessions,
            environment=scope["environment"],
            viewer=scope["viewer"],
            now=scope["now"],
            client_ip=scope["client_ip"],
            throttle=self.throttle,
            outbound=self.outbound,
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # Strawberry's page loads React and GraphiQL from a CDN; ours only from /static/.
        return HTMLResponse(GRAPHIQL_PAGE)
