"""Test databases: SQLite in a temporary file, or a fresh PostgreSQL database per run."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.connection import get_connection

from models.db import init_db, migrate



def base_url() -> str:
    """STUDYGATE_TEST_DATABASE_URL: `sqlite` (default) or a postgres:// server URL."""
    return os.environ.get("STUDYGATE_TEST_DATABASE_URL", "sqlite")


def is_postgres() -> bool:
    return base_url().startswith(("postgres://", "postgresql://"))


async def create_database(tmp_dir: str) -> str:
    """Create an empty database for this run and return its Tortoise URL."""
    if not is_postgres():
        return f"sqlite://{tmp_dir}/studygate-test-{uuid.uuid4().hex[:8]}.db"
    parts = urlsplit(base_url().replace("postgresql://", "postgres://", 1))
    name = f"studygate_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlunsplit(parts._replace(path="/" + name))


async def drop_database(url: str) -> None:
    if not url.startswith("postgres://"):
        return
    parts = urlsplit(url)
    admin = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parts.path[1:]}" WITH (FORCE)')
    finally:
        await admin.close()


async def prepare(url: str) -> None:
    await migrate(url)
    await init_db(url, pool_size=10)


def _tables() -> list[str]:
    return sorted(m._meta.db_table for m in Tortoise.apps.get_models_iterable())


async def clear_tables(url: str) -> None:
    conn = get_connection("default")
    tables = _tables()
    if url.startswith("postgres://"):
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        script = "".join(f'DELETE FROM "{t}";' for t in tables)
        await conn.execute_script(f"PRAGMA foreign_keys = OFF;{script}PRAGMA foreign_keys = ON;")


async def close() -> None:
    await Tortoise.close_connections()
