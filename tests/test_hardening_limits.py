"""S1 query limits: depth 10, 15 aliases, 2,000 tokens and the cost limit, each refused before
anything executes with exactly one QUERY_TOO_COMPLEX error; suggestions and caches."""

import uuid

import strawberry.schema.schema as strawberry_schema
import time_machine

from models.challenges import LoginChallenge, ThrottleCounter
from models.sessions import LoginAttempt
from schema import limits
from tests import factories as f
from tests.api import error_codes
from tests.login_flows import (
    TOTP_SECRET,
    access_with_code,
    patient_login,
    totp_code,
    wrong_code,
)
from tests.sqlcount import count_sql

STUDY_FIELDS = """id studyInstanceUid accessionNumber studyDate description modalities
  referringPhysician numberOfSeries numberOfInstances reportStatus availableForPatientAt updatedAt
  patient { name birthDate sex patientId } institution { code name }"""  # 20 fields


def studies_query(first: int) -> str:
    # 1 + first x (edges 1 + node 1 + 20 fields)
    return f"{{ studies(first: {first}) {{ edges {{ node {{ {STUDY_FIELDS} }} }} }} }}"


def nested_through_node(levels: int) -> str:
    """`node` and then `levels - 1` more levels of selection: depth `levels`."""
    inner = "id"
    for i in range(levels - 2):
        inner = f"f{i} {{ {inner} }}"
    return f'{{ node(id: "U3R1ZHk6MQ") {{ ... on Study {{ {inner} }} }} }}'


def refusal(body: dict) -> dict:
    """The one error of a refused query, asserting that it is the only one and nothing ran."""
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"], body
    return body["errors"][0]["extensions"]


async def test_S1_anonymous_deep_nesting_through_node_is_refused(api):
    await f.environment()
    extensions = refusal(await api.gql(nested_through_node(11)))
    assert extensions == {"code": "QUERY_TOO_COMPLEX", "limit": "depth", "value": 11, "maximum": 10}
    # Ten levels pass the limit (and then meet the ordinary validation of unknown fields).
    assert error_codes(await api.gql(nested_through_node(10))) == ["BAD_USER_INPUT"]


async def test_S1_depth_counts_through_fragments_and_refuses_absurd_nesting(api):
    await f.environment()
    deep = nested_through_node(9).replace("{ id }", "{ ...F }", 1)
    deep += " fragment F on Study { a { b { id } } }"
    assert refusal(await api.gql(deep))["limit"] == "depth"
    # So deep that the parser gives up (it recurses): still QUERY_TOO_COMPLEX, not a 500.
    extensions = refusal(await api.gql("{ " + "a { " * 600 + "b" + " }" * 600 + " }"))
    assert extensions["limit"] == "depth"


async def test_S1_a_thousand_aliases_of_verifySecondFactor_are_refused_and_nothing_runs(api):
    env = await f.environment()
    inst = await f.institution(env)
    await access_with_code(inst, [await f.study(inst)], verification="TOTP",
                           totp_secret_encrypted=f.KEYRING.encrypt(TOTP_SECRET))
    with time_machine.travel(f.utcnow(), tick=False):
        challenge_id = (await patient_login(api))["challengeId"]
        wrong = wrong_code(totp_code(TOTP_SECRET, f.utcnow()))
        fields = " ".join(f'a{i}: verifySecondFactor(challengeId: "{challenge_id}", '
                          f'code: "{wrong}") {{ __typename }}' for i in range(1000))
        extensions = refusal(await api.gql(f"mutation {{ {fields} }}"))
    assert extensions["limit"] == "aliases" and extensions["value"] == 1000
    assert extensions["maximum"] == 15
    challenge = await LoginChallenge.get(public_id=challenge_id)
    assert challenge.failed_attempts == 0  # not one code was checked


async def test_S1_sixteen_aliases_are_refused_fifteen_run(api):
    env = await f.environment()
    await f.user(env, "an@example.be")
    login = 'loginWithPassword(username: "an@example.be", password: "wrong") { __typename }'
    sixteen = "mutation { " + " ".join(f"a{i}: {login}" for i in range(16)) + " }"
    assert refusal(await api.gql(sixteen))["value"] == 16
    assert await LoginAttempt.all().count() == 0 and await ThrottleCounter.all().count() == 0
    fifteen = "{ " + " ".join(f"a{i}: __typename" for i in range(15)) + " }"
    assert len(await api.data(fifteen)) == 15


def query_of_tokens(total: int) -> str:
    """A valid query of exactly `total` tokens: aliased groups of environment fields."""
    names = ["code", "name", "country", "portalUrl", "eidLoginEnabled", "isCurrent"]
    remaining, groups = total - 2, []  # "{" and "}"
    while remaining > 0:
        count = min(180, remaining - 5)  # alias, ":", field, "{", "}" around the fields
        fields = " ".join(names[k % len(names)] for k in range(count))
        groups.append(f"e{len(groups)}: currentEnvironment {{ {fields} }}")
        remaining -= count + 5
    return "{ " + " ".join(groups) + " }"


