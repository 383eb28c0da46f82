"""S3 bad input and failures: every error has a contract code; invalid values are BAD_USER_INPUT
naming the argument; an unexpected exception is INTERNAL with a request id, logged with its
trace and never sent; a failed mutation writes nothing."""

import json
import logging

import pytest

from models.sessions import LoginAttempt
from models.users import AccountRole, AccountStatus, User
from resolvers import accounts, environments
from schema.ids import to_global_id
from tests import factories as f
from tests.api import error_codes

REGISTER = """mutation($input: RegisterInput!) { register(input: $input) { user { id } } }"""


def only_error(body: dict) -> dict:
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


async def test_S3_anonymous_unexpected_exception_is_INTERNAL_with_a_request_id(api, monkeypatch,
                                                                                 caplog):
    await f.environment()

    async def broken():
        raise RuntimeError("connection to 10.1.2.3 refused in /srv/studygate/db.py")

    monkeypatch.setattr(environments, "all_environments", broken)
    caplog.set_level(logging.INFO)
    response = await api.post("{ environments { code } }")
    assert response.status_code == 200
    error = only_error(response.json())
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert request_id in error["message"]
    for leak in ("RuntimeError", "10.1.2.3", "db.py", "Traceback"):
        assert leak not in response.text
    logged = [r for r in caplog.records if r.name == "studygate.errors"]
    assert len(logged) == 1 and request_id in logged[0].getMessage()
    assert logged[0].exc_info and "10.1.2.3" in str(logged[0].exc_info[1])


async def test_S3_expected_errors_are_not_logged_as_errors(api, caplog):
    await f.environment()
    caplog.set_level(logging.DEBUG)
    body = await api.gql('{ studies { totalCount } node(id: "garbage") { id } }')
    assert sorted(error_codes(body)) == ["BAD_USER_INPUT", "UNAUTHENTICATED"]
    await api.gql("{ nope }")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("query, variables, argument", [
    ('mutation { patientLogin(accessCode: "X", dateOfBirth: "1980-02-30") { __typename } }',
     None, "dateOfBirth"),
    ('mutation($d: Date!) { patientLogin(accessCode: "X", dateOfBirth: $d) { __typename } }',
     {"d": "03/02/1980"}, "dateOfBirth"),
    ('{ studies(filter: {updatedSince: "2026-11-28T09:15:00"}) { totalCount } }', None,
     "filter.updatedSince"),
    ("query($f: StudyFilter) { studies(filter: $f) { totalCount } }",
     {"f": {"studyDateFrom": "tomorrow"}}, "filter.studyDateFrom"),
    ("{ studies(orderBy: NEWEST) { totalCount } }", None, "orderBy"),
    ('query($o: StudyOrder) { studies(orderBy: $o) { totalCount } }', {"o": "NEWEST"}, "orderBy"),
    ("{ studies(first: 99999999999) { totalCount } }", None, "first"),
    ('{ studies(first: "ten") { totalCount } }', None, "first"),
    ("{ studies(filter: {colour: \"red\"}) { totalCount } }", None, "filter.colour"),
    ("query($f: StudyFilter) { studies(filter: $f) { totalCount } }", {"f": {"colour": 1}},
     "filter"),
    ("mutation { loginWithPassword(username: \"a\") { __typename } }", None, "password"),
])
async def test_S3_values_that_do_not_coerce_are_BAD_USER_INPUT_naming_the_argument(
        api, query, variables, argument):
    await f.environment()
    error = only_error(await api.gql(query, variables))
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == argument, error


async def test_S3_invalid_ids_uids_and_cursors_name_the_argument(api):
    env = await f.environment()
    inst = await f.institution(env)
    doctor = await f.user(env)
    for _ in range(3):
        await f.study(inst, referring=doctor)
    api.with_session(await f.session_cookie(env, doctor))
    cases = [
        ('{ node(id: "not-an-id") { id } }', "id"),
        (f'{{ study(id: "{to_global_id("User", doctor.id)}") {{ id }} }}', "id"),
        ('{ studyByUid(studyInstanceUid: "1.2.03.x\'; DROP TABLE study") { id } }',
         "studyInstanceUid"),
        ('{ accessLog(studyId: "???") { edges { cursor } } }', "studyId"),
    ]
    for query, argument in cases:
        error = only_error(await api.gql(query))
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument} | {
            k: v for k, v in error["extensions"].items() if k not in ("code", "argument")}, error
    page = await api.data("{ studies(first: 1) { pageInfo { endCursor } } }")
    cursor = page["studies"]["pageInfo"]["endCursor"]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad in (tampered, cursor.split(".")[0] + ".", "garbage", ""):
        body = await api.gql("query($a: String) { studies(first: 1, after: $a) { totalCount } }",
                             {"a": bad})
        error = only_error(body)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (bad, error)
        assert error["extensions"]["argument"] == "after", (bad, error)


