"""API clients (P1): bearer tokens with the `sgt_` prefix, 256 bits, stored as keyed hashes."""

from __future__ import annotations

from datetime import datetime

from auth.crypto import Keyring, new_token
from models.api_clients import SCOPES, ApiClient
from models.environments import Environment
from models.institutions import Institution


class ApiClientError(ValueError):
    pass


def parse_scopes(text: str) -> list[str]:
    scopes = sorted({s.strip() for s in text.split(",") if s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise ApiClientError(
            f"scopes must be a comma-separated subset of {', '.join(SCOPES)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return scopes


async def create_api_client(
    keyring: Keyring, environment_code: str, institution_code: str, name: str,
    scopes: list[str], now: datetime,
) -> tuple[ApiClient, str]:
    """Creates the client; returns it with its token, which is shown once and never stored."""
    if not name.strip() or len(name) > 200:
        raise ApiClientError("name must be 1 to 200 characters")
    env = await Environment.filter(code=environment_code).first()
    if env is None:
        raise ApiClientError(f"unknown environment {environment_code}")
    inst = await Institution.filter(environment_id=env.id, code=institution_code).first()
    if inst is None:
        raise ApiClientError(f"unknown institution {institution_code} in environment {env.code}")
    token = new_token("sgt_", 32)
    client = await ApiClient.create(
        environment_id=env.id, institution_id=inst.id, name=name.strip(),
        token_hash=keyring.token_hash(token), scopes_text=",".join(scopes), created_at=now,
    )
    return client, token


async def revoke_api_clients(
    environment_code: str, now: datetime, institution_code: str | None = None,
    name: str | None = None, client_id: int | None = None,
) -> int:
    """Revokes the active clients named by `client_id`, or by institution and name (every
    active client of that name there); returns how many. Their tokens stop working at once:
    the middleware reads `revoked_at` on every request (P1)."""
    env = await Environment.filter(code=environment_code).first()
    if env is None:
        raise ApiClientError(f"unknown environment {environment_code}")
    clients = ApiClient.filter(environment_id=env.id, revoked_at=None)
    if client_id is not None:
        clients = clients.filter(id=client_id)
    else:
        inst = await Institution.filter(environment_id=env.id, code=institution_code).first()
        if inst is None:
            raise ApiClientError(f"unknown institution {institution_code} in environment {env.code}")
        clients = clients.filter(institution_id=inst.id, name=(name or "").strip())
    return await clients.update(revoked_at=now)
