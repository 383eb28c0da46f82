"""`Study.updated_at` for writes, ordered as the writes commit (P2).

A sync pages by (updatedAt, id) and resumes after the last row it saw. That is only safe when
a row committed later never gets an earlier updatedAt than a row already committed: else a
slow transaction's row lands behind a client's cursor and that client never sees it. So every
study write of an environment takes one transaction-scoped lock and stamps its rows strictly
after the newest stored updatedAt. The lock is held for the few statements of one write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from models.studies import Study

# pg_advisory_xact_lock(key1, key2): key1 names this lock, key2 is the environment.
_LOCK_CLASS = 0x53474344  # "SGCD": StudyGate change dates
_TICK = timedelta(microseconds=1)  # the precision of both databases' timestamps


async def lock_study_writes(connection: BaseDBAsyncClient, environment_id: int) -> datetime:
    """Inside a transaction: wait for the environment's other study writes to commit, then
    return the updated_at for this one, later than every stored updated_at.

    On SQLite, Tortoise runs one transaction at a time on its single connection already.
    """
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "SELECT pg_advisory_xact_lock($1, $2)", [_LOCK_CLASS, environment_id]
        )
    latest = (
        await Study.filter(environment_id=environment_id)
        .using_db(connection)
        .order_by("-updated_at")
        .limit(1)
        .values_list("updated_at", flat=True)
    )
    # The wall clock now, not the request's start: the lock may have taken a while.
    now = datetime.now(UTC)
    return max(now, latest[0] + _TICK) if latest else now
