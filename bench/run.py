"""StudyGate vs a minimal baseline, one command (issue 9): writes bench/RESULTS.md.

    .venv/bin/python -m bench.run                       # full: 1,000,000 studies, 3 rounds
    .venv/bin/python -m bench.run --studies 20000 --rounds 1 --duration 4 --warmup 2   # quick
    .venv/bin/python -m bench.run --reuse ...           # keep the generated database

Steps: generate the data (bench/generate.py; with --reuse an existing complete bench database
is kept), count StudyGate's SQL statements per request in-process (bench/sqlcapture.py),
start `studygate serve` (production settings, one uvicorn worker) and bench/baseline.py, each
pinned with `taskset -c 1`, and drive them with bench/load.py pinned with `taskset -c 0`.
Per round and server: (a) list and (b) detail: highest rate with p99 <= 100 ms (search), then
p50/p99 at one fixed rate for both servers (half StudyGate's list/detail capacity in that
round); (c) partner sync walk of every institution (the whole database); (d) the list at the fixed rate alone
and with --login-rate password logins per second alongside. Medians over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata as md
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.common import DEFAULT_DB, DEFAULT_SERVER, ROOT, SECRET, db_url, dsn, scenario_requests
from bench.generate import create, database_ready, manifest, refresh_sessions

BENCH = ROOT / "bench"
PY = sys.executable
KINDS = ("studygate", "baseline")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, kind: str, url: str, cpu: str, log_dir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "STUDYGATE_DATABASE_URL": url, "STUDYGATE_SECRET_KEY": SECRET,
               "STUDYGATE_DEV": "0", "STUDYGATE_ENVIRONMENT": "BE",
               # The partner's fair-use budget would stop a bench sync walk (as in partner_sync).
               "STUDYGATE_API_POINTS_PER_HOUR": str(10**9)}
        if kind == "studygate":
            script = Path(PY).parent / "studygate"
            cmd = [str(script)] if script.exists() else [PY, "-m", "cli"]
            cmd += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        else:
            cmd = [PY, "-m", "bench.baseline", "--db-url", url, "--port", str(self.port)]
        self.cmd = ["taskset", "-c", cpu, *cmd]
        self.log = log_dir / f"bench-{kind}-{self.port}.log"
        self.proc = subprocess.Popen(self.cmd, env=env, cwd=ROOT, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} did not answer: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(server: Server, args, manifest_path: Path, database: str, *extra: str) -> dict:
    cmd = ["taskset", "-c", args.load_cpu, PY, "-m", "bench.load", "--url", server.base,
           "--manifest", str(manifest_path), "--server-pid", str(server.pid),
           "--db-name", database, "--duration", str(args.duration), "--warmup", str(args.warmup),
           *extra]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load failed ({done.returncode}): {shlex.join(cmd)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_sql_per_request(server: Server, m: dict) -> dict:
    """The baseline counts its own statements (GET /bench/sql-count)."""
    cases = scenario_requests(m)
    out = {}
    with httpx.Client(base_url=server.base, timeout=30) as http:
        for name, (body, headers) in cases.items():
            before = http.get("/bench/sql-count").json()["count"]
            response = http.post("/graphql", json=body, headers=headers)
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
            out[name] = http.get("/bench/sql-count").json()["count"] - before
    return out


def compare_responses(servers: dict[str, Server], m: dict) -> list[str]:
    """Same request to both servers: the JSON must match (a visible check of the baseline)."""
    notes = []
    cases = {k: v for k, v in scenario_requests(m).items() if k != "login"}
    for name, (body, headers) in cases.items():
        got = {}
        for kind, server in servers.items():
            got[kind] = httpx.post(server.base + "/graphql", json=body, headers=headers,
                                   timeout=30).json()
        same = got["studygate"] == got["baseline"]
        if not same and name == "detail":
            # viewerUrl/expiresAt are signed, time-dependent: compare without them
            for g in got.values():
                images = (g.get("data") or {}).get("study", {}).get("images") or {}
                images.pop("viewerUrl", None)
                images.pop("expiresAt", None)
            same = got["studygate"] == got["baseline"]
        notes.append(f"{name}: {'identical JSON' if same else 'JSON DIFFERS'}")
        if not same:
            (BENCH / f".diff-{name}.json").write_text(json.dumps(got, indent=1, sort_keys=True))
    return notes


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem / 1024 / 1024, 1),
            "kernel": platform.release()}


async def pg_version(url: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(dsn(url))
    try:
        return (await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


def versions(url: str) -> dict:
    out = {"Python": platform.python_version(), "PostgreSQL": asyncio.run(pg_version(url))}
    for name in ("strawberry-graphql", "tortoise-orm", "uvicorn", "starlette", "asyncpg", "orjson"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "?"
    return out


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def write_results(path: Path, args, info: dict, rounds: list[dict], sql: dict, notes: list[str],
                  gen_report: str) -> None:
    def agg(kind: str, key: str, field: str):
        return med([r[kind][key].get(field) if isinstance(r[kind][key], dict) else None
                    for r in rounds])

    lines = [
        "# StudyGate benchmark results (issue 9)", "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {args.rounds} round(s), medians "
        f"over rounds; measured {args.duration:g} s after {args.warmup:g} s warm-up per point.", "",
        "Command:", "", "```", info["command"], "```", "",
        "## Machine and versions", "",
        f"- CPU: {info['machine']['cpu']}, {info['machine']['cores']} cores; RAM "
        f"{info['machine']['ram_gib']} GiB; kernel {info['machine']['kernel']}",
        "- " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- Data: {info['studies']:,} studies ({gen_report})",
        "- Servers: one process each, one uvicorn worker (asyncio loop, h11), pinned with "
        "`taskset -c 1`; load generator pinned with `taskset -c 0`; PostgreSQL unpinned "
        "(same machine). StudyGate in production mode (`STUDYGATE_DEV=0`, secret key set, "
        "`STUDYGATE_API_POINTS_PER_HOUR=1e9` so that the fair-use budget does not stop the "
        "sync walk; no Redis).",
        "- Latency is measured from each request's scheduled send time (open loop, "
        "coordinated-omission free). CPU ms/req = server process user+system CPU over the "
        "measured period / requests; db ms/req the same for the PostgreSQL backends of the "
        "bench database.",
        "- SQL/req: StudyGate counted in-process with the `tortoise.db_client` logger "
        "(bench/sqlcapture.py, as tests/sqlcount.py; BEGIN/COMMIT not counted); "
        "pg_stat_statements needs a server restart (shared_preload_libraries) which a "
        "shared server does not allow. Baseline: its own counter.", "",
    ]
    if notes:
        lines += ["Response check (same request to both servers): " + "; ".join(notes), ""]

    for scenario, target in (("list", 0.4), ("detail", 0.5)):
        sg = agg("studygate", f"{scenario}_search", "max_rps_at_p99")
        bl = agg("baseline", f"{scenario}_search", "max_rps_at_p99")
        ratio = sg / bl if sg and bl else None
        rate = med([r["fixed"][scenario] for r in rounds])
        lines += [f"## ({'a' if scenario == 'list' else 'b'}) {scenario}", "",
                  f"Fixed rate for p50/p99: {fmt(rate)} req/s (half StudyGate's capacity).", "",
                  "| server | rps at p99 ≤ 100 ms | p50 ms | p99 ms | CPU ms/req | db ms/req | SQL/req |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for kind in KINDS:
            key = f"{scenario}_fixed"
            lines.append(
                f"| {kind} | {fmt(agg(kind, f'{scenario}_search', 'max_rps_at_p99'))} | "
                f"{fmt(agg(kind, key, 'p50_ms'), 2)} | {fmt(agg(kind, key, 'p99_ms'), 2)} | "
                f"{fmt(agg(kind, key, 'cpu_ms_per_req'), 2)} | "
                f"{fmt(agg(kind, key, 'db_cpu_ms_per_req'), 2)} | {fmt(sql[kind].get(scenario))} |")
        met = ratio is not None and ratio >= target
        lines += ["", f"Ratio StudyGate/baseline rps: **{fmt(ratio, 2)}** (target ≥ {target}): "
                  f"**{'met' if met else 'NOT met'}**.", ""]

    lines += ["## (c) partner sync walk", "",
              "Every study of the database: each institution's partner in turn walks its "
              "studies (`updatedSince` its first study, `UPDATED_AT_ASC`), pages of 500, one "
              f"client at a time, after a {args.warm_pages}-page warm-up on the largest; "
              "first/last = median of the first/last tenth of all the pages.", "",
              "| server | studies | pages | studies/s | studies per server CPU-s | first ms | last ms | last/first | SQL/page |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in KINDS:
        lines.append(
            f"| {kind} | {fmt(agg(kind, 'sync', 'studies'))} | {fmt(agg(kind, 'sync', 'pages'))} | "
            f"{fmt(agg(kind, 'sync', 'studies_per_s'), 0)} | "
            f"{fmt(agg(kind, 'sync', 'studies_per_cpu_s'), 0)} | "
            f"{fmt(agg(kind, 'sync', 'first_pages_ms'), 2)} | "
            f"{fmt(agg(kind, 'sync', 'last_pages_ms'), 2)} | "
            f"{fmt(agg(kind, 'sync', 'last_over_first'), 2)} | {fmt(sql[kind].get('sync'))} |")
    sps = agg("studygate", "sync", "studies_per_s")
    lof = agg("studygate", "sync", "last_over_first")
    met = sps is not None and sps >= 5000 and lof is not None and lof <= 1.5
    lines += ["", f"Target (StudyGate ≥ 5,000 studies/s with its server on one core, last ≤ 1.5× "
              f"first): **{'met' if met else 'NOT met'}** ({fmt(sps, 0)} studies/s, "
              f"last/first {fmt(lof, 2)}).", ""]

    lines += ["## (d) list with password logins", "",
              f"List at the fixed list rate, alone and with {args.login_rate:g} password "
              "logins/s alongside (argon2 in a worker thread, same core).", "",
              "| server | list p50 alone | p99 alone | p50 with logins | p99 with logins | "
              "p99 ratio | login p50 | login p99 | login errors | SQL/login |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    ratios = {}
    for kind in KINDS:
        alone = agg(kind, "list_fixed", "p99_ms")
        withl = agg(kind, "list_logins", "p99_ms")
        ratios[kind] = med([r[kind]["list_logins"]["p99_ms"] / r[kind]["list_fixed"]["p99_ms"]
                            for r in rounds if r[kind]["list_fixed"].get("p99_ms")])
        lines.append(
            f"| {kind} | {fmt(agg(kind, 'list_fixed', 'p50_ms'), 2)} | {fmt(alone, 2)} | "
            f"{fmt(agg(kind, 'list_logins', 'p50_ms'), 2)} | {fmt(withl, 2)} | "
            f"{fmt(ratios[kind], 2)} | {fmt(agg(kind, 'list_logins', 'logins_p50_ms'), 1)} | "
            f"{fmt(agg(kind, 'list_logins', 'logins_p99_ms'), 1)} | "
            f"{fmt(agg(kind, 'list_logins', 'logins_errors'))} | {fmt(sql[kind].get('login'))} |")
    r = ratios["studygate"]
    lines += ["", f"Target (StudyGate list p99 with logins ≤ 1.5× alone): "
              f"**{'met' if r is not None and r <= 1.5 else 'NOT met'}** ({fmt(r, 2)}×).", "",
              "Raw numbers of every round and search trial: `bench/results.json`.", ""]
    path.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--studies", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--search-duration", type=float, help="default: --duration")
    parser.add_argument("--login-rate", type=float, default=5.0)
    parser.add_argument("--warm-pages", type=int, default=20)
    parser.add_argument("--server-cpu", default="1")
    parser.add_argument("--load-cpu", default="0")
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()
    command = "cd " + str(ROOT) + " && " + shlex.join([".venv/bin/python", "-m", "bench.run",
                                                      *sys.argv[1:]])
    url = db_url(args.server, args.db)
    started = time.perf_counter()
    gen_report = "reused"
    if args.reuse and asyncio.run(database_ready(url)):
        print(f"reusing {args.db}", flush=True)
    else:
        t = time.perf_counter()
        asyncio.run(create(args.server, args.db, args.studies, args.sessions))
        gen_report = f"generated in {time.perf_counter() - t:.0f} s"

    from schema.ids import to_global_id

    m = asyncio.run(manifest(url))
    for u in m["users"]:
        u["detail_studies"] = [to_global_id("Study", i) for i in u["detail_studies"]]
    manifest_path = BENCH / ".manifest.json"
    manifest_path.write_text(json.dumps(m))
    asyncio.run(refresh_sessions(url))

    print("counting StudyGate's SQL statements per request ...", flush=True)
    done = subprocess.run([PY, "-m", "bench.sqlcapture", "--db-url", url, "--manifest",
                           str(manifest_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                          check=True)
    sql = {"studygate": json.loads(done.stdout.strip().splitlines()[-1])}

    log_dir = Path("/tmp")
    servers = {kind: Server(kind, url, args.server_cpu, log_dir) for kind in KINDS}
    rounds: list[dict] = []
    notes: list[str] = []
    try:
        asyncio.run(refresh_sessions(url))
        sql["baseline"] = baseline_sql_per_request(servers["baseline"], m)
        notes = compare_responses(servers, m)
        print("response check: " + "; ".join(notes), flush=True)
        search = ["--mode", "search"]
        if args.search_duration:
            search = [*search, "--duration", str(args.search_duration)]
        for n in range(args.rounds):
            result: dict = {kind: {} for kind in KINDS}
            for scenario in ("list", "detail"):
                for kind in KINDS:
                    asyncio.run(refresh_sessions(url))
                    print(f"round {n + 1}: {kind} {scenario} search", flush=True)
                    result[kind][f"{scenario}_search"] = load(
                        servers[kind], args, manifest_path, args.db, "--scenario", scenario, *search)
            result["fixed"] = {
                s: max(5.0, round(result["studygate"][f"{s}_search"]["max_rps_at_p99"] / 2, 1))
                for s in ("list", "detail")}
            for kind in KINDS:
                asyncio.run(refresh_sessions(url))
                s = servers[kind]
                print(f"round {n + 1}: {kind} fixed rates, sync walk, logins", flush=True)
                result[kind]["list_fixed"] = load(s, args, manifest_path, args.db, "--scenario",
                                                  "list", "--rate", str(result["fixed"]["list"]))
                result[kind]["detail_fixed"] = load(s, args, manifest_path, args.db, "--scenario",
                                                    "detail", "--rate", str(result["fixed"]["detail"]))
                result[kind]["sync"] = load(s, args, manifest_path, args.db, "--mode", "walk",
                                            "--warm-pages", str(args.warm_pages),
                                            "--all-institutions")
                asyncio.run(refresh_sessions(url))
                result[kind]["list_logins"] = load(
                    s, args, manifest_path, args.db, "--scenario", "list", "--rate",
                    str(result["fixed"]["list"]), "--logins", str(args.login_rate))
            rounds.append(result)
            (BENCH / "results.json").write_text(json.dumps(
                {"rounds": rounds, "sql": sql, "args": vars(args)}, indent=1))
    finally:
        for server in servers.values():
            server.stop()
    info = {"command": command, "machine": machine(), "versions": versions(url),
            "studies": m["studies"]}
    write_results(Path(args.out), args, info, rounds, sql, notes, gen_report)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
