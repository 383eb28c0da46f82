"""Authenticate once per request (STYLE 3): the session cookie or a bearer token becomes
`scope["viewer"]`; everything after reads it from there."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.crypto import Keyring
from auth.sessions import SessionPolicy, find_session
from auth.viewer import ANONYMOUS, ApiClientViewer, PatientViewer, UserViewer, Viewer
from models.api_clients import ApiClient
from models.environments import Environment
from models.users import AccountStatus
from settings import Settings


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EnvironmentMissing(RuntimeError):
    pass


class InvalidToken(Exception):
    """An unknown, malformed or revoked bearer token (P1)."""


class ServedEnvironment:
    """The Environment row of STUDYGATE_ENVIRONMENT, loaded once it exists (A6)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._row: Environment | None = None

    async def get(self) -> Environment:
        if self._row is None:
            self._row = await Environment.filter(code=self.code).first()
            if self._row is None:
                raise EnvironmentMissing(
                    f"environment {self.code} is not in the database; load a data file with it"
                )
        return self._row


def client_ip(scope: Scope, settings: Settings) -> str | None:
    """The peer address, or the proxy's X-Forwarded-For when the peer is a trusted proxy."""
    peer = scope.get("client")
    address = peer[0] if peer else None
    if settings.is_trusted_proxy(address):
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                # The right-most entry is the one our trusted proxy added.
                forwarded = value.decode("latin-1").split(",")[-1].strip()
                return forwarded[:45] or address
    return address


async def authenticate(
    conn: HTTPConnection, settings: Settings, keyring: Keyring, sessions: SessionPolicy,
    environment: Environment, now: datetime,
) -> Viewer:
    auth_header = conn.headers.get("authorization", "")
    if auth_header[:7].lower() == "bearer ":
        token = auth_header[7:].strip()
        client = (
            await ApiClient.filter(
                token_hash=keyring.token_hash(token), environment_id=environment.id,
                revoked_at=None,
            ).select_related("institution").first()
            if 0 < len(token) <= 200 else None
        )
        if client is None:
            raise InvalidToken()
        return ApiClientViewer(client)
    token = conn.cookies.get(settings.session_cookie_name)
    if not token:
        return ANONYMOUS
    session = await find_session(keyring, sessions, environment.id, token, now)
    if session is None:
        return ANONYMOUS
    if session.user is not None:
        if session.user.status != AccountStatus.ACTIVE:
            return ANONYMOUS
        return UserViewer(session.user, session)
    if session.patient_access is not None:
        access = session.patient_access
        if (access.revoked_at is not None or now >= access.valid_until
                or (access.valid_from is not None and now < access.valid_from)):
            return ANONYMOUS
        await access.fetch_related("institution")
        return PatientViewer(access, session)
    return ANONYMOUS


class AuthenticationMiddleware:
    """Sets scope["viewer"], scope["environment"], scope["now"] and scope["client_ip"]."""

    def __init__(self, app: ASGIApp, settings: Settings, keyring: Keyring,
                 sessions: SessionPolicy, served: ServedEnvironment) -> None:
        self.app = app
        self.settings = settings
        self.keyring = keyring
        self.sessions = sessions
        self.served = served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/graphql"):
            await self.app(scope, receive, send)
            return
        environment = await self.served.get()
        now = utcnow()
        conn = HTTPConnection(scope)
        scope["now"] = now
        scope["environment"] = environment
        scope["client_ip"] = client_ip(scope, self.settings)
        try:
            scope["viewer"] = await authenticate(
                conn, self.settings, self.keyring, self.sessions, environment, now
            )
        except InvalidToken:
            error = {"message": "Unknown or revoked token.", "extensions": {"code": "UNAUTHENTICATED"}}
            response = JSONResponse({"data": None, "errors": [error]}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
