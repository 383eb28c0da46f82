"""S3: text the database cannot store is refused before execution, as BAD_USER_INPUT.

PostgreSQL refuses a NUL character in text, and neither database driver can encode an unpaired
surrogate (JSON allows both, as `\\u0000` and `\\ud800`); either would reach a query and fail
there as INTERNAL. Every string in the query's literals and in the variables is checked once,
here, for every field, so no resolver has to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    StringValueNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from schema.errors import nodes_in
from schema.limits import Lru

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "contains a character that cannot be stored (NUL or an unpaired surrogate)"


def _bad_path(value: Any) -> str | None:
    """Where in a variable's value unstorable text is ("" for the value itself, ".field",
    "[1].field"), or None when there is none."""
    if isinstance(value, str):
        return "" if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = "" if _UNSTORABLE.search(str(key)) else _bad_path(item)
            if inner is not None:
                return f".{key}{inner}"
    if isinstance(value, list):
        for index, item in enumerate(value):
            inner = _bad_path(item)
            if inner is not None:
                return f"[{index}]{inner}"
    return None


# Parsed documents are cached by query text (schema/limits.py), so a repeated query brings the
# same DocumentNode: its literals are walked once. Keyed by id, holding the document so that
# the id cannot be reused while the entry lives.
_LITERALS = Lru()


def _bad_literal(document: DocumentNode) -> StringValueNode | None:
    entry = _LITERALS.get_fresh(id(document))
    if entry is not None and entry[0] is document:
        return entry[1]
    found = next((n for n in nodes_in(document) if isinstance(n, StringValueNode)
                  and _UNSTORABLE.search(n.value)), None)
    _LITERALS.put(id(document), (document, found))
    return found


def unstorable_input(document: DocumentNode, operation_name: str | None,
                     variables: dict[str, Any] | None) -> GraphQLError | None:
    """The error for the first literal or variable holding unstorable text, or None."""
    literal = _bad_literal(document)
    if literal is not None:
        return GraphQLError(f"A value {MESSAGE}.", literal, extensions={"code": "BAD_USER_INPUT"})
    operation = get_operation_ast(document, operation_name)
    if isinstance(operation, OperationDefinitionNode):
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            try:
                where = _bad_path((variables or {}).get(name))
            except RecursionError:  # absurd nesting: GraphQL's own coercion refuses it
                where = None
            if where is not None:
                # "at .field" as graphql-core says it: schema/errors.py names the argument.
                at = f" at {where}" if where else ""
                return GraphQLError(f"Variable '${name}' has an invalid value{at}: it {MESSAGE}.",
                                    definition, extensions={"code": "BAD_USER_INPUT"})
    return None


class StorableInputs(SchemaExtension):
    """Runs after the query limits; refuses the operation before any resolver runs."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            error = unstorable_input(context.graphql_document, context.operation_name,
                                     context.variables)
            if error is not None:
                context.pre_execution_errors = [error]
        yield
