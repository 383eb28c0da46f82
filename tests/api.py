"""Drive the ASGI app in-process over HTTP (httpx), as a web client or partner would."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app import create_app
from settings import Settings
from tests.factories import SECRET


# Redis keys of this test run only: counters of earlier runs must not leak into this one.
REDIS_PREFIX = f"sgtest-{uuid.uuid4().hex[:12]}"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "dev": True, "secret_key": SECRET, "database_url": database_url, "environment": "BE",
        "redis_prefix": REDIS_PREFIX,
    }
    values.update(overrides)
    return Settings(**values)


class Api:
    """A GraphQL client with its own cookie jar; `as_*` helpers set the credentials."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("127.0.0.1", 5555)),
            base_url="http://testserver",
        )

    async def post(self, query: str, variables: dict | None = None, **kw: Any) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, **kw)

    async def gql(self, query: str, variables: dict | None = None, **kw: Any) -> dict:
        response = await self.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict | None = None, **kw: Any) -> dict:
        body = await self.gql(query, variables, **kw)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def with_session(self, token: str) -> "Api":
        self.http.cookies.set(self.settings.session_cookie_name, token)
        return self

    def with_token(self, token: str) -> "Api":
        self.http.headers["Authorization"] = f"Bearer {token}"
        return self

    async def close(self) -> None:
        await self.http.aclose()


def error_codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
