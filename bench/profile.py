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

from bench.common import DEFAULT_DB, DEFAULT_SERVER, SECRET, db_url, scenario_requests
from bench.generate import manifest, refresh_sessions


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
    from schema.ids import to_global_id

    for user in m["users"]:  # as bench.run writes them into its manifest
        user["detail_studies"] = [to_global_id("Study", i) for i in user["detail_studies"]]
    body, headers = scenario_requests(m)[args.scenario]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver",
                                     headers=headers) as http:
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
