"""Sync throughput of the partner API (P2) on PostgreSQL: studies per second over one walk.

Creates a scratch database on the server, bulk-loads N studies of one institution with COPY,
starts a real `studygate serve` on it and walks `studies(orderBy: UPDATED_AT_ASC,
filter: {updatedSince})` to the end in pages of 500 over HTTP, as a partner's sync does.
Prints the throughput and the per-page latency at the start and at the end of the walk, then
drops the database (unless --keep).

    .venv/bin/python -m bench.partner_sync [--server postgres://postgres@127.0.0.1:5432/postgres]
                                           [--studies 100000] [--page 500]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from auth.crypto import Keyring
from bench.common import SYNC
from models.db import migrate
from tests.live import live_server

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
TOKEN = "sgt_bench_" + secrets.token_urlsafe(32)
START = datetime(2026, 1, 1, tzinfo=UTC)


def _dsn(url: str, database: str | None = None) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}" if database else parts.path))


async def load(url: str, studies: int) -> None:
    """Environment BE, institution AZX, one API client, and `studies` studies via COPY."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        env_id = await conn.fetchval(
            "INSERT INTO environment (code, name, country, portal_url, eid_login_enabled) "
            "VALUES ('BE', 'Belgium', 'BE', 'https://be.example', false) RETURNING id")
        inst_id = await conn.fetchval(
            "INSERT INTO institution (environment_id, code, name, practitioner_images, "
            "practitioner_report, patient_images, patient_report, patient_report_delay_hours) "
            "VALUES ($1, 'AZX', 'AZ Example', true, true, true, true, 0) RETURNING id", env_id)
        await conn.execute(
            "INSERT INTO api_client (environment_id, institution_id, name, token_hash, "
            "scopes_text, created_at) VALUES ($1, $2, 'Bench', $3, 'studies:read', now())",
            env_id, inst_id, Keyring(SECRET).token_hash(TOKEN))
        # Every 7th study shares its updatedAt with the one before: ties the id must break.
        rows = (
            (env_id, inst_id, f"1.2.826.0.1.3680043.10.9.{n}", f"ACC{n:07d}",
             date(2026, 1, 1) + timedelta(days=n % 300), "CT thorax", "|CT|",
             f"Patient {n}", date(1950, 1, 1) + timedelta(days=n % 20000), "F", f"P{n:07d}",
             2, 300, "FINAL", START, START + timedelta(milliseconds=n + 1 - (n % 7 == 0)))
            for n in range(studies)
        )
        await conn.copy_records_to_table("study", records=rows, columns=[
            "environment_id", "institution_id", "study_instance_uid", "accession_number",
            "study_date", "description", "modalities_key", "patient_name",
            "patient_birth_date", "patient_sex", "patient_id", "number_of_series",
            "number_of_instances", "report_status", "created_at", "updated_at"])
        await conn.execute("ANALYZE study")
    finally:
        await conn.close()


def walk(base: str, page_size: int) -> tuple[int, float, list[float]]:
    """(studies seen, seconds, latency of each page in seconds)."""
    latencies: list[float] = []
    seen, after = 0, None
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        started = time.perf_counter()
        while True:
            clock = time.perf_counter()
            body = http.post("/graphql", json={"query": SYNC, "variables": {
                "first": page_size, "after": after, "since": START.isoformat()}}).json()
            latencies.append(time.perf_counter() - clock)
            assert not body.get("errors"), body["errors"]
            page = body["data"]["studies"]
            seen += len(page["edges"])
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                return seen, time.perf_counter() - started, latencies


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server URL; a scratch database is made on it")
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    name = f"studygate_bench_{secrets.token_hex(4)}"
    url = urlunsplit(urlsplit(args.server)._replace(path=f"/{name}"))

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_dsn(args.server))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        clock = time.perf_counter()
        asyncio.run(migrate(url))
        asyncio.run(load(url, args.studies))
        print(f"loaded {args.studies} studies in {time.perf_counter() - clock:.1f} s ({name})")
        env = {"STUDYGATE_DATABASE_URL": url, "STUDYGATE_SECRET_KEY": SECRET,
               "STUDYGATE_DEV": "0", "STUDYGATE_API_POINTS_PER_HOUR": str(10**9)}
        with live_server(env) as (base, _):
            walk(base, args.page)  # warm-up: caches, connections, the query plan
            seen, seconds, latencies = walk(base, args.page)
        assert seen == args.studies, (seen, args.studies)
        tenth = max(1, len(latencies) // 10)
        print(f"walked {seen} studies in {len(latencies)} pages of {args.page}: "
              f"{seconds:.1f} s, {seen / seconds:.0f} studies/s")
        print(f"first {tenth} pages: {_ms(latencies[:tenth])}")
        print(f"last {tenth} pages:  {_ms(latencies[-tenth:])}")
        print(f"all pages:  {_ms(latencies)}, slowest {max(latencies) * 1000:.1f} ms")
    finally:
        if not args.keep:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
