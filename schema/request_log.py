"""What the request's JSON log line says about the GraphQL operation (auth/request_log.py).

Only the operation's name as the document spells it and its type: never the query text, the
variables or any value (passwords, codes and tokens travel in those).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from auth.request_log import LOG_FIELDS


class RequestOutcome(SchemaExtension):
    """Notes the operation's name and type in the request scope (the view adds the error codes
    of the final response)."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:  # also when a hook failed: the log line still names the operation
            note_operation(self.execution_context)


def note_operation(context: ExecutionContext) -> None:
    request = getattr(context.context, "request", None)
    fields = request.scope.get(LOG_FIELDS) if request is not None else None
    document = context.graphql_document
    if fields is None or document is None:
        return
    try:
        operation = get_operation_ast(document, context.operation_name)
    except Exception:  # noqa: BLE001 - a log field must never fail the request
        return
    if isinstance(operation, OperationDefinitionNode):
        fields["operationType"] = operation.operation.value
        if operation.name is not None:
            fields["operationName"] = operation.name.value
