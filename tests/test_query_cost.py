"""The cost rule: a field costs 1; a connection costs its `first` times its children."""

from graphql import parse

import schema as schema_module
from schema.cost import query_cost

SCHEMA = schema_module.build_schema()._schema


def cost(query, variables=None, name=None):
    return query_cost(SCHEMA, parse(query), variables, name)


def test_scalar_fields_cost_one_each():
    assert cost("{ currentEnvironment { code name } }") == 3


def test_connection_costs_first_times_children():
    # studies(1) + 10 x (edges(1) + node(1) + id(1) + uid(1)) = 41
    assert cost("{ studies(first: 10) { edges { node { id studyInstanceUid } } } }") == 41


def test_default_first_and_variables_are_used():
    q = "query($n: Int) { studies(first: $n) { totalCount } }"
    assert cost(q, {"n": 500}) == 1 + 500
    assert cost("{ studies { totalCount } }") == 1 + 50


def test_fragments_and_nested_connections_multiply():
    q = """query { studies(first: 5) { ...F } } fragment F on StudyConnection { edges { node {
      ... on Study { report { text } } } } }"""
    # 1 + 5 * (edges 1 + node 1 + report 1 + text 1)
    assert cost(q) == 21


def test_only_the_named_operation_counts():
    q = "query A { viewer { __typename } } query B { studies(first: 100) { totalCount } }"
    assert cost(q, name="A") == 2
    assert cost(q, name="B") == 101
    assert cost(q) == 0  # ambiguous: GraphQL refuses it before execution anyway
