"""Per-request DataLoaders: related rows for a whole list in one query."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from models.groups import GroupMembership
from models.studies import ReportVersion, Series


async def _load_memberships(group_ids: list[int]) -> list[list[GroupMembership]]:
    rows = await GroupMembership.filter(group_id__in=group_ids).select_related("user")
    by_group: dict[int, list[GroupMembership]] = defaultdict(list)
    for row in rows:
        by_group[row.group_id].append(row)
    return [by_group[g] for g in group_ids]


async def _load_newest_reports(study_ids: list[int]) -> list[ReportVersion | None]:
    newest: dict[int, ReportVersion] = {}
    for row in await ReportVersion.filter(study_id__in=study_ids).order_by("version"):
        newest[row.study_id] = row  # ascending: the last one wins
    return [newest.get(s) for s in study_ids]


async def _load_series(study_ids: list[int]) -> list[list[Series]]:
    by_study: dict[int, list[Series]] = defaultdict(list)
    for row in await Series.filter(study_id__in=study_ids).order_by("id"):
        by_study[row.study_id].append(row)
    return [by_study[s] for s in study_ids]


class Loaders:
    def __init__(self) -> None:
        self.group_memberships: DataLoader[int, list[GroupMembership]] = DataLoader(
            load_fn=_load_memberships
        )
        self.newest_report: DataLoader[int, ReportVersion | None] = DataLoader(
            load_fn=_load_newest_reports
        )
        self.series: DataLoader[int, list[Series]] = DataLoader(load_fn=_load_series)
