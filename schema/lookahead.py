"""Looking ahead at a study field's selection, so the study query loads what it will read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection

from resolvers.study_prefetch import FULL, HEAD, Wanted
from schema.context import Info


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, fragments (named and inline) flattened."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def _below(fields: list[SelectedField], name: str) -> list[SelectedField]:
    return [child for f in fields if f.name == name for child in _fields(f.selections)]


def wanted_by(info: Info, *path: str) -> Wanted:
    """What the selection reads of each study; `path` leads from the field to the studies
    (`("edges", "node")` for a connection)."""
    fields = [child for f in info.selected_fields for child in _fields(f.selections)]
    for name in path:
        fields = _below(fields, name)
    names = {f.name for f in fields}
    report = FULL if "report" in names else HEAD if "report" in {
        f.name for f in _below(fields, "access")} else None
    return Wanted(visibility="visibility" in names, report=report, series="images" in names)
