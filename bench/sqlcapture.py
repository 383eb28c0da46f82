"""SQL statements per request of StudyGate, and the statements themselves (issue 9).

PostgreSQL's pg_stat_statements needs `shared_preload_libraries` (a server restart), which a
shared bench server may not allow; so the statements are counted the way the test suite does
(tests/sqlcount.py: Tortoise logs every statement on `tortoise.db_client`), in-process, with
the app built exactly as `studygate serve` builds it (production settings) on the bench
database. Each scenario's request is sent once to warm caches, then --repeat times counted.

    .venv/bin/python -m bench.sqlcapture --db-url postgres://postgres@127.0.0.1:5432/studygate_bench \\
        --manifest bench/.manifest.json [--show]

Prints one JSON object {scenario: statements per request}; with --show also every statement of
the last counted request (to port into bench/baseline.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx

from bench.common import SECRET, scenario_requests


async def capture(db_url: str, manifest: dict, repeat: int, show: bool) -> dict:
    from app import create_app
    from models.db import close_db, init_db
    from settings import Settings
    from tests.sqlcount import count_sql

    settings = Settings(dev=False, secret_key=SECRET, database_url=db_url, environment="BE",
                        api_points_per_hour=10**9)
    app = create_app(settings)
    await init_db(db_url, settings.db_pool_size)
    cases = scenario_requests(manifest)
    out: dict = {}
    statements: dict[str, list[str]] = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5555)),
                                     base_url="http://127.0.0.1") as http:
            for name, (body, headers) in cases.items():
                response = await http.post("/graphql", json=body, headers=headers)
                assert response.status_code == 200 and not response.json().get("errors"), response.text[:500]
                total = 0
                for _ in range(repeat):
                    with count_sql() as seen:
                        response = await http.post("/graphql", json=body, headers=headers)
                    assert response.status_code == 200, response.text[:500]
                    total += len(seen)
                    statements[name] = list(seen)
                out[name] = round(total / repeat, 2)
                if name == "sync":  # the next page: the keyset condition of a cursor
                    after = response.json()["data"]["studies"]["pageInfo"]["endCursor"]
                    page2 = {**body, "variables": {**body["variables"], "after": after}}
                    with count_sql() as seen:
                        response = await http.post("/graphql", json=page2, headers=headers)
                    assert response.status_code == 200 and not response.json().get("errors")
                    statements["sync_after"] = list(seen)
                    out["sync_after"] = len(seen)
    finally:
        await close_db()
    if show:
        for name, seen in statements.items():
            print(f"==== {name}: {len(seen)} statements", file=sys.stderr)
            for s in seen:
                print(s, file=sys.stderr)
                print("--", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    manifest = json.load(open(args.manifest))
    print(json.dumps(asyncio.run(capture(args.db_url, manifest, args.repeat, args.show))))


if __name__ == "__main__":
    main()
