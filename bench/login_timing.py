"""L1 timing: a login for an unknown username and for a known one with a wrong password.

Runs both through the real GraphQL endpoint (in-process ASGI, SQLite in a temporary
directory), interleaved, and prints the medians and their ratio. The issue asks for less than
20 % difference in median over 50 tries.

    .venv/bin/python bench/login_timing.py [--tries 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERY = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  ... on LoginFailed { reason } } }"""


async def main(tries: int) -> None:
    import httpx

    from models.challenges import ThrottleCounter
    from models.db import close_db, init_db, migrate
    from tests.api import Api, make_settings
    from tests import factories as f

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/timing.db"
        await migrate(url)
        await init_db(url)
        env = await f.environment()
        await f.user(env, "known@example.be")
        # Every try from its own address, so that the L3 address counter never interferes.
        api = Api(make_settings(url))
        timings: dict[str, list[float]] = {"unknown": [], "wrong password": []}
        for i in range(tries + 5):
            for label, username in (("unknown", f"nobody{i}@example.be"),
                                    ("wrong password", "known@example.be")):
                api.http._transport = httpx.ASGITransport(app=api.app, client=(f"10.1.{i // 250}.{i % 250 + 1}", 1))
                start = time.perf_counter()
                body = await api.gql(QUERY, {"u": username, "p": f"wrong password {i}"})
                elapsed = time.perf_counter() - start
                assert body["data"]["loginWithPassword"]["reason"] in ("INVALID_CREDENTIALS", "TOO_MANY_ATTEMPTS")
                if i >= 5:  # warm-up
                    timings[label].append(elapsed * 1000)
            if i % 9 == 8:  # stay under the 10-failure username lockout of L3
                await ThrottleCounter.filter(key__startswith="user:").delete()
        await api.close()
        await close_db()
    unknown = statistics.median(timings["unknown"])
    wrong = statistics.median(timings["wrong password"])
    print(f"tries: {tries} each")
    print(f"median unknown username: {unknown:.1f} ms")
    print(f"median wrong password:   {wrong:.1f} ms")
    print(f"difference: {abs(unknown - wrong) / max(unknown, wrong) * 100:.1f} %")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=50)
    asyncio.run(main(parser.parse_args().tries))
