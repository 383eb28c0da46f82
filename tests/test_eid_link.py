"""L7 linkEid: a signed-in account links its e-ID (one account per identity), then signs in with it."""

from __future__ import annotations

from models.users import User
from tests import factories as f
from tests.api import error_codes
from tests.test_eid_login import (
    NRN, REQUEST, complete, eid_api, eid_login, linked_user, provider_answer, start,
)

LINK = """
mutation($c: String!, $s: String!) { linkEid(code: $c, state: $s) { username eidLinked } }"""


async def signed_in(api_factory, provider, user, **settings):
    token = await f.session_cookie(await user.environment, user)
    return eid_api(api_factory, provider, **settings).with_session(token)


async def link(api, answer: dict) -> dict:
    return await api.gql(LINK, {"c": answer["code"], "s": answer["state"]})


def argument(body: dict) -> str | None:
    return body["errors"][0]["extensions"].get("argument")


async def test_L7_anonymous_cannot_link(api_factory, oidc_provider):
    await f.environment()
    body = await eid_api(api_factory, oidc_provider).gql(LINK, {"c": "code", "s": "state"})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_L7_a_patient_cannot_link(api_factory, oidc_provider):
    env = await f.environment()
    inst = await f.institution(env)
    access = await f.patient_access(inst, [await f.study(inst)])
    api = eid_api(api_factory, oidc_provider).with_session(await f.session_cookie(env, access=access))
    assert error_codes(await api.gql(LINK, {"c": "code", "s": "state"})) == ["FORBIDDEN"]


async def test_L7_linked_e_id_then_signs_in_to_the_account(api_factory, oidc_provider):
    env = await f.environment()
    user = await f.user(env, "an@example.be")
    oidc_provider.add_user("an", NRN)
    api = await signed_in(api_factory, oidc_provider, user)
    begun = await start(api, "/account/e-id")
    request = (await api.data(REQUEST, {"s": begun["state"]}))["eidLoginRequest"]
    assert request["purpose"] == "LINK" and request["returnTo"] == "/account/e-id"
    answer = await oidc_provider.sign_in(begun["authorizationUrl"], "an")
    body = await link(api, answer)
    assert body["data"]["linkEid"] == {"username": "an@example.be", "eidLinked": True}
    assert (await User.get(id=user.id)).eid_subject == NRN
    fresh = eid_api(api_factory, oidc_provider)
    result = await eid_login(fresh, oidc_provider, "an")
    assert result["viewer"]["username"] == "an@example.be"


async def test_L7_an_identity_linked_to_another_account_is_CONFLICT(api_factory, oidc_provider):
    env = await f.environment()
    await linked_user(env, username="first@example.be")
    second = await f.user(env, "second@example.be")
    oidc_provider.add_user("an", NRN)
    api = await signed_in(api_factory, oidc_provider, second)
    body = await link(api, await provider_answer(api, oidc_provider, "an"))
    assert error_codes(body) == ["CONFLICT"]
    assert (await User.get(id=second.id)).eid_subject is None


async def test_L7_relinking_the_same_identity_is_harmless(api_factory, oidc_provider):
    user = await linked_user(await f.environment(), username="an@example.be")
    oidc_provider.add_user("an", NRN)
    api = await signed_in(api_factory, oidc_provider, user)
    body = await link(api, await provider_answer(api, oidc_provider, "an"))
    assert body["data"]["linkEid"]["eidLinked"] is True


async def test_L7_an_anonymous_login_request_cannot_link_someone_elses_e_id(api_factory, oidc_provider):
    env = await f.environment()
    victim = await f.user(env, "victim@example.be")
    oidc_provider.add_user("attacker", "99999999999")
    # The attacker starts anonymously and signs in at the provider, then has the victim link it.
    answer = await provider_answer(eid_api(api_factory, oidc_provider), oidc_provider, "attacker")
    body = await link(await signed_in(api_factory, oidc_provider, victim), answer)
    assert error_codes(body) == ["BAD_USER_INPUT"] and argument(body) == "state"
    assert (await User.get(id=victim.id)).eid_subject is None


async def test_L7_another_accounts_link_request_is_refused(api_factory, oidc_provider):
    env = await f.environment()
    attacker, victim = await f.user(env, "attacker@example.be"), await f.user(env, "victim@example.be")
    oidc_provider.add_user("attacker", "99999999999")
    attacker_api = await signed_in(api_factory, oidc_provider, attacker)
    answer = await provider_answer(attacker_api, oidc_provider, "attacker")
    body = await link(await signed_in(api_factory, oidc_provider, victim), answer)
    assert error_codes(body) == ["BAD_USER_INPUT"] and argument(body) == "state"
    assert (await User.get(id=victim.id)).eid_subject is None
    assert (await link(attacker_api, answer))["data"]["linkEid"]["eidLinked"]  # still its owner's


async def test_L7_a_link_checks_the_token_and_its_code_cannot_be_replayed(api_factory, oidc_provider):
    user = await f.user(await f.environment(), "an@example.be")
    oidc_provider.add_user("an", NRN)
    api = await signed_in(api_factory, oidc_provider, user)
    oidc_provider.nonce_override = "nonce-of-another-request"
    answer = await provider_answer(api, oidc_provider, "an")
    body = await link(api, answer)
    assert error_codes(body) == ["BAD_USER_INPUT"] and argument(body) == "code"
    oidc_provider.nonce_override = None
    # The failed mutation wrote nothing (S3), but the provider takes each code once.
    body = await link(api, answer)
    assert error_codes(body) == ["BAD_USER_INPUT"] and argument(body) == "code"
    assert (await User.get(id=user.id)).eid_subject is None
    answer = await provider_answer(api, oidc_provider, "an")
    assert (await link(api, answer))["data"]["linkEid"]["eidLinked"] is True
    body = await link(api, answer)
    assert error_codes(body) == ["BAD_USER_INPUT"] and argument(body) == "state"


async def test_L7_a_link_request_also_signs_in_through_completeEidLogin(api_factory, oidc_provider):
    env = await f.environment()
    user = await linked_user(env, username="an@example.be")
    oidc_provider.add_user("an", NRN)
    api = await signed_in(api_factory, oidc_provider, user)
    result = await complete(api, await provider_answer(api, oidc_provider, "an"))
    assert result["__typename"] == "LoginSuccess"


async def test_L7_linking_where_eid_is_unavailable_is_FORBIDDEN(api_factory, oidc_provider):
    user = await f.user(await f.environment("NL", eid=False), "lotte@example.nl")
    api = await signed_in(api_factory, oidc_provider, user, environment="NL")
    body = await api.gql(LINK, {"c": "code", "s": "state"})
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["reason"] == "EID_UNAVAILABLE"
