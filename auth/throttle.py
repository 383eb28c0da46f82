"""Failure counters and lockouts shared by every server instance (L3, L4).

In the database by default, in Redis when STUDYGATE_REDIS_URL is set. A counter counts
failures within a window that starts at the first failure; a lock refuses every attempt,
the right password included, until it ends.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models.challenges import ThrottleCounter


class Throttle(Protocol):
    async def add_failure(self, key: str, now: datetime, window: timedelta) -> int:
        """Counts one failure; returns the failures in the current window."""

    async def lock(self, key: str, now: datetime, duration: timedelta) -> None:
        """Refuses `key` for `duration` and starts its count afresh."""

    async def locked_for(self, key: str, now: datetime) -> int:
        """Seconds until `key` may try again; 0 when it may now."""

    async def clear(self, key: str) -> None:
        """Forgets the failures and lifts the lock (a success, or the service desk's unlock)."""


class DatabaseThrottle:
    async def add_failure(self, key: str, now: datetime, window: timedelta) -> int:
        for _ in range(3):
            counters = ThrottleCounter.filter(key=key)
            if await counters.filter(window_ends_at__gt=now).update(count=F("count") + 1):
                break
            if await counters.filter(window_ends_at__lte=now).update(
                count=1, window_ends_at=now + window
            ):
                break
            try:
                async with in_transaction():  # a savepoint inside a mutation's transaction
                    await ThrottleCounter.create(key=key, count=1, window_ends_at=now + window)
                break
            except IntegrityError:
                continue  # created meanwhile by another request: count on it
        row = await ThrottleCounter.filter(key=key).only("count").first()
        return row.count if row else 1

    async def lock(self, key: str, now: datetime, duration: timedelta) -> None:
        until = now + duration
        if not await ThrottleCounter.filter(key=key).update(
            locked_until=until, count=0, window_ends_at=now
        ):
            try:
                async with in_transaction():  # so a lost race does not abort the caller's
                    await ThrottleCounter.create(key=key, count=0, window_ends_at=now,
                                                 locked_until=until)
            except IntegrityError:
                await ThrottleCounter.filter(key=key).update(locked_until=until, count=0)

    async def locked_for(self, key: str, now: datetime) -> int:
        row = await ThrottleCounter.filter(key=key, locked_until__gt=now).only("locked_until").first()
        return math.ceil((row.locked_until - now).total_seconds()) if row else 0

    async def clear(self, key: str) -> None:
        await ThrottleCounter.filter(key=key).delete()


class RedisThrottle:
    """The same counters in Redis; expiry is Redis's own (wall-clock) TTL."""

    def __init__(self, url: str, prefix: str = "sg") -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
        self.prefix = prefix

    async def add_failure(self, key: str, now: datetime, window: timedelta) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(f"{self.prefix}:fail:{key}")
        pipe.expire(f"{self.prefix}:fail:{key}", int(window.total_seconds()), nx=True)
        count, _ = await pipe.execute()
        return int(count)

    async def lock(self, key: str, now: datetime, duration: timedelta) -> None:
        pipe = self.redis.pipeline()
        pipe.set(f"{self.prefix}:lock:{key}", 1, px=int(duration.total_seconds() * 1000))
        pipe.delete(f"{self.prefix}:fail:{key}")
        await pipe.execute()

    async def locked_for(self, key: str, now: datetime) -> int:
        ttl_ms = await self.redis.pttl(f"{self.prefix}:lock:{key}")
        return math.ceil(ttl_ms / 1000) if ttl_ms > 0 else 0

    async def clear(self, key: str) -> None:
        await self.redis.delete(f"{self.prefix}:fail:{key}", f"{self.prefix}:lock:{key}")

    async def close(self) -> None:
        await self.redis.aclose()


def make_throttle(redis_url: str | None, prefix: str = "sg") -> Throttle:
    return RedisThrottle(redis_url, prefix) if redis_url else DatabaseThrottle()
