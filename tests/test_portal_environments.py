"""E1-E4: country portals, the suggestion, the remembered choice and going back."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests import factories as f
from tests.api import error_codes

SUGGEST = """query($c: String) { environmentSuggestion(country: $c) {
  detectedCountry shouldPrompt current { code isCurrent }
  suggested { code portalUrl isCurrent } remembered { code } } }"""
CHOOSE = """mutation($code: String!, $remember: Boolean!) {
  chooseEnvironment(code: $code, remember: $remember) {
    redirectUrl environment { code isCurrent } } }"""
GO_BACK = """mutation($clear: Boolean!) { goBackEnvironment(clearPreferences: $clear) {
  redirectUrl environment { code } } }"""


async def portals():
    """BE (served by the test app), NL and DE, each at https://<code>.studygate.example."""
    return [await f.environment(code) for code in ("BE", "NL", "DE")]


async def suggest(api, country=None, **kw):
    return (await api.data(SUGGEST, {"c": country}, **kw))["environmentSuggestion"]


async def choose(api, code, remember):
    return await api.post(CHOOSE, {"code": code, "remember": remember})


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def share_cookies(*apis):
    """Portals behind one host: one browser's cookie jar for all of them."""
    for api in apis[1:]:
        api.http.cookies = apis[0].http.cookies.jar


async def test_E1_anonymous_lists_every_portal_and_the_current_one(api):
    await portals()
    data = await api.data("""{ currentEnvironment { code }
      environments { code country portalUrl isCurrent } }""")
    assert data["currentEnvironment"]["code"] == "BE"
    assert data["environments"] == [
        {"code": c, "country": c, "portalUrl": f"https://{c.lower()}.studygate.example",
         "isCurrent": c == "BE"} for c in ("BE", "DE", "NL")
    ]


async def test_E2_anonymous_without_country_detects_nothing_and_does_not_prompt(api):
    await portals()
    s = await suggest(api)
    assert s == {"detectedCountry": None, "shouldPrompt": False,
                 "current": {"code": "BE", "isCurrent": True}, "suggested": None,
                 "remembered": None}


async def test_E2_country_served_elsewhere_is_suggested_and_prompts(api):
    await portals()
    s = await suggest(api, "nl")
    assert s["detectedCountry"] == "NL"
    assert s["suggested"] == {"code": "NL", "portalUrl": "https://nl.studygate.example",
                              "isCurrent": False}
    assert s["shouldPrompt"] is True


@pytest.mark.parametrize("country", ["BE", "FR"])
async def test_E2_country_served_here_or_nowhere_suggests_nothing(api, country):
    await portals()
    s = await suggest(api, country)
    assert (s["detectedCountry"], s["suggested"], s["shouldPrompt"]) == (country, None, False)


@pytest.mark.parametrize("country", ["", " ", "XX", "ZZ", "NLD", "N1", "B\nE", "ÉE", "N" * 5000])
async def test_E2_invalid_country_argument_is_bad_user_input(api, country):
    await portals()
    body = await api.gql(SUGGEST, {"c": country})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "country"


async def test_E2_proxy_header_counts_only_from_a_trusted_proxy(api_factory):
    await portals()
    header = {"CF-IPCountry": "NL"}
    untrusted = api_factory(country_header="CF-IPCountry")
    other_proxy = api_factory(country_header="CF-IPCountry", trusted_proxies="10.0.0.0/8")
    trusted = api_factory(country_header="CF-IPCountry", trusted_proxies="127.0.0.1")
    assert (await suggest(untrusted, headers=header))["detectedCountry"] is None
    assert (await suggest(other_proxy, headers=header))["detectedCountry"] is None
    s = await suggest(trusted, headers=header)
    assert (s["detectedCountry"], s["suggested"]["code"], s["shouldPrompt"]) == ("NL", "NL", True)
    # The argument wins over the header.
    assert (await suggest(trusted, "DE", headers=header))["suggested"]["code"] == "DE"


@pytest.mark.parametrize("value", ["XX", "T1", "NLD", "", "N" * 10_000])
async def test_E2_invalid_proxy_header_is_ignored(api_factory, value):
    await portals()
    trusted = api_factory(country_header="CF-IPCountry", trusted_proxies="127.0.0.1")
    s = await suggest(trusted, headers={"CF-IPCountry": value})
    assert (s["detectedCountry"], s["shouldPrompt"]) == (None, False)


async def test_E3_choose_returns_the_portal_with_a_return_marker(api):
    await portals()
    response = await choose(api, "nl", False)
    result = response.json()["data"]["chooseEnvironment"]
    assert result == {"redirectUrl": "https://nl.studygate.example/?from=BE",
                      "environment": {"code": "NL", "isCurrent": False}}
    assert "studygate_env" not in set_cookies(response)
    assert (await suggest(api, "NL"))["shouldPrompt"] is True


