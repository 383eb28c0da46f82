"""S4 introspection and GraphiQL: on in development, off by default otherwise, each switchable
(STUDYGATE_INTROSPECTION, STUDYGATE_GRAPHIQL)."""

import pytest

from tests import factories as f
from tests.api import error_codes

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Study") { fields { name } } }'


async def introspects(api) -> bool:
    schema, type_ = await api.gql(INTROSPECTION), await api.gql(TYPE)
    if schema.get("errors") or type_.get("errors"):
        assert set(error_codes(schema)) == set(error_codes(type_)) == {"BAD_USER_INPUT"}
        assert schema["data"] is None and type_["data"] is None
        return False
    assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
    return True


async def serves_graphiql(api) -> bool:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    if response.status_code == 404:
        assert error_codes(response.json()) == ["NOT_FOUND"]
        return False
    assert response.status_code == 200 and "/static/graphiql/graphiql.min.js" in response.text
    return True


@pytest.mark.parametrize("settings, introspection, graphiql", [
    ({"dev": False}, False, False),                              # production default
    ({"dev": True}, True, True),                                 # development default
    ({"dev": False, "introspection": True}, True, False),
    ({"dev": False, "graphiql": True}, False, True),
    ({"dev": True, "introspection": False}, False, True),
    ({"dev": True, "graphiql": False}, True, False),
])
async def test_S4_introspection_and_graphiql_follow_the_mode_and_their_switches(
        api_factory, settings, introspection, graphiql):
    await f.environment()
    api = api_factory(**settings)
    assert await introspects(api) is introspection
    assert await serves_graphiql(api) is graphiql
    # __typename is not introspection: clients rely on it in every mode.
    assert await api.data("{ __typename }") == {"__typename": "Query"}


async def test_S4_switches_are_read_from_the_environment(monkeypatch):
    from settings import load_settings

    monkeypatch.setenv("STUDYGATE_DEV", "0")
    monkeypatch.setenv("STUDYGATE_SECRET_KEY", f.SECRET)
    monkeypatch.setenv("STUDYGATE_INTROSPECTION", "1")
    monkeypatch.delenv("STUDYGATE_GRAPHIQL", raising=False)
    settings = load_settings()
    assert settings.introspection_enabled and not settings.graphiql_enabled
    monkeypatch.setenv("STUDYGATE_DEV", "1")
    monkeypatch.setenv("STUDYGATE_GRAPHIQL", "0")
    settings = load_settings()
    assert settings.introspection_enabled and not settings.graphiql_enabled
