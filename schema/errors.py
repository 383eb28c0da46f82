"""Every error the client sees carries a contract code; unexpected ones are masked (S3).

- an ApiError keeps its code and details;
- a request error (syntax, validation, a value that does not coerce) is BAD_USER_INPUT and
  names the argument when one is at fault; "did you mean" hints are dropped outside development
  (they would spell out a schema whose introspection is off);
- anything else is a bug: INTERNAL with the request id, logged once with the trace
  (`StudyGateSchema.process_errors`), never sent.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from models.db import is_database_outage
from resolvers.errors import ApiError

log = logging.getLogger("studygate.errors")

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# "Unknown argument 'fisrt' ...", "Argument 'Mutation.login(password:)' of type ... required"
_NAMED_ARGUMENT = re.compile(r"\bargument '(?:[\w.]*\()?(\w+):?\)?'", re.IGNORECASE)
_INSIDE_VARIABLE = re.compile(r" at ((?:\.\w+|\[\d+\])+)")
_REQUEST_ID = "_studygate_request_id"


def request_id(execution_context: ExecutionContext | None) -> str:
    """The HTTP request's id (`scope["request_id"]`), so the access log line, the logged trace
    and the INTERNAL error name the same request; a fresh one outside HTTP."""
    if execution_context is None:
        return uuid.uuid4().hex
    found = getattr(execution_context, _REQUEST_ID, None)
    if found is None:
        request = getattr(execution_context.context, "request", None)
        found = (request.scope.get("request_id") if request is not None else None) or uuid.uuid4().hex
        setattr(execution_context, _REQUEST_ID, found)
    return found


def is_unexpected(error: GraphQLError) -> bool:
    """An exception that is neither an ApiError nor a GraphQL request error: a bug."""
    original = error.original_error
    if original is None or isinstance(original, (ApiError, GraphQLError)):
        return False
    # Value coercion errors point at the query (nodes, no path); a resolver's exception has a
    # path; an exception outside resolvers (an extension) has neither.
    return error.path is not None or not error.nodes


class StudyGateSchema(strawberry.Schema):
    """Strawberry logs every error with a traceback; we log only the unexpected ones."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if is_database_outage(error.original_error):  # not a bug: one line, no trace
                log.warning("database unavailable in request %s at %s: %r",
                            request_id(execution_context), error.path, error.original_error)
            elif is_unexpected(error):
                log.error("unexpected error in request %s at %s", request_id(execution_context),
                          error.path, exc_info=error.original_error)


class ContractErrors(MaskErrors):
    """Gives every error a contract code; masks unexpected ones as INTERNAL with a request id."""

    def __init__(self, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=lambda e: True)
        self.suggestions = suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context
        return contract_error(error, lambda: request_id(context), suggestions=self.suggestions,
                              document=context.graphql_document)


def contract_error(error: GraphQLError, request_id_of: Callable[[], str], *,
                   suggestions: bool = True, document: DocumentNode | None = None) -> GraphQLError:
    """`error` as the client may see it: with a contract code, masked when unexpected.
    Idempotent, so the view applies it once more to whatever escaped the extension."""
    if isinstance(error.original_error, ApiError):
        return error
    if is_unexpected(error):
        rid = request_id_of()
        return GraphQLError(
            message=f"Internal error (request {rid}).", nodes=error.nodes, source=error.source,
            positions=error.positions, path=error.path,
            # kept server-side (never serialized): the view tells a database outage by it
            original_error=error.original_error,
            extensions={"code": "INTERNAL", "requestId": rid},
        )
    if not suggestions:
        error.message = _SUGGESTION.sub("", error.message)
    extensions: dict[str, Any] = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
    if extensions["code"] == "BAD_USER_INPUT" and "argument" not in extensions:
        argument = argument_of(error, document)
        if argument:
            extensions["argument"] = argument
    error.extensions = extensions
    return error


def argument_of(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The argument (with the input field inside it, `input.password`) a request error is
    about: a literal that does not coerce, a variable's value, or a named argument."""
    try:
        found = _argument_in(error, document)
    except RecursionError:  # an absurdly nested literal: the message says enough
        found = None
    if found:
        return found
    named = _NAMED_ARGUMENT.search(error.message)
    return named.group(1) if named else None


def _argument_in(error: GraphQLError, document: DocumentNode | None) -> str | None:
    node = error.nodes[0] if error.nodes else None
    if document is not None and node is not None:
        if isinstance(node, VariableDefinitionNode):
            name = node.variable.name.value
            where = _argument_path(document, lambda n: isinstance(n, VariableNode)
                                   and n.name.value == name)
            if where:
                # graphql-core says where inside the variable: "invalid value at .a.b[0]".
                inner = _INSIDE_VARIABLE.search(error.message)
                return where + (inner.group(1) if inner else "")
        elif node.loc is not None:
            start, end = node.loc.start, node.loc.end
            where = _argument_path(document, lambda n: n.loc is not None
                                   and (n.loc.start, n.loc.end) == (start, end))
            if where:
                return where
    return None


def _argument_path(document: DocumentNode, is_target) -> str | None:
    for argument in (n for n in nodes_in(document) if isinstance(n, ArgumentNode)):
        inner = _value_path(argument.value, is_target)
        if inner is not None:
            return argument.name.value + inner
    return None


def _value_path(value: Node, is_target) -> str | None:
    """"" when `value` is the target, ".field" / "[i]" steps when it is inside, else None."""
    if is_target(value):
        return ""
    if isinstance(value, ObjectValueNode):
        for field in value.fields:
            inner = "" if is_target(field) else _value_path(field.value, is_target)
            if inner is not None:
                return f".{field.name.value}{inner}"
    elif isinstance(value, ListValueNode):
        for index, item in enumerate(value.values):
            inner = _value_path(item, is_target)
            if inner is not None:
                return f"[{index}]{inner}"
    return None


def nodes_in(document: DocumentNode) -> Iterator[Node]:
    """Every node of the document in document order; iterative, as literals may nest deeper
    than Python's recursion limit."""
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        yield node
        children = []
        for key in getattr(node, "keys", ()):
            child = getattr(node, key, None)
            children += child if isinstance(child, (list, tuple)) else [child]
        pending += reversed([c for c in children if isinstance(c, Node)])  # document order
