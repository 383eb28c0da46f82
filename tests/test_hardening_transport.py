"""S2 CSRF and transport: POST with JSON only, no mutation through GET, no foreign origin, no
batches, CORS for the allowed origins only, security headers everywhere; S3's 1 MB body limit."""

import json

import pytest

from models.sessions import LoginAttempt, Session
from schema.view import StudyGateGraphQL
from tests import factories as f
from tests.api import error_codes

LOGIN = 'mutation { loginWithPassword(username: "an@example.be", password: "wrong") { __typename } }'
PORTAL = "https://portal.studygate.example"


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None and error_codes(body) == [code], body
    return body["errors"][0]


async def test_S2_anonymous_mutation_through_get_is_405_and_not_executed(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    response = await api.http.get("/graphql", params={"query": LOGIN})
    refused(response, 405, "BAD_USER_INPUT")
    assert response.headers["allow"] == "POST"
    assert await LoginAttempt.all().count() == 0
    # Queries through GET are fine.
    ok = await api.http.get("/graphql", params={"query": "{ currentEnvironment { code } }"})
    assert ok.status_code == 200 and ok.json()["data"]["currentEnvironment"]["code"] == "BE"


@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", "query=" + LOGIN),
    ("text/plain", json.dumps({"query": LOGIN})),
    ("multipart/form-data; boundary=x",
     '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
     + json.dumps({"query": LOGIN}) + "\r\n--x--\r\n"),
    ("application/jsonp", json.dumps({"query": LOGIN})),
])
async def test_S2_form_encoded_text_plain_and_multipart_posts_are_415(api, content_type, body):
    env = await f.environment()
    await f.user(env, "an@example.be")
    response = await api.http.post("/graphql", content=body,
                                   headers={"Content-Type": content_type})
    refused(response, 415, "BAD_USER_INPUT")
    assert await LoginAttempt.all().count() == 0


async def test_S2_json_with_a_charset_is_accepted(api):
    await f.environment()
    response = await api.http.post(
        "/graphql", content=json.dumps({"query": "{ __typename }"}),
        headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_S2_json_array_batches_are_refused(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    batch = [{"query": LOGIN}, {"query": LOGIN}]
    error = refused(await api.http.post("/graphql", json=batch), 400, "BAD_USER_INPUT")
    assert "Batched" in error["message"]
    assert await LoginAttempt.all().count() == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://testserver.evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
])
async def test_S2_a_cross_site_request_is_refused_and_not_executed(api, headers):
    env = await f.environment()
    doctor = await f.user(env, "an@example.be")
    api.with_session(await f.session_cookie(env, doctor))
    response = await api.post("mutation { logout }", headers=headers)
    assert refused(response, 403, "FORBIDDEN")["extensions"]["reason"] == "ORIGIN"
    assert "access-control-allow-origin" not in response.headers
    assert await Session.filter(ended_at=None).count() == 1  # logout did not run
    # A GET is refused the same way: a foreign page may not read the viewer's data either.
    get = await api.http.get("/graphql", params={"query": "{ viewer { __typename } }"},
                             headers=headers)
    refused(get, 403, "FORBIDDEN")


async def test_S2_same_origin_and_header_less_requests_pass(api):
    await f.environment()
    for headers in ({}, {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
                    {"Sec-Fetch-Site": "none"}, {"Sec-Fetch-Site": "same-site"}):
        assert await api.data("{ __typename }", headers=headers) == {"__typename": "Query"}


async def test_S2_an_allowed_origin_gets_cors_with_credentials(api_factory):
    await f.environment()
    api = api_factory(allowed_origins=f"{PORTAL}, https://other.example/")
    cross = {"Origin": PORTAL, "Sec-Fetch-Site": "cross-site"}
    response = await api.post("{ __typename }", headers=cross)
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-credentials"] == "true"
    preflight = await api.http.options("/graphql", headers={
        "Origin": PORTAL, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # Another origin gets neither CORS nor an answer.
    foreign = await api.http.options("/graphql", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    refused(foreign, 403, "FORBIDDEN")
    assert "access-control-allow-origin" not in foreign.headers


async def test_S2_other_methods_are_405_as_json(api):
    await f.environment()
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await api.http.request(method, "/graphql")
        refused(response, 405, "BAD_USER_INPUT")
        assert response.headers["allow"] == "GET, POST"


async def test_S2_security_headers_are_on_every_response(api_factory):
    await f.environment()
    api = api_factory(dev=False, graphiql=True)
    responses = {
        "graphql": await api.post("{ __typename }"),
        "graphql error": await api.post("{ nope }"),
        "graphiql": await api.http.get("/graphql", headers={"Accept": "text/html"}),
        "refused": await api.http.post("/graphql", content="x", headers={"Content-Type": "text/plain"}),
        "healthz": await api.http.get("/healthz"),
        "static": await api.http.get("/static/studygate/graphiql-init.js"),
        "unknown path": await api.http.get("/nowhere"),
        "image link": await api.http.get("/images/not-a-token"),
    }
    for name, response in responses.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["referrer-policy"] == "no-referrer", name
        assert headers["x-frame-options"] == "DENY", name
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        assert headers["strict-transport-security"].startswith("max-age="), name
        assert len(headers["x-request-id"]) == 32, name
    for name in ("graphql", "graphql error", "graphiql", "refused"):
        assert responses[name].headers["cache-control"] == "no-store", name


async def test_S3_a_2MB_body_is_413_before_anything_parses_it(api, monkeypatch):
    env = await f.environment()
    await f.user(env, "an@example.be")
    parsed = []
    real = StudyGateGraphQL.parse_json
    monkeypatch.setattr(StudyGateGraphQL, "parse_json",
                        lambda self, data: parsed.append(len(data)) or real(self, data))
    padding = " " * (2 * 1024 * 1024)
    body = json.dumps({"query": LOGIN}) + padding
    refused(await api.http.post("/graphql", content=body,
                                headers={"Content-Type": "application/json"}), 413, "BAD_USER_INPUT")

    async def chunks():  # no Content-Length: counted as it arrives
        yield json.dumps({"query": LOGIN}).encode()
        for _ in range(40):
            yield b" " * 65536

    chunked = await api.http.post("/graphql", content=chunks(),
                                  headers={"Content-Type": "application/json"})
    refused(chunked, 413, "BAD_USER_INPUT")
    assert parsed == [] and await LoginAttempt.all().count() == 0
    # Just under 1 MB is served as usual.
    near = json.dumps({"query": "# " + "x" * 1_000_000 + "\n{ __typename }"})
    ok = await api.http.post("/graphql", content=near, headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
