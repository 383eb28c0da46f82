"""The GraphQL endpoint: Strawberry's ASGI view, overriding the context, the IDE page and the
transport rules (S2, S3):

- POST takes `application/json` only (415 for text/plain, form-encoded and multipart bodies),
  and one operation per request: a JSON array (a batch) or any other non-object is refused;
- a mutation through GET is 405 (queries only, HTTP.md);
- every HTTP-level refusal is JSON with a contract code, never Strawberry's plain text;
- the final response passes `contract_error` once more, so nothing that escaped the schema
  extensions reaches the client without a code or unmasked;
- a database outage met before any mutation committed raises DatabaseUnavailable, which
  app.py answers with 503 and Retry-After: nothing was done, the client sends it again.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth.crypto import Keyring
from auth.http_errors import error_response
from auth.request_log import LOG_FIELDS
from auth.sessions import SessionPolicy
from auth.throttle import Throttle
from models.db import DatabaseUnavailable, is_database_outage
from resolvers.outbound import Outbound
from schema.context import Context
from schema.errors import contract_error
from schema.transactions import COMMITTED
from settings import Settings

GRAPHIQL_PAGE = (Path(__file__).parent / "graphiql.html").read_text()


class StudyGateGraphQL(GraphQL):
    def __init__(self, schema, settings: Settings, keyring: Keyring, sessions: SessionPolicy,
                 throttle: Throttle, outbound: Outbound) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.settings = settings
        self.keyring = keyring
        self.sessions = sessions
        self.throttle = throttle
        self.outbound = outbound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            allow = None
            if exc.status_code == 405:  # a mutation through GET, or another method
                allow = {"Allow": "POST" if scope["method"] == "GET" else "GET, POST"}
            response = error_response(exc.status_code, exc.reason, headers=allow)
        await response(scope, receive, send)

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

    def encode_json(self, data: object) -> bytes | str:
        # orjson: several times faster than json on a 500-study page, the same output.
        try:
            return orjson.dumps(data)
        except TypeError:  # what orjson refuses (an integer past 64 bits) json still writes
            return json.dumps(data, separators=(",", ":"))

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:  # bad UTF-8 and absurd nesting too
            raise HTTPException(400, "The request is not valid JSON.") from exc

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:  # type: ignore[override]
        if request.method == "GET":
            data: Any = self.parse_query_params(request.query_params)
        else:
            media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
            if media_type != "application/json":
                raise HTTPException(
                    415, "Send the GraphQL request as JSON (Content-Type: application/json).")
            data = self.parse_json(await request.get_body())
        if isinstance(data, list):
            raise HTTPException(400, "Batched requests (a JSON array) are not accepted; "
                                     "send one operation per request.")
        if not isinstance(data, dict):
            raise HTTPException(400, "The request must be a JSON object with a `query`.")
        fields = {name: data.get(name) or None
                  for name in ("query", "variables", "operationName", "extensions")}
        for name, kind in (("query", str), ("variables", dict), ("operationName", str),
                           ("extensions", dict)):
            if fields[name] is not None and not isinstance(fields[name], kind):
                what = "a string" if kind is str else "an object"
                raise HTTPException(400, f"`{name}` must be {what} or null.")
        return GraphQLRequestData(
            query=fields["query"], variables=fields["variables"],
            operation_name=fields["operationName"], extensions=fields["extensions"],
            protocol="http",
        )

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, "Mutations are accepted only through POST.") from exc
            raise

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        scope = request.scope
        if result.errors and not scope.get(COMMITTED):
            outage = next((e.original_error for e in result.errors
                           if is_database_outage(e.original_error)), None)
            if outage is not None:
                raise DatabaseUnavailable(str(outage)) from outage
        if result.errors:
            def request_id() -> str:
                return scope.get("request_id") or uuid.uuid4().hex

            result.errors = [contract_error(e, request_id, suggestions=self.settings.dev)
                             for e in result.errors]
        fields = scope.get(LOG_FIELDS)
        if fields is not None:
            fields["errorCodes"] = sorted({str((e.extensions or {}).get("code"))
                                           for e in result.errors or []})
        return await super().process_result(request, result)
