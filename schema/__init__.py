"""The GraphQL schema: root types, scalars and the security extensions in one list."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.budget import PartnerBudget
from schema.errors import ContractErrors, StudyGateSchema
from schema.execution import PlainFieldsExecutionContext
from schema.extensions import AccessLogWriter
from schema.inputs import StorableInputs
from schema.limits import MAX_COST, QueryLimits
from schema.mutation import Mutation
from schema.query import Query
from schema.request_log import RequestOutcome
from schema.scalars import SCALAR_OVERRIDES
from schema.transactions import run_mutations_in_transactions
from schema.types.groups import Group
from schema.types.people import Institution, User
from schema.types.studies import Study


def build_schema(introspection: bool = True, *, max_query_cost: int = MAX_COST,
                 suggestions: bool = True) -> strawberry.Schema:
    """S4 introspection switch; S1 limits (first, before the partner budget); S3 errors with
    contract codes ("did you mean" hints only with `suggestions`) and a transaction per
    mutation field."""
    extensions: list = [
        RequestOutcome,  # first in, last out: logs the outcome once the errors are masked
        lambda: ContractErrors(suggestions=suggestions),
        lambda: QueryLimits(max_cost=max_query_cost),
        StorableInputs,  # no NUL or unpaired surrogate reaches a query
        AccessLogWriter,
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    extensions.append(PartnerBudget)  # last: an operation refused by a limit spends nothing
    built = StudyGateSchema(
        query=Query,
        mutation=Mutation,
        types=[Study, User, Institution, Group],
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=extensions,
        execution_context_class=PlainFieldsExecutionContext,
    )
    run_mutations_in_transactions(built._schema)
    return built
