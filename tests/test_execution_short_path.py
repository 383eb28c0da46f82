"""schema/execution.py: plain leaf fields take the short path, and every answer (data, errors,
paths) is exactly what graphql-core's own executor gives."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import PlainFieldsExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Inner:
    name: str
    born: date | None


@strawberry.type
class Item:
    id: strawberry.ID
    title: str
    count: int
    score: float | None
    at: datetime
    colour: Colour
    tags: list[str]
    inner: Inner
    required: str  # some items break the contract: None here must be an error

    @strawberry.field
    def computed(self, times: int = 2) -> int:
        return self.count * times

    @strawberry.field
    async def later(self) -> str:
        return self.title.upper()


def _items() -> list[Item]:
    return [
        Item(id=strawberry.ID(str(i)), title=f"t{i}", count=i, score=None if i % 2 else i / 2,
             at=datetime(2026, 1, 1, i), colour=Colour.RED if i % 2 else Colour.BLUE,
             tags=["a", f"b{i}"], inner=Inner(name=f"n{i}", born=date(2000, 1, i + 1)),
             required=None if i == 3 else "ok")  # type: ignore[arg-type]
        for i in range(5)
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def maybe_items(self) -> list[Item] | None:
        return _items()


QUERIES = [
    "{ items { id title count score at colour tags inner { name born } computed later } }",
    "{ items { a: title b: title c: count __typename inner { __typename } } }",
    "query($no: Boolean!) { items { title @include(if: $no) count @skip(if: $no) "
    "...F ... on Item { colour } } } fragment F on Item { tags score }",
    "{ maybeItems { title required } }",  # a null non-null field: error, path, nulled parent
    "{ items { computed(times: 3) inner { name } } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_the_short_path_answers_exactly_as_graphql_core(query):
    answers = []
    for context_class in (StrawberryGraphQLCoreExecutionContext, PlainFieldsExecutionContext):
        schema = strawberry.Schema(query=Query, execution_context_class=context_class)
        result = await schema.execute(query, variable_values={"no": False})
        answers.append((result.data, [(e.message, e.path) for e in result.errors or []]))
    assert answers[0] == answers[1]
    data, errors = answers[1]
    if "required" in query:  # the broken item: one error at its path, and `maybeItems` nulled
        assert data == {"maybeItems": None}
        assert [path for _, path in errors] == [["maybeItems", 3, "required"]]
    else:
        assert not errors and len(data["items"]) == 5


async def test_plain_leaf_fields_do_not_go_through_the_resolver(monkeypatch):
    long_path = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def spy(self, parent_type, source, fields, path, position_context):
        long_path.append(fields[0].node.name.value)
        return original(self, parent_type, source, fields, path, position_context)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", spy)
    schema = strawberry.Schema(query=Query, execution_context_class=PlainFieldsExecutionContext)
    result = await schema.execute("{ items { title count tags colour inner { name } later } }")
    assert not result.errors
    assert len(result.data["items"]) == 5
    # Only the root list, the object field and the resolver field take the long path.
    assert sorted(set(long_path)) == ["inner", "items", "later"]
    assert long_path.count("inner") == 5
