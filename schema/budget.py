"""Fair use (P1): every operation of an API client spends its cost from an hourly budget.

Runs in the validation step, after the document is known to be valid and before anything
executes: an operation over budget gets one RATE_LIMITED error (with `resetAt` and
`retryAfterSeconds`) and runs no resolver. Strawberry skips its own validation when an
extension has already filled `pre_execution_errors`, and refuses the operation when that
list is not empty. Register this extension after the query limits (schema/limits.py), so
that a query refused as too complex spends nothing.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from auth.budget import charge, point_store
from auth.viewer import ApiClientViewer
from schema.context import Context
from schema.cost import query_cost
from schema.limits import computed_cost


class PartnerBudget(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        ctx = ec.context
        viewer = getattr(ctx, "viewer", None)
        if isinstance(viewer, ApiClientViewer) and ec.graphql_document is not None:
            if ec.pre_execution_errors is None:
                ec.pre_execution_errors = validate_document(
                    ec.schema._schema, ec.graphql_document, ec.validation_rules)
            if not ec.pre_execution_errors:
                ec.pre_execution_errors = await self._spend(ctx, viewer)
        yield

    async def _spend(self, ctx: Context, viewer: ApiClientViewer) -> list[GraphQLError]:
        ec = self.execution_context
        cost = computed_cost(ec)  # priced already by the query limits, when they ran
        if cost is None:
            cost = query_cost(ec.schema._schema, ec.graphql_document, ec.variables,
                              ec.operation_name)
        cost = max(1, cost)
        # The token's keyed hash names the client in every instance and database alike.
        result = await charge(point_store(ctx.throttle), viewer.client.token_hash[:32], cost,
                              ctx.settings.api_points_per_hour, ctx.now)
        if result.allowed:
            return []
        retry_after = max(1, math.ceil((result.resets_at - ctx.now).total_seconds()))
        ctx.response.headers["Retry-After"] = str(retry_after)
        budget = ctx.settings.api_points_per_hour
        return [GraphQLError(
            f"This operation costs {cost} points; {max(0, budget - result.spent)} of this hour's "
            f"{budget} are left. Try again after {result.resets_at.isoformat()}.",
            extensions={"code": "RATE_LIMITED", "cost": cost, "budget": budget,
                        "resetAt": result.resets_at.isoformat(),
                        "retryAfterSeconds": retry_after},
        )]
