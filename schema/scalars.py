"""Date and DateTime as the contract writes them; a DateTime without an offset is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from graphql import StringValueNode, ValueNode
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a time needs an offset, e.g. 2026-11-28T09:15:00+00:00")
    return parsed.astimezone(dt.timezone.utc)


def _serialize_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat()


def _parse_date(value: str) -> dt.date:
    if len(value) != 10:
        raise ValueError("expected YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def _literal(parse: Callable[[str], Any]) -> Callable[..., Any]:
    """A literal in the query: a plain ValueError lets GraphQL name the argument and the
    expected type (S3), where the wrapped parser's error would point nowhere."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        if not isinstance(node, StringValueNode):
            raise ValueError("expected a string")  # noqa: TRY004
        return parse(node.value)

    return parse_literal


DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description='ISO 8601 with offset, "2026-11-28T09:15:00+00:00"',
    specified_by_url=None,
    serialize=_serialize_datetime,
    parse_value=wrap_parser(_parse_datetime, "DateTime"),
    parse_literal=_literal(_parse_datetime),
    origin=dt.datetime,
)

DateScalar = ScalarDefinition(
    name="Date",
    description='ISO 8601 calendar date, "2026-11-28"',
    specified_by_url=None,
    serialize=dt.date.isoformat,
    parse_value=wrap_parser(_parse_date, "Date"),
    parse_literal=_literal(_parse_date),
    origin=dt.date,
)

SCALAR_OVERRIDES = {dt.datetime: DateTimeScalar, dt.date: DateScalar}
