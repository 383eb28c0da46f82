"""Structured logs: one JSON line per request (request id, operation, duration, outcome, client
address) and never a password, code, token or report text."""

import json
import logging
import sys
import time

import httpx

from auth.request_log import JsonLines
from models.studies import ReportStatus
from tests import factories as f
from tests.live import live_server
from tests.login_flows import CODE, access_with_code, patient_login

PASSWORD = "Tr0ub4dor&3-very-secret"
REPORT = "Report text."  # what tests.factories writes into every report


def access_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "studygate.access"]


def everything_logged(caplog) -> str:
    """What the server logged (not the test client, httpx, which logs its own URLs)."""
    return "\n".join(r.getMessage() + repr(r.args) + repr(r.__dict__.get("exc_info"))
                     for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))


async def test_logs_one_json_line_per_request_with_its_facts(api, caplog):
    await f.environment()
    caplog.set_level(logging.DEBUG)
    response = await api.post("query Ping { currentEnvironment { code } }")
    [line] = access_lines(caplog)
    assert line["requestId"] == response.headers["x-request-id"]
    assert line | {"durationMs": 0} == {
        "requestId": line["requestId"], "method": "POST", "path": "/graphql", "status": 200,
        "operationName": "Ping", "operationType": "query", "errorCodes": [], "outcome": "ok",
        "durationMs": 0, "clientAddress": "127.0.0.1", "viewer": "anonymous"}
    assert isinstance(line["durationMs"], float) and line["durationMs"] >= 0


async def test_logs_outcomes_of_errors_refusals_and_other_routes(api, caplog):
    await f.environment()
    caplog.set_level(logging.INFO)
    await api.post("{ studies { totalCount } }")
    await api.http.post("/graphql", content="query=x", headers={"Content-Type": "text/plain"})
    await api.http.get("/images/sgi_secret-image-token-123")
    await api.http.get("/healthz")
    errors, refused, image, health = access_lines(caplog)
    assert (errors["outcome"], errors["errorCodes"], errors["operationName"]) == (
        "errors", ["UNAUTHENTICATED"], None)
    assert (refused["outcome"], refused["status"], refused["errorCodes"]) == (
        "refused", 415, ["BAD_USER_INPUT"])
    assert image["path"] == "/images/{token}" and image["status"] == 403
    assert health["outcome"] == "ok" and health["path"] == "/healthz"
    assert "secret-image-token" not in everything_logged(caplog)


async def test_logs_never_hold_passwords_codes_tokens_or_report_text(api_factory, caplog):
    env = await f.environment()
    inst = await f.institution(env)
    doctor = await f.user(env, "an@example.be")
    await f.study(inst, referring=doctor, report=ReportStatus.FINAL)
    _, api_token = await f.api_client(inst)
    await access_with_code(inst, [await f.study(inst)])
    caplog.set_level(logging.DEBUG, logger="studygate")
    browser, patient, partner = api_factory(), api_factory(), api_factory()
    await browser.post("mutation Login($u: String!, $p: String!) { loginWithPassword("
                       "username: $u, password: $p) { __typename } }",
                       {"u": "an@example.be", "p": PASSWORD})
    login = await browser.post("mutation($u: String!, $p: String!) { loginWithPassword("
                               "username: $u, password: $p) { __typename } }",
                               {"u": "an@example.be", "p": f.PASSWORD})
    session_token = login.cookies[browser.settings.session_cookie_name]
    await browser.post("{ studies { edges { node { report { text } } } } }")
    await browser.http.get("/graphql", params={
        "query": "query($p: String) { __typename }", "variables": json.dumps({"p": PASSWORD})})
    assert (await patient_login(patient))["__typename"] == "LoginSuccess"
    await partner.with_token(api_token).post("{ studies { totalCount } }")
    logged = everything_logged(caplog)
    assert len(access_lines(caplog)) == 6
    for secret in (PASSWORD, f.PASSWORD, session_token, api_token, CODE, REPORT, "loginWithPassword"):
        assert secret not in logged, secret
    viewers = [line["viewer"] for line in access_lines(caplog)]
    assert viewers == ["anonymous", "anonymous", "user", "user", "anonymous", "apiClient"]


def test_logs_are_json_lines_with_the_trace_kept_server_side():
    formatter = JsonLines()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("studygate.errors", logging.ERROR, __file__, 1,
                                   "unexpected error in request %s", ("abc",), sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "unexpected error in request abc" and entry["level"] == "ERROR"
    assert "RuntimeError: boom" in entry["trace"]
    access = logging.LogRecord("studygate.access", logging.INFO, __file__, 1,
                               json.dumps({"requestId": "abc", "status": 200}), (), None)
    assert json.loads(formatter.format(access))["requestId"] == "abc"


def test_logs_of_a_real_server_are_json_lines_without_query_strings(tmp_path):
    env = {"STUDYGATE_DEV": "1", "STUDYGATE_DATABASE_URL": f"sqlite://{tmp_path}/logs.db",
           "STUDYGATE_SECRET_KEY": "log-test-secret-key-0123456789abcdefghij"}
    with live_server(env) as (base, proc):
        variables = json.dumps({"p": PASSWORD})
        response = httpx.get(base + "/graphql", params={
            "query": "query Q($p: String) { __typename }", "variables": variables})
        assert response.status_code == 200
        request_id = response.headers["x-request-id"]
        deadline = time.monotonic() + 10
        while request_id not in proc.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    log = proc.log_path.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [line] = [entry for entry in lines if entry.get("requestId") == request_id]
    assert line["logger"] == "studygate.access" and line["operationName"] == "Q"
    assert line["path"] == "/graphql" and line["status"] == 200
    assert PASSWORD not in log and "variables=" not in log
