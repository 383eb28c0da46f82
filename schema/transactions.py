"""S3: one database transaction per mutation field, so a failed mutation leaves nothing behind.

Every root Mutation field's resolver runs inside `tortoise.transactions.in_transaction()`: an
exception (an ApiError included) rolls back everything it wrote; returning, a login outcome
such as LoginFailed included, commits. Fields run one after the other (GraphQL executes
mutation fields serially), so aliases get a transaction each and every attempt still counts
(S2b). A resolver's own `in_transaction()` becomes a savepoint inside this one. The fields of
the returned object resolve after the commit, outside it.

The request's scope records that a mutation committed (`COMMITTED`), so that a database outage
met afterwards is not answered with "503, nothing done, send it again" (schema/view.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import isawaitable
from typing import Any

from graphql import GraphQLFieldResolver, GraphQLSchema

from models.db import transaction

_WRAPPED = "_studygate_in_transaction"
COMMITTED = "studygate.committed"  # scope key: a mutation of this request has committed


def _in_transaction(resolve: GraphQLFieldResolver) -> Callable[..., Any]:
    @functools.wraps(resolve)
    async def resolve_in_transaction(root: Any, info: Any, **arguments: Any) -> Any:
        async with transaction():
            result = resolve(root, info, **arguments)
            if isawaitable(result):
                result = await result
        request = getattr(info.context, "request", None)
        if request is not None:
            request.scope[COMMITTED] = True
        return result

    setattr(resolve_in_transaction, _WRAPPED, True)
    return resolve_in_transaction


def run_mutations_in_transactions(schema: GraphQLSchema) -> None:
    """Wraps each root Mutation field of `schema` (graphql-core's) in a transaction, once."""
    mutation = schema.mutation_type
    if mutation is None:
        return
    for field in mutation.fields.values():
        if field.resolve is not None and not getattr(field.resolve, _WRAPPED, False):
            field.resolve = _in_transaction(field.resolve)
