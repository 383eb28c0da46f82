"""Scale-out: two `studygate serve` processes on one PostgreSQL database and one Redis are one
service. A session, a lockout (L3) and a partner's hourly budget started on one instance hold
on the other; while PostgreSQL is down `/readyz` and every GraphQL request answer 503 with
Retry-After (never a 500 or an INTERNAL error), and a client that retries on 503 completes
every write exactly once.

The instances share the test run's PostgreSQL database; the outage test stops and starts a
private PostgreSQL cluster of its own (initdb, pg_ctl), never the machine's shared one.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from models.db import is_database_outage
from tests import dbutil
from tests import factories as f
from tests.live import free_port, live_server, run_cli
from tests.partner_gql import partner_client, report_input, study_input

REDIS_URL = "redis://127.0.0.1:6379/0"
COOKIE = "__Host-studygate"  # production mode: the session cookie of L8
needs_postgres = pytest.mark.skipif(
    not dbutil.is_postgres(),
    reason="two server processes need a shared PostgreSQL database: run with "
           "STUDYGATE_TEST_DATABASE_URL=postgres://... (.ci/run's second pass does)")

LOGIN = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  __typename ... on LoginFailed { reason retryAfterSeconds } } }"""
VIEWER = "{ viewer { __typename ... on User { username } } }"
LOGOUT = "mutation { logout }"
CHEAP = "{ currentEnvironment { code } }"  # 2 points (tests/test_partner_budget.py)
UPSERT = "mutation($input: StudyInput!) { upsertStudy(input: $input) { studyInstanceUid } }"
PUBLISH = "mutation($input: ReportInput!) { publishReport(input: $input) { status } }"


