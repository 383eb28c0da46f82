"""Errors the client can act on: a contract code, a message, and optional details."""

from __future__ import annotations

from typing import Any

CODES = {
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT",
    "CONFLICT", "RATE_LIMITED", "QUERY_TOO_COMPLEX", "INTERNAL",
}


class ApiError(Exception):
    """Raised by resolvers; GraphQL shows `message` and `extensions` (code and details)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        assert code in CODES, code
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": code, **details}

    @property
    def code(self) -> str:
        return str(self.extensions["code"])


def not_found(what: str = "Not found") -> ApiError:
    return ApiError("NOT_FOUND", what)


def bad_input(argument: str, message: str) -> ApiError:
    return ApiError("BAD_USER_INPUT", f"{argument}: {message}", argument=argument)


def unauthenticated() -> ApiError:
    return ApiError("UNAUTHENTICATED", "Sign in first.")


def forbidden(message: str = "You may not do this.", **details: Any) -> ApiError:
    return ApiError("FORBIDDEN", message, **details)
