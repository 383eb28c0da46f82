"""S2 CSRF for /graphql: another site's page may not use a visitor's session cookie.

A request is refused (403, FORBIDDEN) when its `Origin` is neither this server's own nor in
`STUDYGATE_ALLOWED_ORIGINS`, or when the browser says `Sec-Fetch-Site: cross-site` and the
origin is not allowed. Requests without these headers (partner servers, curl) pass: they carry
no visitor's cookie. The same list drives CORS, with credentials (`cors_middleware`).
Methods other than GET and POST get 405 as JSON here, rather than Starlette's plain text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.http_errors import error_response

GRAPHQL_PATH = "/graphql"


def cors_middleware(allowed_origins: list[str]) -> Middleware:
    """CORS for the allowed origins only, with credentials (the session cookie)."""
    return Middleware(
        CORSMiddleware, allow_origins=allowed_origins, allow_credentials=True,
        allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After", "X-Request-Id"], max_age=600,
    )


def is_same_origin(origin: str, headers: Headers) -> bool:
    """True when `origin` names the host the request was sent to (scheme http or https)."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    host = headers.get("host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


class OriginGuard:
    """Refuses cross-site requests to /graphql unless the origin is allowed."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = {o.lower() for o in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = origin is not None and origin.rstrip("/").lower() in self.allowed
        if not allowed and (
            (origin is not None and not is_same_origin(origin, headers))
            or headers.get("sec-fetch-site", "").lower() == "cross-site"
        ):
            response = error_response(
                403, "Cross-site requests are not accepted from this origin.", reason="ORIGIN")
        elif scope["method"] not in ("GET", "HEAD", "POST") and not (
            # A CORS preflight of an allowed origin: CORSMiddleware (inside) answers it.
            scope["method"] == "OPTIONS" and allowed
            and "access-control-request-method" in headers
        ):
            response = error_response(405, "GraphQL takes GET (queries) and POST.",
                                      headers={"Allow": "GET, POST"})
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
