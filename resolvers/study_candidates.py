"""A practitioner's list page on PostgreSQL: candidates from each participant's own index range.

A practitioner sees the studies referred by or copied to himself or a colleague in good
standing (A1): a few thousand among millions. Filtered as one OR, PostgreSQL walks the date
index of the whole environment until it has found a page: some 13,000 rows for a 50-study
page at 1,000,000 studies (8-20 ms), and totalCount reads the whole table. Here each
participant's newest studies come from his own index range (`LATERAL ... LIMIT n`), and the
page is the top of their union: about 2.5 ms.

Why it is exact: the visible set V is the union, over the participants P (the viewer and his
colleagues), of the studies referred by or copied to each. Every study of the top n of V (after
the cursor, within the date range) is in the top n of the one set it belongs to, since that set
lies within V. So the candidates hold the whole page, and the page query, which still applies
`auth.policy.visible_studies` in full, picks it out. The candidates can only narrow, never
widen, what the policy lets through.

Used where that holds: PostgreSQL (SQLite has no LATERAL; it is the development database),
a practitioner who is not service desk, no `via` other than OWN, no group, no text, modality
or updatedSince filter, and the study-date orders. Everything else takes the plain query.
Only integers and dates are written into the SQL, each through int() or date.isoformat().
"""

from __future__ import annotations

from datetime import date

from tortoise.expressions import RawSQL

ORDERS = {"STUDY_DATE_DESC": ("DESC", "<"), "STUDY_DATE_ASC": ("ASC", ">")}

_BRANCH = """SELECT b.id FROM unnest(ARRAY[{uids}]::int[]) AS p(uid) CROSS JOIN LATERAL (
  SELECT s.id FROM {source} WHERE {who} = p.uid AND s.environment_id = {env}{conditions}
  ORDER BY s.study_date {direction}, s.id {direction} LIMIT {limit}) b"""


def _date(value: date) -> str:
    if type(value) is not date:
        raise TypeError(f"a date, not {type(value).__name__}")
    return f"'{value.isoformat()}'::date"


def candidates(environment_id: int, participant_ids: list[int], order: str, limit: int | None,
               after: tuple[date, int] | None, date_from: date | None,
               date_to: date | None) -> RawSQL:
    """The `id IN (...)` hint for a page of `limit` rows (page size + 1); with no limit, every
    visible study within the dates (for totalCount). The ids come as an array computed once:
    PostgreSQL then probes the primary key for each, where a plain IN over the union led it to
    scan the whole table (it misjudges the policy's OR filter as matching most rows)."""
    direction, beyond = ORDERS[order]
    conditions = ""
    if date_from is not None:
        conditions += f" AND s.study_date >= {_date(date_from)}"
    if date_to is not None:
        conditions += f" AND s.study_date <= {_date(date_to)}"
    if after is not None:
        key, row_id = _date(after[0]), int(after[1])
        conditions += (f" AND (s.study_date {beyond} {key} OR "
                       f"(s.study_date = {key} AND s.id {beyond} {row_id}))")
    common = {"uids": ",".join(str(int(u)) for u in participant_ids), "env": int(environment_id),
              "conditions": conditions, "direction": direction,
              "limit": "ALL" if limit is None else int(limit)}
    referred = _BRANCH.format(source="study s", who="s.referring_physician_id", **common)
    copied = _BRANCH.format(source="study_copy_to c JOIN study s ON s.id = c.study_id",
                            who="c.user_id", **common)
    return RawSQL(f"(SELECT unnest(ARRAY({referred} UNION {copied})))")
