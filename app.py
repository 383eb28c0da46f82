"""The ASGI app: routes, middleware and lifespan; nothing else."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import time
from datetime import timedelta
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.connection import get_connection

import schema
from auth.browsers import UnsupportedBrowserRedirect
from auth.crypto import Keyring
from auth.csrf import OriginGuard, cors_middleware
from auth.http_errors import error_response
from auth.middleware import (
    AuthenticationMiddleware, EnvironmentMissing, ServedEnvironment, utcnow,
)
from auth.sessions import SessionPolicy
from auth.request_log import RequestLog
from auth.throttle import make_throttle
from auth.transport import BodySizeLimit, SecurityHeaders
from metrics import HTTP_LATENCY, HTTP_REQUESTS
from models.db import close_db, init_db, is_database_outage
from resolvers import study_access
from resolvers.dicom import series_dicom_json
from resolvers.outbound import Outbound
from resolvers.payments import payment_webhook
from schema.view import StudyGateGraphQL
from settings import Settings, get_settings

log = logging.getLogger("studygate.errors")


def _graphiql_assets() -> Path:
    """GraphiQL, React and ReactDOM as installed from PyPI (pinned in pyproject.toml)."""
    spec = importlib.util.find_spec("graphene_django_graphiql_static")
    assert spec and spec.submodule_search_locations, "graphene-django-graphiql-static missing"
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "static" / "graphene_django_graphiql_static"


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception as exc:  # any database failure means "not ready"
        return JSONResponse({"ready": False, "error": type(exc).__name__}, status_code=503)
    return JSONResponse({"ready": True})


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts requests and their latency by route (the path's first segment, bounded)."""

    KNOWN = {"graphql", "healthz", "readyz", "metrics", "static", "webhooks", "images"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first = scope["path"].strip("/").split("/", 1)[0]
        route = "/" + first if first in self.KNOWN else "other"
        status = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)
            HTTP_REQUESTS.labels(scope["method"], route, str(status["code"])).inc()


class EnvironmentGuard:
    """A server whose environment is not configured says so instead of failing with a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except EnvironmentMissing as exc:
            response = JSONResponse(
                {"errors": [{"message": str(exc), "extensions": {"code": "INTERNAL"}}]},
                status_code=503,
            )
            await response(scope, receive, send)


class DatabaseOutageGuard:
    """A request that meets an unreachable database gets 503 with Retry-After, never a 500:
    nothing it did was committed (schema/view.py checks), so any client may simply retry it,
    here or on another instance, and a proxy may pass it to a healthy one."""

    RETRY_AFTER_SECONDS = 2

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_wrapper(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if scope["type"] != "http" or started or not is_database_outage(exc):
                raise
            log.warning("database unavailable in request %s: %r", scope.get("request_id"), exc)
            response = error_response(
                503, "The database is unavailable; nothing was saved. Try again shortly.",
                code="INTERNAL", headers={"Retry-After": str(self.RETRY_AFTER_SECONDS)},
                reason="DATABASE_UNAVAILABLE", retryAfterSeconds=self.RETRY_AFTER_SECONDS,
            )
            await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    assert settings.secret_key
    keyring = Keyring(settings.secret_key)
    sessions = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    throttle = make_throttle(settings.redis_url, settings.redis_prefix)
    graphql = StudyGateGraphQL(
        schema.build_schema(introspection=settings.introspection_enabled,
                            max_query_cost=settings.max_query_cost, suggestions=settings.dev),
        settings, keyring, sessions, throttle, Outbound(settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await init_db(settings.database_url, settings.db_pool_size)
        try:
            yield
        finally:
            await close_db()

    served = ServedEnvironment(settings.environment)

    async def images(request: Request) -> Response:
        """A8: the study's series as DICOM JSON while the signed link is valid; 403 after."""
        env = await served.get()
        found = await study_access.series_for_token(
            keyring, request.path_params["token"], env.id, utcnow()
        )
        if found is None:
            return JSONResponse({"error": "This image link is invalid or has expired."},
                                status_code=403)
        return JSONResponse(series_dicom_json(found), media_type="application/dicom+json",
                            headers={"Cache-Control": "no-store"})

    routes = [
        Route("/healthz", healthz),
        Route("/images/{token}", images),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/webhooks/payments", payment_webhook(settings), methods=["POST"]),
        Mount("/static/studygate", StaticFiles(directory=Path(__file__).parent / "schema" / "static")),
        Mount("/static/graphiql", StaticFiles(directory=_graphiql_assets())),
    ]
    middleware = [
        Middleware(MetricsMiddleware),
        # S2/S3 hardening (auth/transport.py, auth/request_log.py, auth/csrf.py), outermost first.
        Middleware(SecurityHeaders, hsts=not settings.dev),
        Middleware(RequestLog, settings=settings),
        Middleware(BodySizeLimit),
        Middleware(OriginGuard, allowed_origins=settings.allowed_origin_list),
        cors_middleware(settings.allowed_origin_list),
        Middleware(UnsupportedBrowserRedirect, upgrade_url=settings.browser_upgrade_url),
        Middleware(DatabaseOutageGuard),
        Middleware(EnvironmentGuard),
        Middleware(
            AuthenticationMiddleware, settings=settings, keyring=keyring, sessions=sessions,
            served=served,
        ),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
