"""Environments (E1)."""

from __future__ import annotations

from models.environments import Environment


async def all_environments() -> list[Environment]:
    return await Environment.all().order_by("code")
