"""Fuzzing the endpoint (S1-S3) with hypothesis-graphql: queries and mutations over the whole
schema, valid and with one schema violation each, as anonymous, practitioner, patient and API
client; and raw HTTP bodies. Never a 5xx, never a trace, every error with a contract code and
no unexpected exception (an INTERNAL with a request id).

`STUDYGATE_FUZZ_EXAMPLES` is the number of examples per role and kind (default 100, as in
`make test`); the README shows a longer run.
"""

import asyncio
import json
import os
from datetime import UTC

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

import schema as schema_module
from models.studies import ReportStatus
from resolvers.errors import CODES
from schema.ids import to_global_id
from tests import factories as f

EXAMPLES = int(os.environ.get("STUDYGATE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
DATES = st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12))
DATETIMES = st.one_of(st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
                      st.text(max_size=30))


def scalars(ids: list[str], strings: list[str]) -> dict:
    """Values that reach past the input checks: the world's real ids and names, mixed with noise."""
    return {
        "Date": DATES.map(nodes.String),
        "DateTime": DATETIMES.map(nodes.String),
        "ID": st.one_of(st.sampled_from(ids), st.text(max_size=20)).map(nodes.String),
        "String": st.one_of(st.sampled_from(strings), st.text(max_size=40)).map(nodes.String),
    }


def check(response) -> None:
    """What every response must be, whatever was asked."""
    assert response.status_code < 500, response.text[:3000]
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:3000]
    if response.headers.get("content-type", "").startswith("application/json"):
        for error in response.json().get("errors") or []:
            extensions = error.get("extensions") or {}
            assert extensions.get("code") in CODES, error
            assert "requestId" not in extensions, error  # an unexpected exception: a bug


async def _world():
    """A small world: a practitioner with studies and a group, a patient, an API client; and
    the ids and strings that open its doors."""
    env = await f.environment()
    inst = await f.institution(env, code="AZX")
    doctor = await f.user(env, "an.peeters@example.be")
    colleague = await f.user(env, "bart.claes@example.be")
    group = await f.group(env, "Praktijk Zuid", [(doctor, True), (colleague, False)])
    studies = [await f.study(inst, referring=doctor, report=ReportStatus.FINAL) for _ in range(3)]
    access = await f.patient_access(inst, studies[:1])
    _, token = await f.api_client(inst, "studies:read,studies:write,reports:read,patient-access:write")
    ids = [to_global_id("Study", s.id) for s in studies] + [
        to_global_id("User", doctor.id), to_global_id("User", colleague.id),
        to_global_id("Group", group.id), to_global_id("Institution", inst.id)]
    strings = [doctor.username, colleague.username, f.PASSWORD, "BE", "NL", "CT", "AZX",
               studies[0].study_instance_uid, "1980-02-03", "+32470000103"]
    return env, doctor, access, token, scalars(ids, strings)


def _run_in_thread(loop, strategy, send) -> None:
    """Hypothesis drives from a worker thread; each request runs on the test's event loop."""

    @FUZZ
    @given(strategy)
    def one(example):
        check(asyncio.run_coroutine_threadsafe(send(example), loop).result(timeout=120))

    one()


@pytest.mark.parametrize("role", ["anonymous", "practitioner", "patient", "apiClient"])
async def test_S3_fuzzed_operations_never_fail_with_a_5xx_or_a_trace(api_factory, role):
    env, doctor, access, token, custom_scalars = await _world()
    api = api_factory(api_points_per_hour=10**9)
    if role == "apiClient":
        api.with_token(token)
    sdl = schema_module.build_schema().as_str()
    strategy = st.one_of(*[kind(sdl, custom_scalars=custom_scalars, mode=mode)
                           for kind in (queries, mutations) for mode in (Mode.POSITIVE, Mode.NEGATIVE)])

    async def send(query: str):
        if role == "practitioner":  # a fresh session: a fuzzed logout must not end the role
            api.with_session(await f.session_cookie(env, doctor))
        elif role == "patient":
            api.with_session(await f.session_cookie(env, access=access))
        return await api.post(query)

    await asyncio.to_thread(_run_in_thread, asyncio.get_running_loop(), strategy, send)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={
        "query": st.one_of(st.text(max_size=200), JSON_VALUES),
        "variables": JSON_VALUES, "operationName": JSON_VALUES, "extensions": JSON_VALUES,
    }).map(lambda v: json.dumps(v).encode()),
)
CONTENT_TYPES = st.sampled_from([
    "application/json", "application/json; charset=latin-1", "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data", "", "application/graphql",
])


async def test_S3_fuzzed_http_bodies_never_fail_with_a_5xx_or_a_trace(api_factory):
    await _world()
    api = api_factory()

    async def send(example):
        method, body, content_type = example
        if method == "GET":
            return await api.http.get("/graphql", params={"query": body.decode("latin-1"),
                                                          "variables": body.decode("latin-1")})
        return await api.http.post("/graphql", content=body,
                                   headers={"Content-Type": content_type})

    strategy = st.tuples(st.sampled_from(["GET", "POST"]), BODIES, CONTENT_TYPES)
    await asyncio.to_thread(_run_in_thread, asyncio.get_running_loop(), strategy, send)
