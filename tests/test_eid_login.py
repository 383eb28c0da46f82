"""L7 e-ID sign-in against a real OpenID Connect provider on loopback (tests/oidc_provider.py)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine

from models.challenges import EidLoginState
from models.sessions import LoginAttempt
from models.users import AccountStatus
from tests import factories as f
from tests.api import error_codes

NRN = "85073100123"
START = """mutation($r: String) { startEidLogin(returnTo: $r) { authorizationUrl state } }"""
COMPLETE = """
mutation($c: String!, $s: String!) {
  completeEidLogin(code: $c, state: $s) {
    __typename
    ... on LoginSuccess { expiresAt viewer { ... on User { username eidLinked } } }
    ... on LoginFailed { reason message retryAfterSeconds }
  }
}"""
REQUEST = """query($s: String!) { eidLoginRequest(state: $s) { purpose returnTo expiresAt } }"""
VIEWER = "{ viewer { __typename ... on User { username } } }"


def eid_api(api_factory, provider, **settings):
    return api_factory(**{**provider.settings(), **settings})


async def start(api, return_to=None) -> dict:
    return (await api.data(START, {"r": return_to}))["startEidLogin"]


async def provider_answer(api, provider, username: str) -> dict:
    """startEidLogin, then the user signs in at the provider: its redirect's code and state."""
    begun = await start(api)
    answer = await provider.sign_in(begun["authorizationUrl"], username)
    assert answer["state"] == begun["state"]
    return answer


async def complete(api, answer: dict) -> dict:
    variables = {"c": answer["code"], "s": answer["state"]}
    return (await api.data(COMPLETE, variables))["completeEidLogin"]


async def eid_login(api, provider, username: str) -> dict:
    return await complete(api, await provider_answer(api, provider, username))


async def linked_user(env, nrn=NRN, **kw):
    user = await f.user(env, **kw)
    user.eid_subject = nrn
    await user.save()
    return user


