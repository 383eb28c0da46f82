"""/healthz, /readyz, /metrics, and a server whose environment is not configured."""

from tests import factories as f


async def test_healthz_answers_while_the_process_runs(api):
    response = await api.http.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


async def test_readyz_is_200_while_the_database_answers(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 200 and response.json() == {"ready": True}


async def test_readyz_is_503_when_the_database_fails(api, monkeypatch):
    from tortoise.connection import get_connection

    conn = get_connection("default")

    async def broken(*args, **kwargs):
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(type(conn), "execute_query", broken)
    response = await api.http.get("/readyz")
    assert response.status_code == 503 and response.json()["ready"] is False


async def test_metrics_are_prometheus_text_with_requests_and_logins(api):
    await f.environment()
    await api.data('mutation { loginWithPassword(username: "x@example.be", password: "wrong password") { __typename } }')
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'studygate_http_requests_total{method="POST",route="/graphql",status="200"}' in text
    assert "studygate_http_request_duration_seconds_bucket" in text
    assert 'studygate_login_outcomes_total{method="PASSWORD",outcome="failure"}' in text


async def test_unconfigured_environment_is_a_clear_503_not_a_crash(api):
    response = await api.post("{ currentEnvironment { code } }")
    assert response.status_code == 503
    assert "environment BE is not in the database" in response.json()["errors"][0]["message"]


async def test_E1_environments_and_current_environment(api):
    await f.environment("BE")
    await f.environment("NL", eid=False)
    data = await api.data("{ currentEnvironment { code } environments { code name country portalUrl eidLoginEnabled isCurrent } }")
    assert data["currentEnvironment"]["code"] == "BE"
    assert data["environments"] == [
        {"code": "BE", "name": "Belgium", "country": "BE", "portalUrl": "https://be.studygate.example",
         "eidLoginEnabled": True, "isCurrent": True},
        {"code": "NL", "name": "Netherlands", "country": "NL", "portalUrl": "https://nl.studygate.example",
         "eidLoginEnabled": False, "isCurrent": False},
    ]


async def test_S3_unexpected_errors_are_masked_as_internal_with_a_request_id(api, monkeypatch):
    from resolvers import environments

    await f.environment()

    async def bug():
        raise KeyError("secret internal detail")

    monkeypatch.setattr(environments, "all_environments", bug)
    body = await api.gql("{ environments { code } }")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL" and error["extensions"]["requestId"]
    assert "secret internal detail" not in str(body)
