"""What a study query loads in its own statement, so a request's SQL does not grow (issue 9).

The schema looks ahead at the selection and says what it will read (`Wanted`); the study query
then carries correlated subqueries for it: the copy-to physicians (visibility), the newest
report version (access decisions, the report) and the series (images). Their rows come back
as text (a comma list, JSON) in the study's own row, and are handed to the request's
DataLoaders (`prime`), so the fields resolve exactly as they do without a look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson
from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

from models.db import on_postgres
from models.studies import ReportVersion, Series, Study

if TYPE_CHECKING:
    from schema.context import Context

HEAD, FULL = "head", "full"


@dataclass(frozen=True)
class Wanted:
    """What the selection reads of each study: visibility needs the copy-to list; the access
    decisions need the newest report's head (status, times), the report its text too; images
    need the series."""

    visibility: bool = True
    report: str | None = None  # None, HEAD or FULL
    series: bool = False


EVERYTHING_LAZY = Wanted()

_REPORT_COLUMNS = "r.id, r.version, r.status, r.author, r.signed_at, r.created_at"
_SERIES_COLUMNS = ("s.id, s.series_instance_uid, s.modality, s.description, s.body_part, "
                   "s.number_of_instances")

_SQL = {
    "postgres": {
        "copy_to": 'SELECT string_agg(c.user_id::text, \',\') FROM study_copy_to c '
                   'WHERE c.study_id = "study"."id"',
        "report": 'SELECT json_build_array({columns})::text FROM report_version r '
                  'WHERE r.study_id = "study"."id" ORDER BY r.version DESC LIMIT 1',
        "series": f"SELECT coalesce(json_agg(json_build_array({_SERIES_COLUMNS})), '[]')::text "
                  'FROM series s WHERE s.study_id = "study"."id"',
    },
    "sqlite": {
        "copy_to": 'SELECT group_concat(c.user_id, \',\') FROM study_copy_to c '
                   'WHERE c.study_id = "study"."id"',
        "report": 'SELECT json_array({columns}) FROM report_version r '
                  'WHERE r.study_id = "study"."id" ORDER BY r.version DESC LIMIT 1',
        "series": f"SELECT coalesce(json_group_array(json_array({_SERIES_COLUMNS})), '[]') "
                  'FROM series s WHERE s.study_id = "study"."id"',
    },
}


def with_wanted(query: QuerySet[Study], wanted: Wanted, copy_to: bool) -> QuerySet[Study]:
    """`query` with the subqueries `wanted` asks for; `copy_to` when visibility needs them."""
    sql = _SQL["postgres" if on_postgres() else "sqlite"]
    extra = {}
    if copy_to and wanted.visibility:
        extra["prefetched_copy_to"] = RawSQL(f"({sql['copy_to']})")
    if wanted.report:
        columns = _REPORT_COLUMNS + (", r.text" if wanted.report == FULL else "")
        extra["prefetched_report"] = RawSQL(f"({sql['report'].format(columns=columns)})")
    if wanted.series:
        extra["prefetched_series"] = RawSQL(f"({sql['series']})")
    return query.annotate(**extra) if extra else query


def copy_to_ids(study: Study) -> list[int] | None:
    """The copy-to physicians loaded with the study, or None when they were not loaded."""
    if not hasattr(study, "prefetched_copy_to"):
        return None
    text = study.prefetched_copy_to
    return [int(v) for v in text.split(",")] if text else []


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def prime_loaders(ctx: Context, studies: list[Study]) -> None:
    """Hands the reports and series loaded with the studies to the request's DataLoaders."""
    loaders = ctx.loaders
    for study in studies:
        if hasattr(study, "prefetched_report"):
            report, full = None, True
            if study.prefetched_report is not None:
                values = orjson.loads(study.prefetched_report)
                row = dict(id=values[0], study_id=study.id, version=values[1], status=values[2],
                           author=values[3], signed_at=_moment(values[4]),
                           created_at=_moment(values[5]))
                full = len(values) > 6
                if full:
                    row["text"] = values[6]
                report = ReportVersion._init_from_db(**row)  # without text: a partial row
            # A version with its text replaces one without (two root fields, one study).
            loaders.newest_report.prime(study.id, report, force=full)
        if hasattr(study, "prefetched_series"):
            rows = sorted(orjson.loads(study.prefetched_series))  # by id, as the loader orders
            loaders.series.prime(study.id, [
                Series._init_from_db(id=r[0], study_id=study.id, series_instance_uid=r[1],
                                     modality=r[2], description=r[3], body_part=r[4],
                                     number_of_instances=r[5])
                for r in rows
            ])
