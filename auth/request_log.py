"""Structured logs: one JSON line per request on the logger `studygate.access`.

The line has the request id (also the `X-Request-Id` response header and the `requestId` of an
INTERNAL error), method, path, status, operation name and type, error codes, outcome, duration,
client address and the kind of caller. Never a body, a query string, a cookie or a header:
passwords, codes and tokens travel there. An exception nothing else caught is logged here
with its trace and answered with INTERNAL and the request id, never the trace.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.http_errors import code_for_status, error_response
from auth.middleware import client_ip
from auth.viewer import ApiClientViewer, PatientViewer, UserViewer
from settings import Settings

LOG_FIELDS = "studygate.request_log"  # scope key: what the GraphQL layer adds to the line
access_log = logging.getLogger("studygate.access")
error_log = logging.getLogger("studygate.errors")

# Paths whose last segment is a bearer secret (A8 image links) are logged without it.
_SECRET_PATHS = ("/images/",)


def _viewer_kind(viewer: Any) -> str:
    if isinstance(viewer, UserViewer):
        return "user"
    if isinstance(viewer, PatientViewer):
        return "patient"
    if isinstance(viewer, ApiClientViewer):
        return "apiClient"
    return "anonymous"


def _loggable_path(path: str) -> str:
    for prefix in _SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "{token}"
    return path[:200]


def _outcome(status: int, codes: list[str]) -> str:
    if status >= 500:
        return "failed"
    if status >= 400:
        return "refused"
    return "errors" if codes else "ok"


class RequestLog:
    """Gives each request an id, logs its JSON line, and masks anything left uncaught."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope["request_id"] = request_id
        fields: dict[str, Any] = {}
        scope[LOG_FIELDS] = fields
        status = 0
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # noqa: BLE001 - the last line of defence: log the trace, send none
            error_log.error("unexpected error in request %s", request_id, exc_info=True)
            if not status:
                await error_response(500, f"Internal error (request {request_id}).",
                                     code="INTERNAL", requestId=request_id)(
                    scope, receive, send_with_id)
        finally:
            codes = fields.get("errorCodes")
            if codes is None:
                codes = [code_for_status(status)] if status >= 400 else []
            line = {
                "requestId": request_id,
                "method": scope["method"],
                "path": _loggable_path(scope["path"]),
                "status": status,
                "operationName": fields.get("operationName"),
                "operationType": fields.get("operationType"),
                "errorCodes": codes,
                "outcome": _outcome(status, codes),
                "durationMs": round((time.perf_counter() - start) * 1000, 1),
                "clientAddress": scope.get("client_ip") or client_ip(scope, self.settings),
                "viewer": _viewer_kind(scope.get("viewer")),
            }
            access_log.info(json.dumps(line, separators=(",", ":")))


class JsonLines(logging.Formatter):
    """Every record as one JSON object; an access line (already JSON) gets time and level."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
        }
        message = record.getMessage()
        if record.name == access_log.name:
            entry.update(json.loads(message))
        else:
            entry["message"] = message
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)  # server side only
        return json.dumps(entry, separators=(",", ":"), default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """`studygate serve`: the `studygate.*` loggers write JSON lines to stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger("studygate")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
