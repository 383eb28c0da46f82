"""graphql-core's executor with a short path for plain leaf fields (issue 9).

A 50-study list selects some 1,600 fields, most of them scalars read straight off an
attribute (`Study.studyDate`, `Patient.name`). For each, graphql-core and Strawberry build a
resolve-info object, call a wrapper around `getattr`, test the result for awaitability and walk
`complete_value`: several microseconds a field, most of a list request's time.

`PlainFieldsExecutionContext.execute_field` reads such a field itself: when the field has
Strawberry's default resolver (no resolver function, no extension, no permission), takes no
arguments, no middleware resolver is installed (no extension hooks `resolve`), and its type is a scalar or enum (or a list of them),
the value is `getattr(source, python_name)` coerced by the type, exactly what the long path
computes. Anything else (objects, abstract types, resolvers, a null where the type is non-null,
a value the type refuses, an exception) goes the ordinary way, so errors and their paths stay
graphql-core's own.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_LEAF = (GraphQLScalarType, GraphQLEnumType)
_NOT_PLAIN = object()


def _plain_attribute(field: GraphQLField) -> str | None:
    """The attribute a field reads when it is plain (see the module), else None."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (definition is None or not getattr(field.resolve, "_is_default", False)
            or field.args or not definition.is_basic_field
            or definition.default_resolver is not getattr):
        return None
    return definition.python_name


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    _plain: dict[int, Any] = {}  # id(GraphQLField) -> (field, python name, leaf type, list?)

    @classmethod
    def _plan(cls, field: GraphQLField) -> Any:
        plan = cls._plain.get(id(field))
        if plan is None:
            plan = _NOT_PLAIN
            name = _plain_attribute(field)
            if name is not None:
                kind = field.type
                nullable = not isinstance(kind, GraphQLNonNull)
                kind = kind if nullable else kind.of_type
                if isinstance(kind, _LEAF):
                    plan = (field, name, nullable, kind, None)
                elif isinstance(kind, GraphQLList):
                    item = kind.of_type
                    item_nullable = not isinstance(item, GraphQLNonNull)
                    item = item if item_nullable else item.of_type
                    if isinstance(item, _LEAF) and not item_nullable:
                        plan = (field, name, nullable, None, item)
            cls._plain[id(field)] = plan  # the field is kept in the plan: its id stays its own
        return plan

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list,
                      path, position_context):
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value) if not node.arguments else None
        manager = self.middleware_manager
        if field is not None and (manager is None or manager._middleware_resolvers is None):
            plan = self._plan(field)
            if plan is not _NOT_PLAIN:
                _, name, nullable, leaf, item = plan
                try:
                    value = getattr(source, name)
                    if value is None:
                        if nullable:
                            return None
                    elif leaf is not None:
                        coerced = leaf.coerce_output_value(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                    elif isinstance(value, (list, tuple)):
                        coerced = [item.coerce_output_value(v) for v in value]
                        if all(c is not None and c is not Undefined for c in coerced):
                            return coerced
                except Exception:  # noqa: BLE001 - the long path raises it where it belongs
                    pass
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)
