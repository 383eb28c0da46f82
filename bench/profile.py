"""Where a StudyGate request spends its time: pyinstrument over N in-process requests.

Runs the app in this process (production settings, no HTTP socket: the middlewares, GraphQL
execution and the database round trips are all there) against a generated bench database and
prints pyinstrument's call tree for one scenario. Nothing here is part of the product.

    .venv/bin/python -m bench.profile --scenario list|detail|sync [--db studygate_bench] [-n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from pyinstrument import Profiler

from bench.common import DEFAULT_DB, DEFAULT_SERVER, DETAIL, LIST, SECRET, SESSION_COOKIE, SYNC, db_url
from bench.generate import manifest, refresh_sessions


def _request(scenario: str, m: dict) -> tuple[dict, dict, dict]:
    """(json body, headers, cookies) of the scenario's request, as bench/load.py sends it."""
    user = m["users"][0]
    if scenario == "list":
        return {"query": LIST, "variables": {"first": 50}}, {}, {SESSION_COOKIE: user["token"]}
    if scenario == "detail":
        from schema.ids import to_global_id
        study = user["detail_studies"][0]
        study = study if isinstance(study, str) else to_global_id("Study", study)
        return ({"query": DETAIL, "variables": {"id": study}}, {},
                {SESSION_COOKIE: user["token"]})
    return ({"query": SYNC, "variables": {"first": 500, "since": m["sync_since"]}},
            {"Authorization": f"Bearer {m['sync_token']}"}, {})


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--scenario", choices=("list", "detail", "sync"), default="list")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    url = db_url(args.server, args.db)
    await refresh_sessions(url)
    m = await manifest(url)

    from app import create_app
    from settings import Settings

    settings = Settings(dev=False, secret_key=SECRET, database_url=url, environment="BE",
                        api_points_per_hour=10**9)
    app = create_app(settings)
    body, headers, cookies = _request(args.scenario, m)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver",
                                     headers=headers, cookies=cookies) as http:
            for _ in range(20):  # warm-up: document cache, pool, query plans
                response = await http.post("/graphql", json=body)
                assert response.status_code == 200 and "errors" not in response.json(), \
                    response.text[:300]
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            started = time.perf_counter()
            with profiler:
                for _ in range(args.n):
                    await http.post("/graphql", json=body)
            seconds = time.perf_counter() - started
    print(f"{args.scenario}: {args.n} requests in process, {seconds / args.n * 1000:.2f} ms each "
          "(profiled, so slower than served)")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    asyncio.run(main())
