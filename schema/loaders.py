"""Per-request DataLoaders: related rows for a whole list in one query."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from models.groups import GroupMembership


async def _load_memberships(group_ids: list[int]) -> list[list[GroupMembership]]:
    rows = await GroupMembership.filter(group_id__in=group_ids).select_related("user")
    by_group: dict[int, list[GroupMembership]] = defaultdict(list)
    for row in rows:
        by_group[row.group_id].append(row)
    return [by_group[g] for g in group_ids]


class Loaders:
    def __init__(self) -> None:
        self.group_memberships: DataLoader[int, list[GroupMembership]] = DataLoader(
            load_fn=_load_memberships
        )