@pytest.mark.parametrize("field, value", [
    ("username", "not-an-address"),
    ("phoneNumber", "call me"),
    ("password", ""),
])
async def test_S3_invalid_registration_values_name_the_field_and_write_nothing(api, field, value):
    await f.environment()
    form = {"username": "new@example.be", "password": "a long enough passphrase 2026",
            "displayName": "Dr. New", "profession": "PHYSICIAN", "phoneNumber": "0470 12 34 56"}
    error = only_error(await api.gql(REGISTER, {"input": {**form, field: value}}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == f"input.{field}"
    assert await User.all().count() == 0


async def test_S3_a_failed_mutation_leaves_no_partial_write(api, monkeypatch):
    env = await f.environment()
    desk = await f.user(env, "desk@studygate.example", role=AccountRole.SERVICE_DESK)
    doctor = await f.user(env, "an@example.be")
    other = await f.user(env, "bart@example.be")
    api.with_session(await f.session_cookie(env, desk))
    real_end = accounts.end_user_sessions

    async def end_sessions(user_id, now):
        if user_id == doctor.id:  # the database goes away half-way through the mutation
            raise ConnectionError("server closed the connection unexpectedly")
        await real_end(user_id, now)

    monkeypatch.setattr(accounts, "end_user_sessions", end_sessions)
    body = await api.gql("""mutation($a: ID!, $b: ID!) {
        first: disableUser(userId: $a) { status }
        second: disableUser(userId: $b) { status } }""",
                         {"a": to_global_id("User", other.id), "b": to_global_id("User", doctor.id)})
    assert body["data"] is None or body["data"].get("second") is None
    assert error_codes(body) == ["INTERNAL"]
    # Each mutation field is one transaction: the first committed, the failed one left nothing.
    assert (await User.get(id=other.id)).status == AccountStatus.DISABLED
    assert (await User.get(id=doctor.id)).status == AccountStatus.ACTIVE


@pytest.mark.parametrize("body, content_type", [
    (b"{not json", "application/json"),
    (b"\xff\xfe\x00{", "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    (b'"just a string"', "application/json"),
    (b"null", "application/json"),
    (b'{"query": 42}', "application/json"),
    (b'{"query": "{ __typename }", "variables": [1, 2]}', "application/json"),
    (b'{"query": "{ __typename }", "operationName": {"x": 1}}', "application/json"),
    (b'{"query": "query A { __typename }", "operationName": "B"}', "application/json"),
    (b'{}', "application/json"),
])
async def test_S3_malformed_requests_get_a_4xx_with_a_contract_code(api, body, content_type):
    await f.environment()
    response = await api.http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert "Traceback" not in response.text


async def test_S3_graphiql_switched_off_is_a_404_with_a_code(api_factory):
    await f.environment()
    response = await api_factory(dev=False).http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404 and error_codes(response.json()) == ["NOT_FOUND"]


@pytest.mark.parametrize("username", ["an\u0000@example.be", "an\ud800@example.be"])
async def test_S3_text_the_database_cannot_store_is_refused_before_any_resolver(api, username):
    env = await f.environment()
    await f.user(env, "an@example.be")
    login = "loginWithPassword(username: %s, password: \"x\") { __typename }"
    body = json.dumps({"query": "mutation($u: String!) { %s }" % (login % "$u"),
                       "variables": {"u": username}})  # ASCII: "\\u0000", "\\ud800"
    by_variable = (await api.http.post("/graphql", content=body,
                                       headers={"Content-Type": "application/json"})).json()
    literal = json.dumps(username)  # "\u0000" / "\ud800": GraphQL reads the same escapes
    by_literal = await api.gql("mutation { %s }" % (login % literal))
    error = only_error(by_variable)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "username"}, error
    error = only_error(by_literal)  # GraphQL's lexer itself refuses an unpaired surrogate
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"].get("argument", "username") == "username", error
    assert await LoginAttempt.all().count() == 0


async def test_S3_ids_beyond_the_key_range_are_bad_input_not_a_database_error(api):
    env = await f.environment()
    doctor = await f.user(env)
    api.with_session(await f.session_cookie(env, doctor))
    for number in (2**31, 2**63, 10**30):
        for query in ("query($i: ID!) { node(id: $i) { id } }",
                      "query($i: ID!) { study(id: $i) { id } }"):
            error = only_error(await api.gql(query, {"i": to_global_id("Study", number)}))
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id"}, error
