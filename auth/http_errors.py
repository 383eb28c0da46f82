"""HTTP-level refusals as GraphQL-shaped JSON: every error a client sees has a contract code."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

# The contract code of each HTTP status we answer with (schema.graphql's list of codes).
CODE_BY_STATUS = {
    400: "BAD_USER_INPUT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "BAD_USER_INPUT", 413: "BAD_USER_INPUT", 415: "BAD_USER_INPUT", 429: "RATE_LIMITED",
}


def code_for_status(status: int) -> str:
    return CODE_BY_STATUS.get(status, "INTERNAL" if status >= 500 else "BAD_USER_INPUT")


def error_response(status: int, message: str, code: str | None = None,
                   headers: Mapping[str, str] | None = None, **details: object) -> JSONResponse:
    """`{"data": null, "errors": [{"message", "extensions": {"code", ...}}]}` with `status`."""
    error = {"message": message, "extensions": {"code": code or code_for_status(status), **details}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=status,
                        headers=dict(headers or {}))
