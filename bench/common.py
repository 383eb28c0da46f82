"""Shared by the bench scripts: the bench's secrets (all derived, so a kept database can be
reused), database URLs, and the GraphQL documents of the scenarios.

Nothing here is part of the product.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "bench correct horse battery staple"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_DB = "studygate_bench"
SESSION_COOKIE = "__Host-studygate"  # production mode (L8)


def _derive(label: str) -> str:
    return hashlib.sha256(f"{SECRET}:{label}".encode()).hexdigest()


def session_token(user_id: int) -> str:
    """The clear session token of a bench practitioner (the generator stores its hash)."""
    return "bs_" + _derive(f"session:{user_id}")[:43]


def api_token(institution_code: str) -> str:
    return "sgt_bench_" + _derive(f"api:{institution_code}")[:43]


def username(n: int) -> str:
    return f"dr{n:05d}@bench.example"


def db_url(server: str, database: str) -> str:
    """Tortoise URL (postgres://) of `database` on `server`."""
    return urlunsplit(urlsplit(server)._replace(path=f"/{database}"))


def dsn(url: str) -> str:
    """asyncpg DSN of a Tortoise postgres:// URL."""
    return url.replace("postgres://", "postgresql://", 1).replace("asyncpg://", "postgresql://", 1)


# ------------------------------------------------------------------ scenario documents

LIST = """query($first: Int) {
  studies(first: $first) {
    edges { node {
      id studyInstanceUid accessionNumber studyDate description modalities
      patient { name birthDate sex patientId }
      institution { id name }
      referringPhysician reportStatus numberOfSeries numberOfInstances
      visibility { via group { id name } }
      access { images { allowed reason } report { allowed reason } }
    } }
    pageInfo { hasNextPage endCursor }
  } }"""

DETAIL = """query($id: ID!) {
  study(id: $id) {
    id studyInstanceUid accessionNumber studyDate description modalities
    patient { name birthDate sex patientId }
    institution { id name }
    referringPhysician reportStatus
    report { status text author signedAt }
    images { series { seriesInstanceUid modality description bodyPart numberOfInstances } }
  } }"""

SYNC = """query($first: Int, $after: String, $since: DateTime) {
  studies(first: $first, after: $after, orderBy: UPDATED_AT_ASC,
          filter: {updatedSince: $since}) {
    edges { node { id studyInstanceUid accessionNumber studyDate modalities updatedAt
                   patient { name birthDate } numberOfSeries numberOfInstances reportStatus } }
    pageInfo { hasNextPage endCursor } } }"""

LOGIN = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  __typename ... on LoginSuccess { expiresAt } ... on LoginFailed { reason } } }"""


def scenario_requests(m: dict) -> dict[str, tuple[dict, dict[str, str]]]:
    """One request of each scenario, (JSON body, headers), for the checks that send a single
    request: the response comparison, the SQL counts and the profiler."""
    detail_user = next(u for u in m["users"] if u["detail_studies"])
    bench_ids = {u["user_id"] for u in m["users"]}
    login_user = next(n for n in range(1, 5001) if n not in bench_ids)
    return {
        "list": ({"query": LIST, "variables": {"first": 50}},
                 {"Cookie": f"{SESSION_COOKIE}={detail_user['token']}"}),
        "detail": ({"query": DETAIL, "variables": {"id": detail_user["detail_studies"][0]}},
                   {"Cookie": f"{SESSION_COOKIE}={detail_user['token']}"}),
        "sync": ({"query": SYNC, "variables": {"first": 500, "since": m["sync_since"]}},
                 {"Authorization": f"Bearer {m['sync_token']}"}),
        "login": ({"query": LOGIN, "variables": {"u": username(login_user), "p": PASSWORD}}, {}),
    }