def post(base: str, query: str, variables: dict | None = None, *, session: str | None = None,
         token: str | None = None, timeout: float = 30) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if session:
        headers["Cookie"] = f"{COOKIE}={session}"  # Secure cookie; the test talks plain HTTP
    return httpx.post(base + "/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers, timeout=timeout)


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (.ci/run starts it)")


def instance_env(database_url: str, log_dir: Path, **extra: str) -> dict[str, str]:
    """What every instance of one deployment shares: database, Redis (with this run's own key
    prefix, so runs never share counters) and secret key; production mode."""
    return {"STUDYGATE_DATABASE_URL": database_url, "STUDYGATE_SECRET_KEY": f.SECRET,
            "STUDYGATE_DEV": "0", "STUDYGATE_ENVIRONMENT": "BE",
            "STUDYGATE_REDIS_URL": REDIS_URL,
            "STUDYGATE_REDIS_PREFIX": f"sgscale-{uuid.uuid4().hex[:12]}",
            "STUDYGATE_TEST_LOG_DIR": str(log_dir), **extra}


@contextmanager
def two_instances(env: dict[str, str]):
    require_redis()
    with live_server(env) as (a, _), live_server(env) as (b, _):
        yield a, b


@needs_postgres
async def test_scale_out_a_session_started_on_one_instance_works_on_the_other(db, tmp_path):
    await f.user(await f.environment("BE"), "an@scale.example")
    with two_instances(instance_env(db, tmp_path)) as (a, b):
        assert post(b, VIEWER).json()["data"]["viewer"] is None
        signed_in = post(a, LOGIN, {"u": "an@scale.example", "p": f.PASSWORD})
        assert signed_in.json()["data"]["loginWithPassword"]["__typename"] == "LoginSuccess"
        session = signed_in.cookies[COOKIE]
        for base in (b, a):
            assert post(base, VIEWER, session=session).json()["data"]["viewer"] == {
                "__typename": "User", "username": "an@scale.example"}
        # L8: logout through A ends the session server-side, so B forgets it at once too.
        assert post(a, LOGOUT, session=session).json()["data"] == {"logout": True}
        assert post(b, VIEWER, session=session).json()["data"]["viewer"] is None


@needs_postgres
async def test_scale_out_L3_failures_spread_over_two_instances_lock_the_account_on_both(
        db, tmp_path):
    await f.user(await f.environment("BE"), "locked@scale.example")
    with two_instances(instance_env(db, tmp_path)) as (a, b):
        def attempt(base: str, password: str) -> dict:
            return post(base, LOGIN, {"u": "locked@scale.example", "p": password}).json()[
                "data"]["loginWithPassword"]

        for n in range(10):  # 5 through each instance, alternating
            assert attempt((a, b)[n % 2], "wrong password 0123")["reason"] == "INVALID_CREDENTIALS"
        for base in (a, b):  # the right password too, through either instance
            refused = attempt(base, f.PASSWORD)
            assert refused["__typename"] == "LoginFailed"
            assert refused["reason"] == "TOO_MANY_ATTEMPTS" and refused["retryAfterSeconds"] > 0


@needs_postgres
async def test_scale_out_the_partner_budget_spent_on_two_instances_is_one_budget(db, tmp_path):
    _, token = await partner_client(await f.institution(await f.environment("BE"), "AZX"))
    env = instance_env(db, tmp_path, STUDYGATE_API_POINTS_PER_HOUR="8")
    with two_instances(env) as (a, b):
        for base in (a, b, a, b):  # 4 x 2 points, half through each: the whole budget
            body = post(base, CHEAP, token=token).json()
            assert body == {"data": {"currentEnvironment": {"code": "BE"}}}
        for base in (a, b):
            refused = post(base, CHEAP, token=token)
            codes = [e["extensions"]["code"] for e in refused.json()["errors"]]
            assert codes == ["RATE_LIMITED"] and int(refused.headers["retry-after"]) > 0


# --- A PostgreSQL outage under load -----------------------------------------------------------

def cannot_run(reason: str) -> None:
    """Skips, unless CI asked for this test to run (.ci/run sets STUDYGATE_REQUIRE_PG_CLUSTER)."""
    if os.environ.get("STUDYGATE_REQUIRE_PG_CLUSTER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port, run as the `postgres` user,
    that the test may stop and start at will."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            cannot_run("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = Path(found[-1]).parent
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                cannot_run("runuser is needed to run initdb as the postgres user")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        elif pwd.getpwuid(os.geteuid()).pw_name == "postgres":
            self.as_postgres = []
        else:
            cannot_run("initdb and pg_ctl must run as root (via runuser) or as postgres")
        self.root = Path(tempfile.mkdtemp(prefix="studygate-pg-"))
        owner = pwd.getpwnam("postgres")
        os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "--no-instructions")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.as_postgres, str(self.bin / tool), *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=50")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


INSTITUTION_FILE = {
    "environments": [{"code": "BE", "name": "Belgium", "country": "BE",
                      "portalUrl": "https://be.studygate.example", "eidLoginEnabled": False}],
    "institutions": [{"code": "AZX", "name": "AZ Example", "environment": "BE",
                      "policy": {"practitionerImages": True, "practitionerReport": True,
                                 "patientImages": True, "patientReport": True,
                                 "patientReportDelayHours": 0}}],
}


class Recorder:
    """Every answer the clients got, with the time, for the assertions and the report."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, str, int | str]] = []  # (t, kind, instance, status)
        self.problems: list[str] = []
        self.acknowledged: list[int] = []

    def add(self, kind: str, base: str, status: int | str) -> None:
        with self.lock:
            self.events.append((time.monotonic(), kind, base, status))

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text[:2000])

    def count(self, kind: str, status: int | str) -> int:
        return sum(1 for _, k, _, s in self.events if k == kind and s == status)


def send_until_done(instances: tuple[str, str], start: int, query: str, variables: dict,
                    token: str, rec: Recorder) -> None:
    """A partner's retry loop: on 503 or a refused connection, wait and send the same request
    again, to the other instance; any other failure is a problem for the test."""
    for attempt in range(600):
        base = instances[(start + attempt) % 2]
        try:
            response = post(base, query, variables, token=token, timeout=20)
        except httpx.ConnectError:
            rec.add("graphql", base, "refused")
            time.sleep(0.2)
            continue
        except httpx.TransportError as exc:  # a hung or cut request: its fate is unknown
            rec.problem(f"{base}: {exc!r}")
            return
        rec.add("graphql", base, response.status_code)
        if response.status_code == 503:
            error = response.json()["errors"][0]
            if (not response.headers.get("retry-after")
                    or error["extensions"].get("reason") != "DATABASE_UNAVAILABLE"):
                rec.problem(f"{base}: 503 without Retry-After or reason: {response.text}")
            time.sleep(0.2)
            continue
        body = response.json() if response.status_code == 200 else None
        if body is None or body.get("errors"):
            rec.problem(f"{base}: {response.status_code} {response.text}")
        return
    rec.problem(f"gave up on {variables}")


def partner_writer(instances: tuple[str, str], token: str, numbers: range, rec: Recorder,
                   stop: threading.Event) -> None:
    """Stores study n and its final report, each retried until done, for n in `numbers`."""
    for n in numbers:
        if stop.is_set():
            return
        send_until_done(instances, n, UPSERT, {"input": study_input(n)}, token, rec)
        send_until_done(instances, n + 1, PUBLISH, {"input": report_input(n)}, token, rec)
        with rec.lock:
            rec.acknowledged.append(n)


def readiness_poller(instances: tuple[str, str], rec: Recorder, stop: threading.Event) -> None:
    while not stop.is_set():
        for base in instances:
            try:
                rec.add("readyz", base, httpx.get(base + "/readyz", timeout=10).status_code)
            except httpx.TransportError as exc:
                rec.problem(f"{base}/readyz: {exc!r}")
        time.sleep(0.1)


def wait_for(condition, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - start


def last_readyz(rec: Recorder, base: str, since: float) -> int | str | None:
    found = [s for t, k, b, s in rec.events if k == "readyz" and b == base and t >= since]
    return found[-1] if found else None


async def stored_writes(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per study UID, and report versions per study UID, in the private database."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        studies = await conn.fetch(
            "SELECT study_instance_uid, count(*) AS n FROM study GROUP BY study_instance_uid")
        reports = await conn.fetch(
            "SELECT s.study_instance_uid, count(*) AS n FROM report_version r "
            "JOIN study s ON s.id = r.study_id GROUP BY s.study_instance_uid")
    finally:
        await conn.close()
    return ({r["study_instance_uid"]: r["n"] for r in studies},
            {r["study_instance_uid"]: r["n"] for r in reports})


def outage(cluster: PrivatePostgres, mode: str, instances: tuple[str, str], rec: Recorder,
           seconds: float = 3) -> dict[str, float]:
    """Stops PostgreSQL (`fast`: a clean shutdown; `immediate`: as a crash) while the writers
    run, then starts it again; returns how long the service took to come back."""
    wait_for(lambda: len(rec.acknowledged) >= 10, 60, "writes before the outage")
    cluster.stop(mode)
    went_down = time.monotonic()
    seen_503 = rec.count("graphql", 503)
    wait_for(lambda: all(last_readyz(rec, x, went_down) == 503 for x in instances),
             20, "/readyz to answer 503 on both instances")
    time.sleep(seconds)  # the writers keep retrying into the outage
    done_before = len(rec.acknowledged)
    restarting = time.monotonic()
    cluster.start()  # returns once PostgreSQL accepts connections
    came_back = time.monotonic()
    wait_for(lambda: all(last_readyz(rec, x, came_back) == 200 for x in instances),
             30, "/readyz to answer 200 on both instances again")
    ready = time.monotonic() - restarting
    wait_for(lambda: len(rec.acknowledged) >= done_before + 2, 30, "writes after the outage")
    writing = time.monotonic() - restarting
    wait_for(lambda: len(rec.acknowledged) >= done_before + 20, 60, "writes after the outage")
    return {"down": restarting - went_down, "503s": rec.count("graphql", 503) - seen_503,
            "started": came_back - restarting, "ready": ready, "writing": writing}


@needs_postgres
async def test_scale_out_a_postgresql_outage_is_503_and_retried_writes_land_exactly_once(
        private_postgres, tmp_path):
    # A small pool, so that a connection lost for good to an outage would soon show.
    env = instance_env(private_postgres.url, tmp_path, STUDYGATE_DB_POOL_SIZE="3")
    data = tmp_path / "institution.json"
    data.write_text(json.dumps(INSTITUTION_FILE))
    loaded = run_cli("load-fixtures", str(data), env=env)
    assert loaded.returncode == 0, loaded.stderr
    created = run_cli("create-api-client", "--institution", "AZX", "--name", "Outage PACS",
                      "--scopes", "studies:read,studies:write", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    rec = Recorder()
    stop = threading.Event()
    with two_instances(env) as instances:
        threads = [threading.Thread(target=partner_writer,
                                    args=(instances, token, range(k, 100_000, 2), rec, stop))
                   for k in (0, 1)]
        threads.append(threading.Thread(target=readiness_poller, args=(instances, rec, stop)))
        for thread in threads:
            thread.start()
        try:
            measured = {mode: outage(private_postgres, mode, instances, rec)
                        for mode in ("fast", "immediate")}
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
        for mode, m in measured.items():
            print(f"\n{mode} stop: down {m['down']:.1f}s, {m['503s']} GraphQL 503s; after "
                  f"`pg_ctl start` ({m['started']:.2f}s): /readyz 200 on both at "
                  f"{m['ready']:.2f}s, writes done at {m['writing']:.2f}s")
        print(f"{len(rec.acknowledged)} studies with reports written, "
              f"{rec.count('readyz', 503)} /readyz 503s")
        assert not rec.problems, rec.problems
        statuses = {s for _, _, _, s in rec.events}
        assert statuses <= {200, 503}, statuses  # never a 500, never a refused connection
        assert all(m["503s"] > 0 for m in measured.values()), "a stop met no request"
    studies, reports = await stored_writes(private_postgres.url)
    expected = {study_input(n)["studyInstanceUid"] for n in rec.acknowledged}
    assert set(studies) == expected and set(studies.values()) == {1}
    assert set(reports) == expected and set(reports.values()) == {1}


def test_scale_out_only_a_database_that_cannot_be_reached_is_an_outage():
    import asyncpg.exceptions as pg
    from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

    async def refused_by_driver():
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")

    try:
        asyncio.run(refused_by_driver())
    except OSError as exc:
        refused = exc
    for exc in (refused, DBConnectionError("no pool"), pg.AdminShutdownError("shutting down"),
                pg.CannotConnectNowError("starting up"), pg.ConnectionDoesNotExistError("gone"),
                pg.InterfaceError("connection is closed"),
                pg.InternalClientError("cannot switch to state 15")):
        assert is_database_outage(exc), exc
    wrapped = RuntimeError("while resolving")
    wrapped.__cause__ = pg.ConnectionDoesNotExistError("connection was closed")
    assert is_database_outage(wrapped)
    # Bugs and bad data are not outages, and neither is the SMTP server refusing a connection.
    for exc in (IntegrityError("duplicate"), OperationalError("syntax"), ValueError("bad"),
                ConnectionRefusedError(111, "SMTP refused"), pg.QueryCanceledError("timeout")):
        assert not is_database_outage(exc), exc


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "reason": "DATABASE_UNAVAILABLE",
                                   "retryAfterSeconds": 2}


async def test_scale_out_an_outage_met_by_a_resolver_is_503_not_an_internal_error(
        api, monkeypatch):
    import asyncpg.exceptions as pg

    from resolvers import environments

    await f.environment("BE")

    async def gone():
        raise pg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    monkeypatch.setattr(environments, "all_environments", gone)
    assert_unavailable(await api.post("{ environments { code } }"))


async def test_scale_out_an_outage_met_while_authenticating_is_503(api, monkeypatch):
    import asyncpg.exceptions as pg

    from auth.middleware import ServedEnvironment

    async def starting_up(self):
        raise pg.CannotConnectNowError("the database system is starting up")

    monkeypatch.setattr(ServedEnvironment, "get", starting_up)
    assert_unavailable(await api.post("{ viewer { __typename } }"))


async def test_scale_out_a_bug_is_still_an_internal_error_with_status_200(api, monkeypatch):
    from resolvers import environments

    await f.environment("BE")

    async def broken():
        raise KeyError("a bug, not an outage")

    monkeypatch.setattr(environments, "all_environments", broken)
    response = await api.post("{ environments { code } }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