async def test_E3_remember_sets_a_signed_yearlong_cookie_and_stops_the_prompt(api):
    await portals()
    response = await choose(api, "NL", True)
    cookie = set_cookies(response)["studygate_env"]
    for attribute in ("Max-Age=31536000", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # development mode
    s = await suggest(api, "NL")
    assert (s["remembered"], s["shouldPrompt"]) == ({"code": "NL"}, False)


async def test_E3_cookies_are_secure_outside_development(api_factory):
    await portals()
    production = api_factory(dev=False)
    cookies = set_cookies(await choose(production, "NL", True))
    assert "Secure" in cookies["studygate_env"] and "Secure" in cookies["studygate_env_from"]


@pytest.mark.parametrize("forged", ["NL", "NL.", "NL.AAAAAAAAAAAAAAAAAAAAAA", "DE.{sig_of_NL}",
                                    "{from_value}"])
async def test_E3_tampered_cookie_is_ignored(api, forged):
    await portals()
    response = await choose(api, "NL", True)
    env_value = api.http.cookies["studygate_env"]
    from_value = set_cookies(response)["studygate_env_from"].split(";")[0].split("=", 1)[1]
    forged = forged.format(sig_of_NL=env_value.rsplit(".", 1)[1], from_value=from_value)
    api.http.cookies.clear()
    api.http.cookies.set("studygate_env", forged)
    s = await suggest(api, "NL")
    assert (s["remembered"], s["shouldPrompt"]) == (None, True)


@pytest.mark.parametrize("code, expected", [
    ("javascript:alert(1)", "BAD_USER_INPUT"), ("//evil.example", "BAD_USER_INPUT"),
    ("https://evil.example", "BAD_USER_INPUT"), ("evil.example", "BAD_USER_INPUT"),
    ("NL\r\nLocation: https://evil.example", "BAD_USER_INPUT"), ("NL\n", "BAD_USER_INPUT"),
    ("", "BAD_USER_INPUT"), ("N" * 11, "BAD_USER_INPUT"), ("ZZ", "NOT_FOUND"),
])
async def test_E3_open_redirect_attempts_are_refused_and_set_nothing(api, code, expected):
    await portals()
    response = await choose(api, code, True)
    assert error_codes(response.json()) == [expected]
    assert response.json()["data"] is None
    assert "set-cookie" not in response.headers


async def test_E3_choosing_the_current_portal_carries_no_marker(api):
    await portals()
    result = (await choose(api, "BE", True)).json()["data"]["chooseEnvironment"]
    assert result["redirectUrl"] == "https://be.studygate.example/"
    assert (await suggest(api, "NL"))["shouldPrompt"] is False  # "stay here" was remembered


async def test_E4_anonymous_without_history_gets_not_found(api):
    await portals()
    body = await api.gql(GO_BACK, {"clear": False})
    assert error_codes(body) == ["NOT_FOUND"] and body["data"] is None


async def test_E4_go_back_once_returns_the_previous_portal_and_keeps_the_choice(api_factory):
    await portals()
    be, nl = api_factory(), api_factory(environment="NL")
    share_cookies(be, nl)
    await choose(be, "NL", True)
    back = (await nl.data(GO_BACK, {"clear": False}))["goBackEnvironment"]
    assert back == {"redirectUrl": "https://be.studygate.example/?from=NL",
                    "environment": {"code": "BE"}}
    assert (await suggest(be, "NL"))["remembered"] == {"code": "NL"}
    # Back on BE, the browser came from NL: going back again leads there.
    again = (await be.data(GO_BACK, {"clear": False}))["goBackEnvironment"]
    assert again["environment"]["code"] == "NL"


async def test_E4_go_back_and_clear_forgets_the_choice(api_factory):
    await portals()
    be, nl = api_factory(), api_factory(environment="NL")
    share_cookies(be, nl)
    await choose(be, "NL", True)
    back = (await nl.data(GO_BACK, {"clear": True}))["goBackEnvironment"]
    assert back["environment"]["code"] == "BE"
    s = await suggest(be, "NL")
    assert (s["remembered"], s["shouldPrompt"]) == (None, True)


async def test_E4_the_marker_in_the_portal_page_address_names_the_previous_portal(api_factory):
    await portals()
    nl = api_factory(environment="NL")
    referer = {"Referer": "https://nl.studygate.example/studies?from=be"}
    back = (await nl.data(GO_BACK, {"clear": False}, headers=referer))["goBackEnvironment"]
    assert back["redirectUrl"] == "https://be.studygate.example/?from=NL"


@pytest.mark.parametrize("marker", [
    "javascript:alert(1)", "//evil.example", "https://evil.example/", "ZZ", "BE&from=DE",
    "BE%0d%0aLocation:%20https://evil.example",
])
async def test_E4_open_redirect_attempts_through_the_marker_are_not_found(api_factory, marker):
    await portals()
    nl = api_factory(environment="NL")
    referer = {"Referer": f"https://nl.studygate.example/?from={marker}"}
    body = await nl.gql(GO_BACK, {"clear": True}, headers=referer)
    assert error_codes(body) == ["NOT_FOUND"] and body["data"] is None


async def test_E4_forged_or_expired_return_cookie_is_ignored(api_factory):
    await portals()
    be, nl = api_factory(), api_factory(environment="NL")
    share_cookies(be, nl)
    start = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        await choose(be, "NL", False)
    stamp = nl.http.cookies["studygate_env_from"]
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert (await nl.data(GO_BACK, {"clear": False}))["goBackEnvironment"]
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        for value in (stamp, stamp.replace("BE:", "DE:")):  # a browser keeping it too long
            nl.http.cookies.clear()
            nl.http.cookies.set("studygate_env_from", value)
            assert error_codes(await nl.gql(GO_BACK, {"clear": False})) == ["NOT_FOUND"]
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        nl.http.cookies.set("studygate_env_from", stamp.replace("BE:", "DE:"))
        assert error_codes(await nl.gql(GO_BACK, {"clear": False})) == ["NOT_FOUND"]
