"""Realistic bench data on a scratch PostgreSQL database (issue 9, part 1).

    .venv/bin/python -m bench.generate --studies 1000000 [--db studygate_bench]
                                       [--server postgres://postgres@127.0.0.1:5432/postgres]

(Re)creates the database `--db` on the server, migrates it with models.db.migrate (as the
product does), then bulk-loads with asyncpg COPY in batches:

- 1 environment (BE) and 20 institutions (uneven sizes: INST01 is the largest; INST20 lets
  practitioners see no images, INST19 no reports: a few denied access decisions);
- 5,000 ACTIVE practitioners (one argon2 hash of bench.common.PASSWORD, computed once) in
  500 groups of 10, memberships confirmed in the last 30 days (good standing), the first
  member of each group administrator and primary contact, every fifth member administrator;
- `--studies` studies over ~5 years, spread over the institutions and the referring
  physicians (mildly skewed: a tenth of the practitioners refer a third of the studies; 3 %
  have no referring physician), modalities, patient names, copy-to on ~10 %;
- series: 1-7 per study (mean ~4), exactly 20 for the "detail" studies (5 per bench user);
- report versions: ~82 % FINAL, ~4 % PRELIMINARY -> FINAL (2 versions), ~4 % AMENDED
  (FINAL + AMENDED), ~4 % PRELIMINARY, ~6 % none; `study.latest_report_id` is filled when
  that column exists (checked in information_schema at run time);
- patient accesses for ~1 % of the studies;
- one API client per institution, token bench.common.api_token(code), all scopes;
- a live session for each of `--sessions` bench practitioners, token
  bench.common.session_token(user_id) (sessions are re-dated by `refresh_sessions`).

Foreign-key triggers are off during the load (session_replication_role = replica): the rows
are consistent by construction and the load is faster. ANALYZE at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, date, datetime, timedelta

import asyncpg

from bench.common import (DEFAULT_DB, DEFAULT_SERVER, PASSWORD, SECRET, api_token, db_url, dsn,
                          session_token, username)

BATCH = 50_000
INSTITUTIONS = 20
PRACTITIONERS = 5_000
GROUP_SIZE = 10
DETAIL_PER_USER = 5
DETAIL_SERIES = 20

SURNAMES = ("Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De_Smet "
            "Dubois Lambert Dupont Martin Simon Laurent Leroy Vermeulen Van_den_Bossche "
            "Hermans Aerts Pauwels Desmet Renard Michiels Smets Coppens Lemmens Stevens "
            "Verstraete Declercq Segers Moens Cools Verhoeven Bogaert Claeys Van_Damme "
            "Nijs Martens Wuyts Dumont Leclercq Francois Mathieu Lejeune Thys Baert Cornelis").split()
FIRSTNAMES = ("Marie Anna Emma Louise Sofie Lotte Elise Julie Sarah Laura Nathalie Ann Katrien "
              "Els Lieve Jan Peter Luc Marc Tom Koen Bart Pieter Wim Dirk Johan Stefan "
              "Thomas Lucas Noah Arthur Louis Jules Victor Liam Adam Mohamed Ines Yasmine "
              "Nora Fatima Hanne Eva Lien Joke Griet Filip Kris Geert Jeroen").split()
MODALITIES = (("|CT|", 26), ("|MR|", 18), ("|US|", 16), ("|CR|", 14), ("|DX|", 10),
              ("|MG|", 7), ("|NM|", 3), ("|PT|CT|", 3), ("|XA|", 2), ("|CT|MR|", 1))
DESCRIPTIONS = {
    "CT": ["CT thorax", "CT abdomen", "CT hersenen", "CT wervelzuil", "CT sinus"],
    "MR": ["MR knie", "MR hersenen", "MR lumbale wervelzuil", "MR schouder", "MR bekken"],
    "US": ["Echo abdomen", "Echo schildklier", "Echo hals", "Echo weke delen"],
    "CR": ["RX thorax", "RX knie", "RX enkel", "RX pols"],
    "DX": ["RX thorax PA/LAT", "RX hand", "RX voet"],
    "MG": ["Mammografie bilateraal"], "NM": ["Botscan"], "PT": ["PET-CT whole body"],
    "XA": ["Coronarografie"],
}
BODY_PARTS = {"CT": "CHEST", "MR": "BRAIN", "US": "ABDOMEN", "CR": "CHEST", "DX": "HAND",
              "MG": "BREAST", "NM": "WHOLEBODY", "PT": "WHOLEBODY", "XA": "HEART"}
SERIES_NAMES = ["Scout", "Axial 1mm", "Axial 5mm", "Coronal", "Sagittal", "T1", "T2", "FLAIR",
                "DWI", "Post contrast", "MPR", "Localizer"]
REPORT = ("Indicatie: controle. Bevindingen: geen focale afwijkingen. Normale verhoudingen van "
          "de weergegeven structuren. Besluit: geen acute pathologie. " * 3).strip()
RADIOLOGISTS = [f"Dr. {f} {s.replace('_', ' ')}" for f, s in zip(FIRSTNAMES[13:28], SURNAMES[5:20])]
UID_ROOT = "1.2.826.0.1.3680043.10.543"


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows) -> int:
    """COPY an iterable of tuples in batches; returns the row count."""
    total, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            await conn.copy_records_to_table(table, records=batch, columns=columns)
            total += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        total += len(batch)
    return total


async def _columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND table_name = $1", table)
    return {r[0] for r in rows}


async def _reset_sequences(conn: asyncpg.Connection, tables: list[str]) -> None:
    for table in tables:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")


def _weighted(rng: random.Random, pairs) -> list:
    """A 1,000-entry table to draw from by index: fast weighted choice."""
    total = sum(w for _, w in pairs)
    table = []
    for value, weight in pairs:
        table += [value] * round(1000 * weight / total)
    return table


async def refresh_sessions(url: str) -> int:
    """Re-dates the bench sessions (they expire after 4 h, or 30 min idle): call before use."""
    conn = await asyncpg.connect(dsn(url))
    try:
        result = await conn.execute(
            "UPDATE session SET created_at = now(), last_seen_at = now(), "
            "expires_at = now() + interval '4 hours', ended_at = NULL "
            "WHERE id IN (SELECT id FROM session WHERE token_hash IN (SELECT token_hash FROM "
            "bench_session))")
        return int(result.split()[-1])
    finally:
        await conn.close()


async def manifest(url: str) -> dict:
    """What the load tool needs from the database: users, sessions, studies, institutions."""
    conn = await asyncpg.connect(dsn(url))
    try:
        users = [dict(r) for r in await conn.fetch(
            "SELECT user_id, username, token FROM bench_session ORDER BY user_id")]
        detail = await conn.fetch(
            # Detail studies whose report and images the referrer may see (no field errors).
            "SELECT referring_physician_id AS user_id, s.id FROM study s JOIN institution i ON "
            "i.id = s.institution_id WHERE number_of_series = $1 AND report_status IN ('FINAL', "
            "'AMENDED') AND i.practitioner_images AND i.practitioner_report "
            "AND referring_physician_id IN (SELECT user_id FROM bench_session) ORDER BY s.id",
            DETAIL_SERIES)
        by_user: dict[int, list[int]] = {}
        for r in detail:
            by_user.setdefault(r["user_id"], []).append(r["id"])
        for u in users:
            u["detail_studies"] = by_user.get(u["user_id"], [])
        inst = await conn.fetchrow(
            "SELECT i.id, i.code, count(*) AS studies FROM study s JOIN institution i "
            "ON i.id = s.institution_id GROUP BY i.id, i.code ORDER BY count(*) DESC LIMIT 1")
        first_updated = await conn.fetchval(
            "SELECT min(updated_at) FROM study WHERE institution_id = $1", inst["id"])
        every = [{"code": r["code"], "token": api_token(r["code"]), "studies": r["studies"],
                  "since": r["since"].isoformat()} for r in await conn.fetch(
            "SELECT i.code, count(*) AS studies, min(s.updated_at) AS since FROM study s "
            "JOIN institution i ON i.id = s.institution_id GROUP BY i.code ORDER BY i.code")]
        return {"users": users, "sync_all": every, "sync_institution": inst["code"],
                "sync_token": api_token(inst["code"]), "sync_studies": inst["studies"],
                "sync_since": first_updated.isoformat(),
                "studies": await conn.fetchval("SELECT count(*) FROM study")}
    finally:
        await conn.close()


async def database_ready(url: str) -> bool:
    """True when `url` holds a completed bench load."""
    try:
        conn = await asyncpg.connect(dsn(url))
    except (asyncpg.InvalidCatalogNameError, OSError):
        return False
    try:
        return bool(await conn.fetchval(
            "SELECT to_regclass('bench_done') IS NOT NULL"))
    finally:
        await conn.close()


async def load(url: str, studies: int, sessions: int, seed: int = 9) -> dict:
    from auth.crypto import Keyring, hash_password

    rng = random.Random(seed)
    keyring = Keyring(SECRET)
    now = datetime.now(UTC).replace(microsecond=0)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 1)
        clock = time.perf_counter()

    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        env_id = await conn.fetchval(
            "INSERT INTO environment (code, name, country, portal_url, eid_login_enabled) "
            "VALUES ('BE', 'Belgium', 'BE', 'https://be.studygate.example', false) RETURNING id")

        # ---------------------------------------------------------------- institutions
        inst_ids, inst_weights = [], []
        for n in range(1, INSTITUTIONS + 1):
            code = f"INST{n:02d}"
            inst_id = await conn.fetchval(
                "INSERT INTO institution (environment_id, code, name, practitioner_images, "
                "practitioner_report, patient_images, patient_report, patient_report_delay_hours,"
                " patient_fee_amount, patient_fee_currency) VALUES ($1, $2, $3, $4, $5, true, "
                "true, $6, $7, $8) RETURNING id",
                env_id, code, f"Ziekenhuis {SURNAMES[n].replace('_', ' ')}", n != 20, n != 19,
                24 if n % 4 == 0 else 0, 12.5 if n % 5 == 0 else None,
                "EUR" if n % 5 == 0 else None)
            inst_ids.append(inst_id)
            inst_weights.append(INSTITUTIONS + 1 - n)
            await conn.execute(
                "INSERT INTO api_client (environment_id, institution_id, name, token_hash, "
                "scopes_text, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                env_id, inst_id, f"{code} PACS", keyring.token_hash(api_token(code)),
                "studies:read,studies:write,reports:read,patient-access:write", now)
        inst_table = _weighted(rng, list(zip(inst_ids, inst_weights)))

        # ---------------------------------------------------------------- practitioners
        password_hash = hash_password(PASSWORD)
        professions = _weighted(rng, [("PHYSICIAN", 70), ("SPECIALIST", 20), ("DENTIST", 10)])
        user_cols = ["id", "environment_id", "username", "username_key", "email",
                     "password_hash", "display_name", "profession", "role", "status",
                     "phone_number", "practitioner_number", "created_at"]
        user_ids = list(range(1, PRACTITIONERS + 1))
        names = {}
        rows = []
        for uid in user_ids:
            name = f"Dr. {rng.choice(FIRSTNAMES)} {rng.choice(SURNAMES).replace('_', ' ')}"
            names[uid] = name
            rows.append((uid, env_id, username(uid), username(uid), username(uid), password_hash,
                         name, professions[rng.randrange(1000)], "PRACTITIONER", "ACTIVE",
                         f"+3247{uid:07d}", f"1{uid:07d}", now - timedelta(days=rng.randrange(2000))))
        await _copy(conn, "user_account", user_cols, rows)

        # ---------------------------------------------------------------- groups
        shuffled = user_ids[:]
        rng.shuffle(shuffled)
        group_rows, member_rows = [], []
        mid = 0
        for g in range(PRACTITIONERS // GROUP_SIZE):
            members = shuffled[g * GROUP_SIZE:(g + 1) * GROUP_SIZE]
            gid = g + 1
            group_rows.append((gid, env_id, f"Praktijk {rng.choice(SURNAMES).replace('_', ' ')} "
                               f"{gid}", members[0], now - timedelta(days=400)))
            for k, uid in enumerate(members):
                mid += 1
                member_rows.append((mid, gid, uid, k == 0 or k % 5 == 0,
                                    now - timedelta(days=rng.randrange(30), hours=rng.randrange(24)),
                                    now - timedelta(days=400)))
        await _copy(conn, "practice_group",
                    ["id", "environment_id", "name", "primary_contact_id", "created_at"], group_rows)
        await _copy(conn, "group_membership", ["id", "group_id", "user_id", "is_administrator",
                                               "confirmed_at", "created_at"], member_rows)
        lap("users_groups")

        # ---------------------------------------------------------------- bench sessions
        bench_users = sorted(rng.sample(user_ids, min(sessions, len(user_ids))))
        session_rows = [(env_id, keyring.token_hash(session_token(uid)), uid, now, now,
                         now + timedelta(hours=4)) for uid in bench_users]
        await _copy(conn, "session", ["environment_id", "token_hash", "user_id", "created_at",
                                      "last_seen_at", "expires_at"], session_rows)
        await conn.execute("CREATE TABLE bench_session (user_id int PRIMARY KEY, username text, "
                           "token text, token_hash text)")
        await conn.copy_records_to_table(
            "bench_session", records=[(uid, username(uid), session_token(uid),
                                       keyring.token_hash(session_token(uid)))
                                      for uid in bench_users])

        # ---------------------------------------------------------------- studies
        study_cols = await _columns(conn, "study")
        with_latest = "latest_report_id" in study_cols
        heavy = user_ids[: PRACTITIONERS // 10]
        modality_table = _weighted(rng, MODALITIES)
        start_day = (now - timedelta(days=5 * 365)).date()
        # Each bench user's first few studies are "detail" studies with 20 series.
        forced = []
        for uid in bench_users:
            forced += [uid] * DETAIL_PER_USER
        columns = ["id", "environment_id", "institution_id", "study_instance_uid",
                   "accession_number", "study_date", "description", "modalities_key",
                   "patient_name", "patient_birth_date", "patient_sex", "patient_id",
                   "referring_physician_id", "available_for_patient_at", "number_of_series",
                   "number_of_instances", "report_status", "created_at", "updated_at"]
        if with_latest:
            columns.append("latest_report_id")
        series_cols = ["study_id", "series_instance_uid", "modality", "description",
                       "body_part", "number_of_instances"]
        report_cols = ["id", "study_id", "version", "status", "text", "author", "signed_at",
                       "created_at"]
        copy_cols = ["study_id", "user_id"]
        counts = {"series": 0, "report_version": 0, "study_copy_to": 0}
        report_id = 0
        days = 5 * 365

        async def flush(s_rows, se_rows, r_rows, c_rows):
            await conn.copy_records_to_table("study", records=s_rows, columns=columns)
            await conn.copy_records_to_table("report_version", records=r_rows, columns=report_cols)
            await conn.copy_records_to_table("series", records=se_rows, columns=series_cols)
            await conn.copy_records_to_table("study_copy_to", records=c_rows, columns=copy_cols)
            counts["series"] += len(se_rows)
            counts["report_version"] += len(r_rows)
            counts["study_copy_to"] += len(c_rows)

        s_rows, se_rows, r_rows, c_rows = [], [], [], []
        rand = rng.random
        randrange = rng.randrange
        for sid in range(1, studies + 1):
            inst = inst_table[randrange(len(inst_table))]
            detail = bool(forced) and sid % 7 == 0
            if detail:
                referrer = forced.pop()
            else:
                r = rand()
                referrer = (None if r < 0.03 else heavy[randrange(len(heavy))] if r < 0.36
                            else user_ids[randrange(PRACTITIONERS)])
            mods = modality_table[randrange(len(modality_table))]
            first_mod = mods[1:mods.index("|", 1)]
            day = start_day + timedelta(days=randrange(days))
            created = datetime(day.year, day.month, day.day, 7 + randrange(12), randrange(60),
                               randrange(60), tzinfo=UTC)
            if created > now:
                created = now - timedelta(hours=1)
            # Reports
            r = rand()
            versions: list[tuple[str, datetime]] = []
            if r < 0.82:
                versions = [("FINAL", created + timedelta(hours=2 + randrange(48)))]
            elif r < 0.86:
                t = created + timedelta(hours=1 + randrange(24))
                versions = [("PRELIMINARY", t), ("FINAL", t + timedelta(hours=2 + randrange(48)))]
            elif r < 0.90:
                t = created + timedelta(hours=2 + randrange(48))
                versions = [("FINAL", t), ("AMENDED", t + timedelta(days=1 + randrange(20)))]
            elif r < 0.94:
                versions = [("PRELIMINARY", created + timedelta(hours=1 + randrange(24)))]
            status = versions[-1][0] if versions else "NONE"
            latest = None
            for v, (vstatus, at) in enumerate(versions, 1):
                report_id += 1
                latest = report_id
                r_rows.append((report_id, sid, v, vstatus, REPORT, RADIOLOGISTS[sid % len(RADIOLOGISTS)],
                               at if vstatus != "PRELIMINARY" else None, at))
            updated = max([created] + [at for _, at in versions])
            if updated > now:
                updated = now
            # Series
            n_series = DETAIL_SERIES if detail else 1 + randrange(7)
            instances = 0
            uid = f"{UID_ROOT}.{sid}"
            for k in range(1, n_series + 1):
                count = 1 + randrange(400) if first_mod in ("CT", "MR", "PT") else 1 + randrange(4)
                instances += count
                se_rows.append((sid, f"{uid}.{k}", first_mod, SERIES_NAMES[k % len(SERIES_NAMES)],
                                BODY_PARTS[first_mod], count))
            # Copy-to
            if referrer is not None and rand() < 0.10:
                other = user_ids[randrange(PRACTITIONERS)]
                if other != referrer:
                    c_rows.append((sid, other))
            birth = date(1930, 1, 1) + timedelta(days=randrange(33000))
            row = [sid, env_id, inst, uid, f"ACC{sid:09d}", day,
                   DESCRIPTIONS[first_mod][randrange(len(DESCRIPTIONS[first_mod]))], mods,
                   f"{SURNAMES[randrange(len(SURNAMES))].replace('_', ' ')}^{FIRSTNAMES[randrange(len(FIRSTNAMES))]}",
                   birth, "F" if rand() < 0.5 else "M", f"P{randrange(10**8):08d}", referrer,
                   None, n_series, instances, status, created, updated]
            if with_latest:
                row.append(latest)
            s_rows.append(tuple(row))
            if len(s_rows) >= BATCH:
                await flush(s_rows, se_rows, r_rows, c_rows)
                s_rows, se_rows, r_rows, c_rows = [], [], [], []
        if s_rows:
            await flush(s_rows, se_rows, r_rows, c_rows)
        lap("studies")

        # ---------------------------------------------------------------- patient accesses
        pa_rows, pas_rows = [], []
        for n, sid in enumerate(range(1, studies + 1, 100), 1):
            pa_rows.append((n, env_id, inst_ids[0], keyring.token_hash(f"bench-code-{n}"),
                            date(1970, 1, 1), "Patient^Bench", "DATE_OF_BIRTH_ONLY",
                            "IMAGES_AND_REPORT", False, False, now + timedelta(days=30), now))
            pas_rows.append((n, sid))
        await _copy(conn, "patient_access", ["id", "environment_id", "institution_id",
                                             "code_hash", "date_of_birth", "patient_name",
                                             "verification", "scope", "payment_required", "paid",
                                             "valid_until", "created_at"], pa_rows)
        await _copy(conn, "patient_access_study", ["patient_access_id", "study_id"], pas_rows)
        await _reset_sequences(conn, ["user_account", "practice_group", "group_membership",
                                      "study", "report_version", "patient_access"])
        await conn.execute("CREATE TABLE bench_done (at timestamptz)")
        await conn.execute("INSERT INTO bench_done VALUES (now())")
        lap("accesses")
        await conn.execute("ANALYZE")
        lap("analyze")
        counts.update(studies=studies, practitioners=PRACTITIONERS, sessions=len(bench_users),
                      latest_report_id=with_latest)
        return {"counts": counts, "seconds": timings}
    finally:
        await conn.close()


async def create(server: str, database: str, studies: int, sessions: int) -> str:
    """Drops and recreates `database`, migrates and loads it; returns its URL."""
    from models.db import migrate

    admin = await asyncpg.connect(dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = db_url(server, database)
    started = time.perf_counter()
    await migrate(url)
    report = await load(url, studies, sessions)
    report["seconds"]["total"] = round(time.perf_counter() - started, 1)
    print(f"generated {database}: {report}", flush=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--db", default=DEFAULT_DB, help="scratch database (dropped first)")
    parser.add_argument("--studies", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=200,
                        help="bench practitioners with a live session")
    args = parser.parse_args()
    asyncio.run(create(args.server, args.db, args.studies, args.sessions))


if __name__ == "__main__":
    main()
