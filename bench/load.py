"""Open-loop HTTP load generator (issue 9, part 3); runs in its own process.

Requests are scheduled at t0 + i/rate whatever the responses do, and each latency is measured
from its *scheduled* time (wrk2-style, free of coordinated omission): when the server falls
behind, the queueing shows in the latency. HTTP/1.1 keep-alive over raw asyncio streams, a
pool of up to --connections connections opened on demand. A warm-up period precedes the
measured one; only requests scheduled inside the measured period count.

Modes (one JSON object on stdout's last line):

    fixed   --rate R                        p50/p90/p99, achieved rps, errors, CPU ms/req
    search                                  highest rate with p99 <= --p99-ms (100 ms)
    walk                                    partner sync walk: studies/s, first vs last pages

    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 --manifest bench/.manifest.json \\
        --scenario list|detail|login --mode fixed --rate 200 --duration 10 --warmup 3 \\
        [--server-pid PID] [--logins 5]

CPU ms per request: utime+stime of --server-pid (from /proc/PID/stat) over the measured
period divided by the measured requests; the same for the PostgreSQL backends serving the
bench database (processes titled `postgres: ... <db> ...`), shown apart as db_cpu_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from urllib.parse import urlsplit

import orjson

from bench.common import DETAIL, LIST, LOGIN, PASSWORD, SESSION_COOKIE, SYNC, username

TICKS = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ CPU accounting

def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its finished-and-waited children."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def db_backends_cpu(database: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to `database` (process title)."""
    total = 0.0
    needle = f" {database} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                title = fh.read()
            if title.startswith(b"postgres: ") and needle in title.replace(b"\0", b" "):
                total += proc_cpu(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return total


# ------------------------------------------------------------------ HTTP/1.1 client

class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = False  # has answered a request: the server may since have closed it idle
        self.closed = False  # the server said Connection: close

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = None, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if length is not None:
            body = await self.reader.readexactly(length)
        elif chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            close = True
        self.used, self.closed = True, close
        return status, body

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:
            pass


class Pool:
    def __init__(self, url: str, size: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.hostheader = f"{self.host}:{self.port}".encode()
        self.size = size
        self.idle: list[Conn] = []
        self.opened = 0
        self.waiters: asyncio.Queue[Conn] = asyncio.Queue()

    async def acquire(self) -> Conn:
        if self.idle:
            return self.idle.pop()
        if self.opened < self.size:
            self.opened += 1
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except Exception:
                self.opened -= 1
                raise
            return Conn(reader, writer)
        return await self.waiters.get()

    def release(self, conn: Conn | None) -> None:
        if conn is None:
            self.opened -= 1
        elif self.waiters._getters:  # type: ignore[attr-defined]  # someone waits: hand over
            self.waiters.put_nowait(conn)
        else:
            self.idle.append(conn)

    async def call(self, raw: bytes) -> tuple[int, bytes]:
        """As HTTP clients do: a kept-alive connection that the server closed while it was idle
        (uvicorn after 5 s) fails at once, before any answer; the request goes again on a new
        connection. Its latency still counts from the scheduled time."""
        while True:
            conn = await self.acquire()
            stale = conn.used
            try:
                result = await conn.request(raw)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                conn.close()
                self.release(None)
                if stale and not getattr(exc, "partial", b""):
                    continue
                raise
            except BaseException:
                conn.close()
                self.release(None)
                raise
            if conn.closed:
                conn.close()
                self.release(None)
            else:
                self.release(conn)
            return result

    def close(self) -> None:
        for conn in self.idle:
            conn.close()


def post(host: bytes, body: dict, headers: dict[str, str]) -> bytes:
    data = orjson.dumps(body)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    return (b"POST /graphql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n"
            b"Accept: application/json\r\nContent-Length: " + str(len(data)).encode() + b"\r\n"
            + extra + b"\r\n" + data)


# ------------------------------------------------------------------ scenarios

def requests_for(scenario: str, manifest: dict, host: bytes) -> list[bytes]:
    """A rotation of pre-encoded requests for a scenario (different users, studies)."""
    users = manifest["users"]
    out: list[bytes] = []
    if scenario == "list":
        for u in users:
            out.append(post(host, {"query": LIST, "variables": {"first": 50}},
                            {"Cookie": f"{SESSION_COOKIE}={u['token']}"}))
    elif scenario == "detail":
        for u in users:
            for sid in u["detail_studies"]:
                out.append(post(host, {"query": DETAIL, "variables": {"id": sid}},
                                {"Cookie": f"{SESSION_COOKIE}={u['token']}"}))
    elif scenario == "login":
        bench = {u["user_id"] for u in users}
        for n in range(1, 5001):
            if n not in bench:
                out.append(post(host, {"query": LOGIN, "variables": {"u": username(n), "p": PASSWORD}},
                                {}))
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    random.Random(1).shuffle(out)
    return out


def check_body(scenario: str, status: int, body: bytes) -> bool:
    if status != 200:
        return False
    if scenario == "login":
        return b'"LoginSuccess"' in body
    return b'"errors"' not in body and b'"data"' in body


# ------------------------------------------------------------------ open-loop driver

class Stream:
    """One open-loop request stream: `rate` per second, requests from `reqs` in rotation."""

    def __init__(self, name: str, scenario: str, reqs: list[bytes], rate: float) -> None:
        self.name, self.scenario, self.reqs, self.rate = name, scenario, reqs, rate
        self.latencies: list[float] = []  # measured period only, seconds
        self.errors = 0
        self.error_sample: str | None = None
        self.sent = 0
        self.inflight: dict[int, float] = {}


async def drive(pool: Pool, streams: list[Stream], warmup: float, duration: float,
                abort_after: float | None, on_measure_start, on_measure_end) -> dict:
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    measure_from, measure_to = t0 + warmup, t0 + warmup + duration
    tasks: set[asyncio.Task] = set()
    aborted = False

    async def one(stream: Stream, i: int, scheduled: float, measured: bool) -> None:
        stream.inflight[i] = scheduled
        try:
            status, body = await pool.call(stream.reqs[i % len(stream.reqs)])
            ok = check_body(stream.scenario, status, body)
            if not ok and stream.error_sample is None:
                stream.error_sample = f"{status} {body[:300]!r}"
        except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
            ok = False
            if stream.error_sample is None:
                stream.error_sample = repr(exc)
        finally:
            stream.inflight.pop(i, None)
        if measured:
            if ok:
                stream.latencies.append(loop.time() - scheduled)
            else:
                stream.errors += 1

    async def schedule(stream: Stream) -> None:
        nonlocal aborted
        i = 0
        interval = 1.0 / stream.rate
        while not aborted:
            scheduled = t0 + i * interval
            if scheduled >= measure_to:
                return
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if abort_after is not None and stream.inflight:
                oldest = min(stream.inflight.values())
                if loop.time() - oldest > abort_after:
                    aborted = True
                    return
            task = loop.create_task(one(stream, i, scheduled, measure_from <= scheduled < measure_to))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
            stream.sent = i

    async def measure_marks() -> None:
        await asyncio.sleep(max(0.0, measure_from - loop.time()))
        on_measure_start()
        await asyncio.sleep(max(0.0, measure_to - loop.time()))
        on_measure_end()

    marks = loop.create_task(measure_marks())
    await asyncio.gather(*(schedule(s) for s in streams))
    if aborted:
        marks.cancel()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {"aborted": True}
    await marks
    # Requests scheduled in the measured period but still running: wait (they count).
    deadline = loop.time() + 30
    while tasks and loop.time() < deadline:
        await asyncio.sleep(0.01)
    for task in list(tasks):
        task.cancel()
    return {"aborted": False}


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def run_fixed(args, manifest: dict, rate: float, with_logins: float = 0.0,
                    abort_after: float | None = None) -> dict:
    pool = Pool(args.url, args.connections)
    host = pool.hostheader
    streams = [Stream("main", args.scenario, requests_for(args.scenario, manifest, host), rate)]
    if with_logins:
        streams.append(Stream("logins", "login", requests_for("login", manifest, host), with_logins))
    cpu: dict[str, float] = {}

    def start() -> None:
        cpu["t"] = time.perf_counter()
        if args.server_pid:
            cpu["server"] = proc_cpu(args.server_pid)
        if args.db_name:
            cpu["db"] = db_backends_cpu(args.db_name)

    def end() -> None:
        cpu["t"] = time.perf_counter() - cpu["t"]
        if args.server_pid:
            cpu["server"] = proc_cpu(args.server_pid) - cpu["server"]
        if args.db_name:
            cpu["db"] = db_backends_cpu(args.db_name) - cpu["db"]

    try:
        state = await drive(pool, streams, args.warmup, args.duration, abort_after, start, end)
    finally:
        pool.close()
    if state["aborted"]:
        return {"rate": rate, "aborted": True, "p99_ms": float("inf"), "errors": 0}
    result = {"rate": rate, "aborted": False}
    total = 0
    for s in streams:
        lat = sorted(s.latencies)
        count = len(lat) + s.errors
        total += count
        prefix = "" if s.name == "main" else f"{s.name}_"
        result.update({
            f"{prefix}requests": count, f"{prefix}errors": s.errors,
            f"{prefix}rps": round(len(lat) / args.duration, 1),
            f"{prefix}p50_ms": round(percentile(lat, 0.50) * 1000, 2),
            f"{prefix}p90_ms": round(percentile(lat, 0.90) * 1000, 2),
            f"{prefix}p99_ms": round(percentile(lat, 0.99) * 1000, 2),
            f"{prefix}max_ms": round(lat[-1] * 1000, 2) if lat else None,
        })
        if s.error_sample:
            result[f"{prefix}error_sample"] = s.error_sample
    if "server" in cpu and total:
        result["cpu_ms_per_req"] = round(cpu["server"] * 1000 / total, 3)
        result["server_cpu_util"] = round(cpu["server"] / cpu["t"], 3)
    if "db" in cpu and total:
        result["db_cpu_ms_per_req"] = round(cpu["db"] * 1000 / total, 3)
    result["connections"] = pool.opened
    return result


def good(result: dict, p99_ms: float) -> bool:
    return (not result["aborted"] and result["errors"] == 0 and result["p99_ms"] <= p99_ms
            and result["rps"] >= 0.97 * result["rate"])


async def run_search(args, manifest: dict) -> dict:
    """Double the rate from --start-rate until p99 > limit, then bisect --bisect times."""
    trials = []

    async def trial(rate: float) -> bool:
        result = await run_fixed(args, manifest, rate, abort_after=max(1.0, 10 * args.p99_ms / 1000))
        trials.append(result)
        print(f"  {args.scenario} @ {rate:.0f}/s: p99 {result['p99_ms']} ms, "
              f"rps {result.get('rps')}, errors {result['errors']}"
              f"{' (aborted)' if result['aborted'] else ''}", file=sys.stderr, flush=True)
        await asyncio.sleep(args.pause)
        return good(result, args.p99_ms)

    lo, hi = 0.0, None
    rate = args.start_rate
    while hi is None:
        if await trial(rate):
            lo = rate
            rate *= 2
            if rate > args.max_rate:
                hi = rate
        else:
            hi = rate
    for _ in range(args.bisect):
        if lo == 0.0:
            mid = hi / 2
        else:
            mid = (lo + hi) / 2
        if hi - lo < max(2.0, 0.04 * lo):
            break
        if await trial(mid):
            lo = mid
        else:
            hi = mid
    best = max((t for t in trials if good(t, args.p99_ms)), key=lambda t: t["rate"], default=None)
    return {"max_rps_at_p99": round(lo, 1), "best": best, "trials": trials}


async def run_walk(args, manifest: dict) -> dict:
    """Partner sync: page through the largest institution (with --all-institutions: through
    every institution, one partner after the other, the whole database), first `--warm-pages`
    of the largest as warm-up."""
    pool = Pool(args.url, 1)
    largest = {"token": manifest["sync_token"], "since": manifest["sync_since"],
               "studies": manifest["sync_studies"]}
    walks = manifest["sync_all"] if args.all_institutions else [largest]

    async def walk(max_pages: int | None, partners: list[dict]) -> tuple[int, float, list[float], float]:
        seen, lat = 0, []
        cpu0 = proc_cpu(args.server_pid) if args.server_pid else 0.0
        started = time.perf_counter()
        for partner in partners:
            part = await walk_one(max_pages, partner, lat)
            seen += part
        cpu = (proc_cpu(args.server_pid) - cpu0) if args.server_pid else 0.0
        return seen, time.perf_counter() - started, lat, cpu

    async def walk_one(max_pages: int | None, partner: dict, lat: list[float]) -> int:
        headers = {"Authorization": f"Bearer {partner['token']}"}
        after, seen, pages = None, 0, 0
        while True:
            raw = post(pool.hostheader, {"query": SYNC, "variables": {
                "first": args.page, "after": after, "since": partner["since"]}}, headers)
            clock = time.perf_counter()
            status, body = await pool.call(raw)
            lat.append(time.perf_counter() - clock)
            data = orjson.loads(body)
            if status != 200 or data.get("errors"):
                raise SystemExit(f"sync page failed: {status} {body[:500]!r}")
            page = data["data"]["studies"]
            seen += len(page["edges"])
            pages += 1
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"] or (max_pages and pages >= max_pages):
                return seen

    try:
        await walk(args.warm_pages, [largest])
        seen, seconds, lat, cpu = await walk(None, walks)
    finally:
        pool.close()
    tenth = max(1, len(lat) // 10)
    first = statistics.median(lat[:tenth]) * 1000
    last = statistics.median(lat[-tenth:]) * 1000
    return {"studies": seen, "pages": len(lat), "seconds": round(seconds, 2),
            "studies_per_s": round(seen / seconds, 1),
            "studies_per_cpu_s": round(seen / cpu, 1) if cpu else None,
            "first_pages_ms": round(first, 2), "last_pages_ms": round(last, 2),
            "last_over_first": round(last / first, 3), "slowest_ms": round(max(lat) * 1000, 2),
            "expected": sum(w["studies"] for w in walks), "partners": len(walks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="server base URL")
    parser.add_argument("--manifest", required=True, help="JSON file written by bench.run")
    parser.add_argument("--scenario", choices=["list", "detail", "login"], default="list")
    parser.add_argument("--mode", choices=["fixed", "search", "walk"], default="fixed")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--logins", type=float, default=0.0, help="logins per second alongside")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--db-name", help="database name, for the backends' CPU time")
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--start-rate", type=float, default=50.0)
    parser.add_argument("--max-rate", type=float, default=20000.0)
    parser.add_argument("--bisect", type=int, default=5)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between search trials")
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--warm-pages", type=int, default=20)
    parser.add_argument("--all-institutions", action="store_true",
                        help="walk: every institution's studies, not only the largest's")
    args = parser.parse_args()
    manifest = orjson.loads(open(args.manifest, "rb").read())

    async def go() -> dict:
        if args.mode == "fixed":
            return await run_fixed(args, manifest, args.rate, args.logins)
        if args.mode == "search":
            return await run_search(args, manifest)
        return await run_walk(args, manifest)

    print(orjson.dumps(asyncio.run(go())).decode(), flush=True)


if __name__ == "__main__":
    main()