async def test_L7_anonymous_start_asks_for_code_flow_with_pkce_state_and_nonce(api_factory, oidc_provider):
    await f.environment()
    api = eid_api(api_factory, oidc_provider)
    begun = await start(api, "/studies?view=new")
    url = urlsplit(begun["authorizationUrl"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == oidc_provider.issuer + "/authorize"
    assert query["response_type"] == "code" and query["client_id"] == "studygate-test"
    assert query["scope"] == "openid profile egovnrn"
    assert query["state"] == begun["state"] and len(begun["state"]) >= 40
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    row = await EidLoginState.get()
    assert row.state_hash != begun["state"] and row.nonce == query["nonce"]
    assert query["code_challenge"] not in row.code_verifier_encrypted
    assert (row.purpose, row.user_id, row.return_to) == ("LOGIN", None, "/studies?view=new")
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    request = (await api.data(REQUEST, {"s": begun["state"]}))["eidLoginRequest"]
    assert request["purpose"] == "LOGIN" and request["returnTo"] == "/studies?view=new"


async def test_L7_linked_account_signs_in_and_its_session_works(api_factory, oidc_provider):
    env = await f.environment()
    user = await linked_user(env, username="an@example.be")
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    result = await eid_login(api, oidc_provider, "an")
    assert result["__typename"] == "LoginSuccess"
    assert result["viewer"] == {"username": "an@example.be", "eidLinked": True}
    assert (await api.data(VIEWER))["viewer"]["username"] == "an@example.be"
    attempt = await LoginAttempt.get(user_id=user.id)
    assert (attempt.method, attempt.succeeded) == ("EID", True)


async def test_L7_unlinked_identity_is_EID_NOT_LINKED(api_factory, oidc_provider):
    await linked_user(await f.environment(), username="an@example.be")
    oidc_provider.add_user("stranger", "90010100155")
    api = eid_api(api_factory, oidc_provider)
    result = await eid_login(api, oidc_provider, "stranger")
    assert result["reason"] == "EID_NOT_LINKED"
    assert (await api.data(VIEWER))["viewer"] is None


async def test_A6_identity_linked_in_another_environment_does_not_sign_in(api_factory, oidc_provider):
    await f.environment("BE")
    await linked_user(await f.environment("NL", eid=False), username="an@example.nl")
    oidc_provider.add_user("an", NRN)
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["reason"] == "EID_NOT_LINKED"


async def test_L2_disabled_and_pending_linked_accounts_stay_out(api_factory, oidc_provider):
    env = await f.environment()
    await linked_user(env, "11111111111", status=AccountStatus.DISABLED)
    await linked_user(env, "22222222222", status=AccountStatus.PENDING_APPROVAL)
    oidc_provider.add_user("off", "11111111111")
    oidc_provider.add_user("new", "22222222222")
    api = eid_api(api_factory, oidc_provider)
    assert (await eid_login(api, oidc_provider, "off"))["reason"] == "ACCOUNT_DISABLED"
    assert (await eid_login(api, oidc_provider, "new"))["reason"] == "ACCOUNT_PENDING"
    assert (await api.data(VIEWER))["viewer"] is None
    assert await LoginAttempt.filter(method="EID", succeeded=False).count() == 2


async def test_L7_unknown_state_fails_and_signs_nobody_in(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    answer = await provider_answer(api, oidc_provider, "an")
    result = await complete(api, {**answer, "state": answer["state"][:-2] + "xx"})
    assert result["reason"] == "INVALID_CREDENTIALS"
    assert (await api.data(VIEWER))["viewer"] is None


async def test_L7_a_state_is_single_use(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    answer = await provider_answer(api, oidc_provider, "an")
    assert (await complete(api, answer))["__typename"] == "LoginSuccess"
    attacker = eid_api(api_factory, oidc_provider)
    assert (await complete(attacker, answer))["reason"] == "INVALID_CREDENTIALS"
    assert (await attacker.data(VIEWER))["viewer"] is None
    assert (await attacker.data(REQUEST, {"s": answer["state"]}))["eidLoginRequest"] is None


async def test_L7_a_state_expires_after_10_minutes(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        answer = await provider_answer(api, oidc_provider, "an")
        clock.shift(timedelta(minutes=10, seconds=1))
        assert (await complete(api, answer))["reason"] == "CHALLENGE_EXPIRED"


async def test_A6_a_state_from_another_environment_is_unknown(api_factory, oidc_provider):
    await linked_user(await f.environment("BE"))
    await f.environment("LU")
    oidc_provider.add_user("an", NRN)
    answer = await provider_answer(eid_api(api_factory, oidc_provider, environment="LU"),
                                   oidc_provider, "an")
    result = await complete(eid_api(api_factory, oidc_provider), answer)
    assert result["reason"] == "INVALID_CREDENTIALS"


async def test_L7_a_token_with_another_nonce_is_refused(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    oidc_provider.nonce_override = "nonce-of-another-request"
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["reason"] == "INVALID_CREDENTIALS"


async def test_L7_an_expired_id_token_is_refused_beyond_a_minute_of_leeway(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    oidc_provider.token_seconds = -90
    assert (await eid_login(api, oidc_provider, "an"))["reason"] == "INVALID_CREDENTIALS"
    oidc_provider.token_seconds = -30  # clock skew
    assert (await eid_login(api, oidc_provider, "an"))["__typename"] == "LoginSuccess"


async def test_L3_failed_eid_logins_count_against_the_client_address(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider)
    for i in range(100):
        result = await complete(api, {"code": "x", "state": f"forged-state-{i}"})
        assert result["reason"] == "INVALID_CREDENTIALS"
    refused = await eid_login(api, oidc_provider, "an")
    assert refused["reason"] == "TOO_MANY_ATTEMPTS" and refused["retryAfterSeconds"] > 0


async def test_L7_bad_arguments_are_BAD_USER_INPUT(api_factory, oidc_provider):
    await f.environment()
    api = eid_api(api_factory, oidc_provider)
    body = await api.gql(COMPLETE, {"c": "", "s": "state"})
    assert error_codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["argument"] == "code"
    body = await api.gql(COMPLETE, {"c": "code", "s": "s" * 5000})
    assert body["errors"][0]["extensions"]["argument"] == "state"


async def test_L7_returnTo_must_be_a_path_on_the_portal(api_factory, oidc_provider):
    await f.environment()
    api = eid_api(api_factory, oidc_provider)
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                "studies", "/a b", "/x\n", "http:/evil.example", "/" + "a" * 600):
        body = await api.gql(START, {"r": bad})
        assert error_codes(body) == ["BAD_USER_INPUT"], bad
        assert body["errors"][0]["extensions"]["argument"] == "returnTo"
    for good in (None, "/", "/studies/U3R1ZHk6MQ==?tab=report#images"):
        assert (await start(api, good))["state"]
    assert await EidLoginState.all().count() == 3
