"""Fair use of the partner API: points per client per clock hour, shared by every instance.

The points live where the login counters live (auth.throttle): in the database's
`throttle_counter` table, or in Redis when STUDYGATE_REDIS_URL is set. Windows are whole UTC
hours, so every instance names the same counter without talking to the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import connections
from tortoise.exceptions import IntegrityError

from auth.throttle import RedisThrottle, Throttle
from models.challenges import ThrottleCounter

WINDOW = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Charge:
    allowed: bool
    spent: int  # points spent in this window, this request included when allowed
    resets_at: datetime


class PointStore(Protocol):
    async def add(self, key: str, points: int, window_ends_at: datetime) -> int:
        """Adds `points` to the window's counter; returns its new total."""

    async def take_back(self, key: str, points: int) -> None:
        """Undoes an `add` whose request was refused."""


class DatabasePoints:
    async def add(self, key: str, points: int, window_ends_at: datetime) -> int:
        conn = connections.get("default")
        # One statement adds and reads, so concurrent requests each see their own total.
        sql = _sql(conn, 'UPDATE throttle_counter SET "count" = "count" + {} WHERE "key" = {} '
                         'RETURNING "count"')
        for _ in range(3):
            rows = await conn.execute_query_dict(sql, [points, key])
            if rows:
                return int(rows[0]["count"])
            try:
                await ThrottleCounter.create(key=key, count=points, window_ends_at=window_ends_at)
                # A new window: the client's finished windows are of no use any more.
                await ThrottleCounter.filter(
                    key__startswith=key.rsplit(":", 1)[0] + ":", window_ends_at__lt=window_ends_at
                ).delete()
                return points
            except IntegrityError:
                continue  # another instance created it meanwhile: add to that one
        raise RuntimeError(f"could not count points for {key}")

    async def take_back(self, key: str, points: int) -> None:
        conn = connections.get("default")
        await conn.execute_query(
            _sql(conn, 'UPDATE throttle_counter SET "count" = "count" - {} WHERE "key" = {}'),
            [points, key])


def _sql(conn: BaseDBAsyncClient, template: str) -> str:
    """`template` with each {} as the driver's parameter mark ($n for asyncpg, ? for SQLite)."""
    if conn.capabilities.dialect == "postgres":
        return template.format(*(f"${n}" for n in range(1, template.count("{}") + 1)))
    return template.format(*("?" * template.count("{}")))


class RedisPoints:
    def __init__(self, throttle: RedisThrottle) -> None:
        self.redis = throttle.redis

    async def add(self, key: str, points: int, window_ends_at: datetime) -> int:
        pipe = self.redis.pipeline()
        pipe.incrby(key, points)
        # The key names its window; Redis forgets it once the window is surely over.
        pipe.expire(key, int(2 * WINDOW.total_seconds()), nx=True)
        total, _ = await pipe.execute()
        return int(total)

    async def take_back(self, key: str, points: int) -> None:
        await self.redis.decrby(key, points)


def point_store(throttle: Throttle) -> PointStore:
    """The store beside the login counters: Redis when they are in Redis, else the database."""
    return RedisPoints(throttle) if isinstance(throttle, RedisThrottle) else DatabasePoints()


def window_end(now: datetime) -> datetime:
    """The end of the UTC clock hour that contains `now`."""
    hours = int((now - _EPOCH) // WINDOW)
    return _EPOCH + (hours + 1) * WINDOW


async def charge(store: PointStore, client_key: str, points: int, budget: int,
                 now: datetime) -> Charge:
    """Spends `points` of the client's hourly `budget`; a refused request spends nothing."""
    ends = window_end(now)
    key = f"sg:budget:{client_key}:{int(ends.timestamp())}"
    total = await store.add(key, points, ends)
    if total > budget:
        await store.take_back(key, points)
        return Charge(False, total - points, ends)
    return Charge(True, total, ends)