async def test_S1_more_than_2000_tokens_are_refused(api):
    await f.environment()
    data = await api.data("# a comment is not a token\n" + query_of_tokens(2000))
    assert len(data) == 11 and data["e0"]["code"] == "BE"
    extensions = refusal(await api.gql(query_of_tokens(2001)))
    assert extensions == {"code": "QUERY_TOO_COMPLEX", "limit": "tokens", "value": 2001,
                          "maximum": 2000}
    # Far past the limit, and unparsable too: still the token limit, never a parse of it all.
    assert refusal(await api.gql("{ " + " a(" * 30_000))["limit"] == "tokens"


async def test_S1_one_field_repeated_more_than_30_times_is_refused_before_validation(api):
    await f.environment()
    assert await api.data("{ " + " __typename" * 30 + " }") == {"__typename": "Query"}
    many = "{ currentEnvironment { " + " code" * 600 + " } }"
    assert refusal(await api.gql(many))["limit"] == "repeatedField"
    inline = "{ " + " ... on Query { __typename }" * 31 + " }"
    assert refusal(await api.gql(inline))["value"] == 31


async def test_S1_a_query_costing_more_than_the_limit_is_refused_with_its_cost(api):
    await f.environment()
    extensions = refusal(await api.gql(studies_query(500)))
    assert extensions == {"code": "QUERY_TOO_COMPLEX", "limit": "cost", "value": 11_001,
                          "maximum": 10_000, "cost": 11_001, "maxCost": 10_000}
    # Within the limit the query runs (and meets A1: sign in first).
    assert error_codes(await api.gql(studies_query(450))) == ["UNAUTHENTICATED"]
    # Variables count as the query gives them.
    q = "query($n: Int) { studies(first: $n) { edges { node { " + STUDY_FIELDS + " } } } }"
    assert refusal(await api.gql(q, {"n": 500}))["cost"] == 11_001


async def test_S1_the_cost_limit_is_a_setting(api_factory):
    await f.environment()
    api = api_factory(max_query_cost=100)
    assert refusal(await api.gql(studies_query(5)))["cost"] == 111
    assert error_codes(await api.gql(studies_query(4))) == ["UNAUTHENTICATED"]


async def test_S1_a_refused_query_of_a_practitioner_runs_no_sql(api):
    env = await f.environment()
    doctor = await f.user(env)
    api.with_session(await f.session_cookie(env, doctor))
    await api.data("{ __typename }")  # the served environment is loaded once, then kept
    with count_sql() as baseline:
        await api.data("{ __typename }")
    with count_sql() as refused:
        refusal(await api.gql(studies_query(500)))
    assert len(refused) == len(baseline)  # only the session look-up of the middleware


async def test_S1_limits_run_before_the_partner_budget(api_factory):
    env = await f.environment()
    inst = await f.institution(env)
    _, token = await f.api_client(inst)
    partner = api_factory(api_points_per_hour=200).with_token(token)
    assert refusal(await partner.gql(studies_query(500)))["limit"] == "cost"
    # The refused query spent nothing: the whole budget is still there.
    body = await partner.gql("{ studies(first: 100) { totalCount } }")
    assert "RATE_LIMITED" not in error_codes(body), body


async def test_S1_suggestions_only_in_development(api_factory):
    await f.environment()
    typo = "{ currentEnvironment { cod } }"
    dev = (await api_factory(dev=True).gql(typo))["errors"][0]
    assert "Did you mean" in dev["message"] and dev["extensions"]["code"] == "BAD_USER_INPUT"
    production = api_factory(dev=False)
    for query in (typo, '{ studies(orderBy: STUDY_DATE_DSC) { totalCount } }',
                  '{ studies(fisrt: 1) { totalCount } }'):
        error = (await production.gql(query))["errors"][0]
        assert "Did you mean" not in error["message"], error
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_S1_parsed_and_validated_documents_are_cached(api, monkeypatch):
    await f.environment()
    parses, validations = [], []
    real_parse, real_validate = strawberry_schema.parse, limits.validate_document
    monkeypatch.setattr(strawberry_schema, "parse",
                        lambda *a, **kw: parses.append(1) or real_parse(*a, **kw))
    monkeypatch.setattr(limits, "validate_document",
                        lambda *a, **kw: validations.append(1) or real_validate(*a, **kw))
    query = f"query Cached{uuid.uuid4().hex} {{ currentEnvironment {{ code }} }}"  # new text
    for _ in range(3):
        assert await api.data(query) == {"currentEnvironment": {"code": "BE"}}
    assert (len(parses), len(validations)) == (1, 1)


async def test_S1_introspection_nests_freely_but_its_aliases_count(api):
    await f.environment()
    of_type = "name"
    for _ in range(10):
        of_type = f"name ofType {{ {of_type} }}"
    deep = "{ __schema { types { fields { type { " + of_type + " } } } } }"
    assert (await api.data(deep))["__schema"]["types"]
    aliased = "{ __schema { " + " ".join(f"t{i}: types {{ name }}" for i in range(16)) + " } }"
    assert refusal(await api.gql(aliased))["limit"] == "aliases"
