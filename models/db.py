"""Tortoise configuration, start-up and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

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
