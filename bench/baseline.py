"""A minimal Starlette + asyncpg + orjson server for the bench scenarios (issue 9, part 2).

NOT part of the product: the "how fast could it be" reference. It runs the same SQL statements
as StudyGate for each scenario (bench/baseline_sql.py, captured from StudyGate with
bench/sqlcapture.py) with the same authentication work (session cookie lookup and touch,
bearer-token hash lookup, partner budget charge, access-log insert, argon2 verify in a
thread) and writes the same JSON ({"data": ...}) with orjson, but has no GraphQL layer: it
recognises the four bench documents (bench/common.py) by their text.

    .venv/bin/python -m bench.baseline --db-url postgres://postgres@127.0.0.1:5432/studygate_bench --port 8001

GET /bench/sql-count returns how many statements it has run (for SQL/req).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, date, datetime, timedelta

import anyio
import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import baseline_sql as SQL
from bench.common import DETAIL, LIST, LOGIN, SECRET, SESSION_COOKIE, SYNC, dsn
from resolvers.study_candidates import candidates  # the same SQL text as StudyGate

HASH_KEY = hmac.new(SECRET.encode(), b"studygate:hash", hashlib.sha256).digest()
IDLE, ABSOLUTE, TOUCH = timedelta(minutes=30), timedelta(hours=4), timedelta(seconds=60)
SYNC_POINTS = 8501  # StudyGate's cost of the sync document (schema/cost.py), as captured
STATE: dict = {"count": 0}


def token_hash(value: str) -> str:
    return hmac.new(HASH_KEY, value.encode(), hashlib.sha256).hexdigest()


def gid(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode().rstrip("=")


def sign(payload: bytes) -> str:
    from auth.crypto import Keyring  # the same HMAC as the product's cursors

    keyring = STATE.get("keyring") or STATE.setdefault("keyring", Keyring(SECRET))
    return keyring.sign(payload)


def cursor(kind: str, key, row_id: int) -> str:
    payload = json.dumps([kind, key.isoformat(), row_id], separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{sign(payload)}"


def dt(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


async def q(conn, method: str, sql: str, *args):
    STATE["count"] += 1
    return await getattr(conn, method)(sql, *args)


def _add_months(day: date, months: int) -> date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lapse_bound(now: datetime) -> datetime:
    import calendar

    reference = (now - timedelta(days=30)).date()
    last = _add_months(reference, -3)
    if reference.day == calendar.monthrange(reference.year, reference.month)[1]:
        last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    day = last + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def error(message: str, code: str) -> Response:
    return Response(orjson.dumps({"data": None, "errors": [
        {"message": message, "extensions": {"code": code}}]}), media_type="application/json")


async def viewer_from_cookie(conn, request: Request, env_id: int, now: datetime):
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    row = await q(conn, "fetchrow", SQL.SESSION, token_hash(token), env_id, 1)
    if row is None or row["ended_at"] is not None or now >= min(row["last_seen_at"] + IDLE,
                                                                 row["expires_at"]):
        return None
    if now - row["last_seen_at"] >= TOUCH:
        await q(conn, "execute", SQL.SESSION_TOUCH, now, row["id"])
    return row


def visible_args(env_id: int, user_id: int, bound: datetime) -> list:
    return [env_id, user_id, user_id, bound, bound, user_id, user_id, bound, bound, user_id, user_id]


def decisions(row, report_status: str | None) -> dict:
    if row["number_of_series"] < 1:
        images = {"allowed": False, "reason": "NOT_AVAILABLE"}
    elif not row["study__institution.practitioner_images"]:
        images = {"allowed": False, "reason": "INSTITUTION_POLICY"}
    else:
        images = {"allowed": True, "reason": None}
    if report_status is None:
        report = {"allowed": False, "reason": "NOT_AVAILABLE"}
    elif not row["study__institution.practitioner_report"]:
        report = {"allowed": False, "reason": "INSTITUTION_POLICY"}
    elif report_status not in ("FINAL", "AMENDED"):
        report = {"allowed": False, "reason": "REPORT_NOT_FINAL"}
    else:
        report = {"allowed": True, "reason": None}
    return {"images": images, "report": report}


def study_head(row) -> dict:
    return {
        "id": gid("Study", row["id"]), "studyInstanceUid": row["study_instance_uid"],
        "accessionNumber": row["accession_number"], "studyDate": row["study_date"].isoformat(),
        "description": row["description"],
        "modalities": [m for m in row["modalities_key"].split("|") if m],
        "patient": {"name": row["patient_name"],
                    "birthDate": row["patient_birth_date"].isoformat() if row["patient_birth_date"] else None,
                    "sex": row["patient_sex"], "patientId": row["patient_id"]},
        "institution": {"id": gid("Institution", row["study__institution.id"]),
                        "name": row["study__institution.name"]},
        "referringPhysician": row["study__referring_physician.display_name"],
    }


async def list_studies(conn, viewer, env_id: int, now: datetime, first: int) -> dict:
    user_id = viewer["user_id"]
    bound = lapse_bound(now)
    # As StudyGate: the group sharing first (the participants), then the page with the
    # per-participant candidates written in (resolvers/study_candidates.py builds the text).
    groups: dict[int, list] = {}
    for g in await q(conn, "fetch", SQL.LIST_GROUPS, bound, bound, user_id, user_id):
        groups.setdefault(g["user_id"], []).append(
            (g["group_membership__group.name"], g["group_membership__group.id"]))
    hint = candidates(env_id, [user_id, *groups], "STUDY_DATE_DESC", first + 1, None, None, None)
    rows = await q(conn, "fetch", SQL.LIST_STUDIES.replace("{candidates}", hint.sql),
                   *visible_args(env_id, user_id, bound), first + 1)
    has_next = len(rows) > first
    rows = rows[:first]
    edges = []
    for row in rows:
        participants = [row["referring_physician_id"]] if row["referring_physician_id"] else []
        if row["prefetched_copy_to"]:
            participants += [int(x) for x in row["prefetched_copy_to"].split(",")]
        if user_id in participants:
            visibility = {"via": "OWN", "group": None}
        else:
            found = [g for p in participants for g in groups.get(p, [])]
            best = min(found) if found else None
            visibility = {"via": "GROUP", "group": {"id": gid("Group", best[1]), "name": best[0]}
                          if best else None}
        report = orjson.loads(row["prefetched_report"]) if row["prefetched_report"] else None
        node = study_head(row)
        node.update(reportStatus=row["report_status"], numberOfSeries=row["number_of_series"],
                    numberOfInstances=row["number_of_instances"], visibility=visibility,
                    access=decisions(row, report[2] if report else None))
        edges.append({"node": node})
    end = cursor("STUDY_DATE_DESC", rows[-1]["study_date"], rows[-1]["id"]) if rows else None
    return {"studies": {"edges": edges, "pageInfo": {"hasNextPage": has_next, "endCursor": end}}}


async def study_detail(conn, viewer, env_id: int, now: datetime, study_gid: str, ip: str):
    kind, _, pk = base64.urlsafe_b64decode(study_gid + "=" * (-len(study_gid) % 4)).decode().partition(":")
    user_id = viewer["user_id"]
    row = await q(conn, "fetchrow", SQL.DETAIL_STUDY,
                  *visible_args(env_id, user_id, lapse_bound(now)), int(pk), 1)
    if row is None:
        return None
    report = orjson.loads(row["prefetched_report"]) if row["prefetched_report"] else None
    access = decisions(row, report[2] if report else None)
    node = study_head(row)
    node["reportStatus"] = row["report_status"]
    log = []
    if access["report"]["allowed"]:
        signed = datetime.fromisoformat(report[4]) if report[4] else None
        node["report"] = {"status": report[2], "text": report[6], "author": report[3],
                          "signedAt": dt(signed)}
        log.append("VIEW_REPORT")
    else:
        node["report"] = None
    if access["images"]["allowed"]:
        series = sorted(orjson.loads(row["prefetched_series"]))  # by id, as StudyGate
        node["images"] = {"series": [
            {"seriesInstanceUid": s[1], "modality": s[2], "description": s[3], "bodyPart": s[4],
             "numberOfInstances": s[5]} for s in series]}
        log.append("VIEW_IMAGES")
    else:
        node["images"] = None
    if log:
        actor = viewer["session__user.display_name"]
        STATE["count"] += 1
        await conn.executemany(SQL.DETAIL_ACCESS_LOG, [
            (now, actor, "PRACTITIONER", action, ip, None, env_id, None, row["id"], user_id)
            for action in log])
    return {"study": node}


async def sync_page(conn, request: Request, env_id: int, now: datetime, variables: dict):
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    client = await q(conn, "fetchrow", SQL.API_CLIENT, token_hash(token), env_id, 1)
    if client is None:
        return error("Unknown token.", "UNAUTHENTICATED")
    hour_end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    key = f"sg:budget:{client['token_hash'][:32]}:{int(hour_end.timestamp())}"
    if await q(conn, "fetchval", SQL.SYNC_BUDGET, SYNC_POINTS, key) is None:
        await q(conn, "execute", SQL.BUDGET_INSERT, key, SYNC_POINTS, hour_end)
    first = variables.get("first") or 50
    since = datetime.fromisoformat(variables["since"])
    sql, args = SQL.SYNC_STUDIES, [env_id, client["institution_id"], since]
    if variables.get("after"):
        body = variables["after"].split(".", 1)[0]
        _, key_value, row_id = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        sql = SQL.SYNC_STUDIES_AFTER
        args += [datetime.fromisoformat(key_value), datetime.fromisoformat(key_value), row_id]
    rows = await q(conn, "fetch", sql, *args, first + 1)
    has_next = len(rows) > first
    rows = rows[:first]
    edges = [{"node": {
        "id": gid("Study", r["id"]), "studyInstanceUid": r["study_instance_uid"],
        "accessionNumber": r["accession_number"], "studyDate": r["study_date"].isoformat(),
        "modalities": [m for m in r["modalities_key"].split("|") if m],
        "updatedAt": dt(r["updated_at"]),
        "patient": {"name": r["patient_name"], "birthDate": r["patient_birth_date"].isoformat()
                    if r["patient_birth_date"] else None},
        "numberOfSeries": r["number_of_series"], "numberOfInstances": r["number_of_instances"],
        "reportStatus": r["report_status"]}} for r in rows]
    end = cursor("UPDATED_AT_ASC", rows[-1]["updated_at"], rows[-1]["id"]) if rows else None
    return {"studies": {"edges": edges, "pageInfo": {"hasNextPage": has_next, "endCursor": end}}}


async def login(conn, env_id: int, now: datetime, variables: dict, ip: str, response_cookies: list):
    from auth.crypto import verify_password

    key = variables["u"].strip().lower()
    user = await q(conn, "fetchrow", SQL.LOGIN_USER, env_id, key, 1)
    await q(conn, "fetchval", SQL.LOGIN_LOCK, f"user:{key}", now, 1)
    await q(conn, "fetchval", SQL.LOGIN_LOCK_IP, f"ip:{ip}", now, 1)
    ok = await anyio.to_thread.run_sync(verify_password, user["password_hash"] if user else None,
                                        variables["p"])
    if not ok or user is None:
        return {"loginWithPassword": {"__typename": "LoginFailed", "reason": "INVALID_CREDENTIALS"}}
    await q(conn, "fetchval", SQL.LOGIN_AUTHENTICATOR, user["id"], 1)
    last = await q(conn, "fetchrow", SQL.LOGIN_LAST_SUCCESS, user["id"], True, 1)
    await q(conn, "fetchval", SQL.LOGIN_FAILURES, user["id"], False,
            last["at"] if last else datetime(1970, 1, 1, tzinfo=UTC))
    await q(conn, "fetchval", SQL.LOGIN_ATTEMPT, key, "PASSWORD", True, ip, now, env_id, user["id"])
    await q(conn, "execute", SQL.LOGIN_CLEAR, f"user:{key}")
    token = secrets.token_urlsafe(32)
    expires = now + ABSOLUTE
    await q(conn, "fetchval", SQL.LOGIN_SESSION, token_hash(token), now, now, expires, None,
            env_id, None, user["id"])
    response_cookies.append(f"{SESSION_COOKIE}={token}; HttpOnly; Path=/; SameSite=lax; Secure")
    return {"loginWithPassword": {"__typename": "LoginSuccess", "expiresAt": dt(expires)}}


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    query, variables = body.get("query"), body.get("variables") or {}
    pool: asyncpg.Pool = request.app.state.pool
    env_id = request.app.state.env_id
    now = datetime.now(UTC)
    ip = request.client.host if request.client else None
    cookies: list[str] = []
    async with pool.acquire() as conn:
        if query == SYNC:
            data = await sync_page(conn, request, env_id, now, variables)
        elif query == LOGIN:
            async with conn.transaction():
                data = await login(conn, env_id, now, variables, ip, cookies)
        elif query in (LIST, DETAIL):
            viewer = await viewer_from_cookie(conn, request, env_id, now)
            if viewer is None or viewer["user_id"] is None:
                return error("Sign in first.", "UNAUTHENTICATED")
            if query == LIST:
                data = await list_studies(conn, viewer, env_id, now, variables.get("first") or 50)
            else:
                async with conn.transaction():
                    data = await study_detail(conn, viewer, env_id, now, variables["id"], ip)
                if data is None:
                    return error("No such study.", "NOT_FOUND")
        else:
            return error("The baseline knows only the bench documents.", "BAD_USER_INPUT")
    if isinstance(data, Response):
        return data
    response = Response(orjson.dumps({"data": data}), media_type="application/json")
    for c in cookies:
        response.headers.append("set-cookie", c)
    return response


async def healthz(request: Request) -> Response:
    return Response(b"ok")


async def sql_count(request: Request) -> Response:
    return Response(orjson.dumps({"count": STATE["count"]}), media_type="application/json")


def create_app(db_url: str) -> Starlette:
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.pool = await asyncpg.create_pool(dsn(db_url), min_size=1, max_size=20)
        app.state.env_id = await app.state.pool.fetchval(
            "SELECT id FROM environment WHERE code = 'BE'")
        yield
        await app.state.pool.close()

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                             Route("/healthz", healthz), Route("/bench/sql-count", sql_count)],
                     lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create_app(args.db_url), host=args.host, port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
