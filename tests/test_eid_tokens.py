"""L7: what StudyGate believes of the provider's answer, and what it does when the provider fails."""

from __future__ import annotations

import base64
import json

from joserfc.jwk import RSAKey

from tests import factories as f
from tests.api import error_codes
from tests.live import free_port
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, OidcTestProvider
from tests.test_eid_login import (
    COMPLETE, NRN, START, complete, eid_api, eid_login, linked_user, provider_answer,
)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_L7_a_token_signed_with_a_key_not_in_the_jwks_is_refused(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    # Same key id as the published key, another private key: only the signature tells.
    oidc_provider.signing_key = RSAKey.generate_key(2048, {"kid": oidc_provider.key.kid})
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["reason"] == "INVALID_CREDENTIALS"


async def test_L7_a_tampered_national_number_breaks_the_signature(api_factory, oidc_provider):
    await linked_user(await f.environment(), "11111111111", username="victim@example.be")
    oidc_provider.add_user("attacker", "99999999999")

    def swap_number(token: str) -> str:
        header, _, signature = token.split(".")
        return ".".join([header, _b64({**_claims(token), "egovNRN": "11111111111"}), signature])

    oidc_provider.alter_id_token = swap_number
    api = eid_api(api_factory, oidc_provider)
    assert (await eid_login(api, oidc_provider, "attacker"))["reason"] == "INVALID_CREDENTIALS"


async def test_L7_an_unsigned_token_is_refused(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    oidc_provider.alter_id_token = lambda t: _b64({"alg": "none"}) + "." + t.split(".")[1] + "."
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["reason"] == "INVALID_CREDENTIALS"


async def test_L7_a_token_from_another_issuer_is_refused(api_factory, oidc_provider):
    await linked_user(await f.environment())
    # A second provider holding the same signing key runs the whole flow: only `iss` differs.
    with OidcTestProvider(key=oidc_provider.key) as other:
        other.add_user("an", NRN)
        oidc_provider.discovery_overrides = {"authorization_endpoint": other.issuer + "/authorize",
                                             "token_endpoint": other.issuer + "/token"}
        api = eid_api(api_factory, oidc_provider)
        assert (await eid_login(api, other, "an"))["reason"] == "INVALID_CREDENTIALS"
        other.token_issuer = oidc_provider.issuer  # the same tokens naming our issuer pass
        assert (await eid_login(api, other, "an"))["__typename"] == "LoginSuccess"


async def test_L7_a_token_for_another_client_is_refused(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    oidc_provider.token_audience = ["another-relying-party"]
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["reason"] == "INVALID_CREDENTIALS"


async def test_L7_the_national_number_may_come_from_userinfo(api_factory, oidc_provider):
    await linked_user(await f.environment(), username="an@example.be")
    oidc_provider.add_user("an", NRN)
    oidc_provider.nrn_in_userinfo_only = True
    result = await eid_login(eid_api(api_factory, oidc_provider), oidc_provider, "an")
    assert result["viewer"]["username"] == "an@example.be"


async def test_L7_client_secret_post_providers_work_too(api_factory):
    await linked_user(await f.environment(), username="an@example.be")
    with OidcTestProvider(auth_method="client_secret_post") as provider:
        provider.add_user("an", NRN)
        result = await eid_login(eid_api(api_factory, provider), provider, "an")
    assert result["viewer"]["username"] == "an@example.be"


async def test_L7_a_wrong_client_secret_makes_eid_unavailable(api_factory, oidc_provider):
    await linked_user(await f.environment())
    oidc_provider.add_user("an", NRN)
    api = eid_api(api_factory, oidc_provider, oidc_client_secret="not-the-secret")
    assert (await eid_login(api, oidc_provider, "an"))["reason"] == "EID_UNAVAILABLE"


async def test_L7_an_unreachable_provider_is_a_clear_error_not_a_500(api_factory):
    await linked_user(await f.environment())
    nobody = api_factory(oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id=CLIENT_ID,
                         oidc_client_secret=CLIENT_SECRET, oidc_redirect_uri=REDIRECT_URI)
    body = await nobody.gql(START)
    assert error_codes(body) == ["INTERNAL"]
    assert body["errors"][0]["extensions"]["reason"] == "EID_PROVIDER_ERROR"
    with OidcTestProvider() as provider:
        provider.add_user("an", NRN)
        api = eid_api(api_factory, provider)
        answer = await provider_answer(api, provider, "an")
    result = await complete(api, answer)  # the provider has gone in the meantime
    assert result["reason"] == "EID_UNAVAILABLE"


async def test_L7_environments_without_eid_or_settings_are_EID_UNAVAILABLE(api_factory, oidc_provider):
    await f.environment("NL", eid=False)
    await f.environment("BE")
    for api in (eid_api(api_factory, oidc_provider, environment="NL"), api_factory()):
        body = await api.gql(START)
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["errors"][0]["extensions"]["reason"] == "EID_UNAVAILABLE"
        result = (await api.data(COMPLETE, {"c": "code", "s": "state"}))["completeEidLogin"]
        assert result["reason"] == "EID_UNAVAILABLE"


async def test_L7_rotated_provider_keys_are_fetched_again(api_factory):
    await linked_user(await f.environment(), username="an@example.be")
    with OidcTestProvider() as provider:
        provider.add_user("an", NRN)
        api = eid_api(api_factory, provider)
        assert (await eid_login(api, provider, "an"))["__typename"] == "LoginSuccess"
        provider.key = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
        assert (await eid_login(api, provider, "an"))["__typename"] == "LoginSuccess"
