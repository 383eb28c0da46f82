"""Query cost (S1, fair use), GitHub-style: a field costs 1; a field with a `first` argument
(a connection or a capped list) costs `first` times what it selects.

Computed from the validated document before execution, so nothing runs for a refused query.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode,
    GraphQLObjectType, GraphQLSchema, InlineFragmentNode, IntValueNode, OperationDefinitionNode,
    SelectionSetNode, VariableNode, get_named_type,
)


def query_cost(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """The cost of the operation that would run; 0 when there is none to run."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    # Each fragment is costed once (`_Fragments`): spreading one fragment twice in another, level
    # after level, would otherwise take exponential time for a short query.
    return _selection_cost(schema, root, operation.selection_set,
                           _Fragments(schema, fragments, variables or {}), variables or {})


class _Fragments(dict):
    """Fragment name -> the cost of its selection, computed once; a cycle costs 0 (the
    validation refuses cycles anyway)."""

    def __init__(self, schema, definitions, variables) -> None:
        super().__init__()
        self.schema, self.definitions, self.variables = schema, definitions, variables

    def cost(self, name: str) -> int:
        if name not in self:
            fragment = self.definitions.get(name)
            self[name] = 0  # while in progress: a cycle adds nothing
            if fragment is not None:
                target = self.schema.get_type(fragment.type_condition.name.value)
                self[name] = _selection_cost(self.schema, target, fragment.selection_set, self,
                                             self.variables)
        return self[name]


def _selection_cost(schema, parent, selection_set: SelectionSetNode | None, fragments,
                    variables) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(schema, parent, selection, fragments, variables)
        elif isinstance(selection, InlineFragmentNode):
            target = (schema.get_type(selection.type_condition.name.value)
                      if selection.type_condition else parent)
            total += _selection_cost(schema, target, selection.selection_set, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            total += fragments.cost(selection.name.value)
    return total


def _first(default: Any, node: FieldNode, variables: dict[str, Any]) -> Any:
    """The `first` argument as the query gives it: a literal, a variable, or the default."""
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if isinstance(value, VariableNode):
                return variables.get(value.name.value, default)
            if isinstance(value, IntValueNode):
                return int(value.value)
            return default
    return default


def _field_cost(schema, parent, node: FieldNode, fragments, variables) -> int:
    if node.name.value.startswith("__") or not isinstance(parent, GraphQLObjectType):
        # Introspection and abstract parents: count the field and what it selects once.
        return 1 + _selection_cost(schema, parent, node.selection_set, fragments, variables)
    field = parent.fields.get(node.name.value)
    if field is None:
        return 1
    multiplier = 1
    if "first" in field.args:
        first = _first(field.args["first"].default_value, node, variables)
        multiplier = max(first, 1) if isinstance(first, int) else 1
    child_type = get_named_type(field.type)
    return 1 + multiplier * _selection_cost(schema, child_type, node.selection_set, fragments,
                                            variables)
