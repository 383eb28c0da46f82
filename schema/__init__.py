"""The GraphQL schema: root types, scalars and the security extensions in one list."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.errors import ContractErrors
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.types.groups import Group
from schema.types.people import Institution, User
from schema.types.studies import Study


def build_schema(introspection: bool = True) -> strawberry.Schema:
    extensions: list = [ContractErrors]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Study, User, Institution, Group],
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=extensions,
    )
