"""Tortoise configuration, start-up and migrations for SQLite and PostgreSQL, and how a
request tells a database outage from a bug."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import connections, get_connections
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.transactions import in_transaction

from models import MODEL_MODULES


def tortoise_config(database_url: str, pool_size: int = 20) -> dict[str, Any]:
    if database_url.startswith("sqlite://"):
        connection: Any = database_url
    else:
        url = database_url.replace("postgresql://", "postgres://", 1)
        sep = "&" if "?" in url else "?"
        # asyncpg's pool holds 5 connections unless told otherwise.
        connection = f"{url}{sep}minsize=1&maxsize={pool_size}"
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str, pool_size: int = 20) -> None:
    """Open the ORM; the context is global so request tasks see it."""
    await Tortoise.init(
        config=tortoise_config(database_url, pool_size), _enable_global_fallback=True
    )


async def migrate(database_url: str) -> None:
    """Apply the checked-in migrations (idempotent); leaves no connection open."""
    try:
        await tortoise_migrate(config=tortoise_config(database_url, 2))
    finally:
        await Tortoise.close_connections()


async def close_db() -> None:
    await Tortoise.close_connections()


def on_postgres() -> bool:
    """Whether the default connection is PostgreSQL (else SQLite, the development database)."""
    return connections.get("default").capabilities.dialect == "postgres"


class DatabaseUnavailable(RuntimeError):
    """The database did not answer (stopped, restarting, connection lost): the request's
    transaction did not commit, and the same request may be sent again."""


# asyncpg's "the server is going away or not there yet" errors (SQLSTATE classes 08 and 57P0x),
# and its "lost track of this connection", which a connection the server ended gives on reuse.
_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnavailable, DBConnectionError, asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.InternalClientError,
)


def is_database_outage(exc: BaseException | None) -> bool:
    """True when `exc` or an exception it came from says the database cannot be reached, as
    opposed to a bug or a bad query. A socket error (refused, reset, timed out) counts only
    when the database driver raised it: the SMTP or SMS client's do not."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _OUTAGE_ERRORS):
            return True
        if isinstance(exc, asyncpg.exceptions.InterfaceError) and "clos" in str(exc):
            return True  # "connection is closed", "pool is closing"
        if isinstance(exc, OSError) and _raised_by_driver(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _raised_by_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg", "tortoise.backends")):
            return True
        tb = tb.tb_next
    return False


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """`tortoise.transactions.in_transaction()` on the default connection, except that a pooled
    connection whose BEGIN fails (a stale one after a database restart) goes back to the pool:
    Tortoise 1.1 keeps it checked out, and each such request would shrink the pool for good."""
    context = in_transaction()
    try:
        client = await context.__aenter__()
    except BaseException:
        await _give_back(context)
        raise
    try:
        yield client
    except BaseException as exc:
        if not await context.__aexit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        await context.__aexit__(None, None, None)


async def _give_back(context: Any) -> None:
    token = getattr(context, "token", None)
    if token is not None:
        get_connections().reset(token)
    client = getattr(context, "client", None)
    pool = getattr(getattr(client, "_parent", None), "_pool", None)
    connection = getattr(client, "_connection", None)
    if pool is not None and connection is not None:
        with contextlib.suppress(Exception):  # a dead connection: the pool replaces it
            await pool.release(connection)
        client._connection = None
