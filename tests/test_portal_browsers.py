"""B1, B2: which browsers are supported, and the redirect of the others away from pages."""

import time

import pytest

from tests import factories as f

SUPPORT = "{ clientSupport { supported browser majorVersion upgradeUrl } }"
UPGRADE = "https://browsehappy.com/"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
IE8_NAVIGATION = "image/gif, image/jpeg, image/pjpeg, application/x-ms-application, */*"

IE6 = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
IE8 = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)"
IE9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"
IE10 = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)"
IE10_COMPAT_VIEW = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.2; Trident/6.0; .NET4.0E)"
IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
IE11_COMPAT_VIEW = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.3; Trident/7.0; .NET4.0E)"
EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86")
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IOS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HUGE = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0) " + "A" * 10_000


async def support(api, user_agent):
    return (await api.data(SUPPORT, headers={"User-Agent": user_agent}))["clientSupport"]


@pytest.mark.parametrize("user_agent, expected", [
    (IE6, ("IE", 6)), (IE8, ("IE", 8)), (IE9, ("IE", 9)), (IE10, ("IE", 10)),
    (IE10_COMPAT_VIEW, ("IE", 10)),  # compatibility view says MSIE 7.0; Trident/6.0 is IE 10
    (HUGE, ("IE", 9)),
])
async def test_B1_internet_explorer_10_and_older_are_unsupported(api, user_agent, expected):
    await f.environment()
    s = await support(api, user_agent)
    assert (s["supported"], s["browser"], s["majorVersion"]) == (False, *expected)
    assert s["upgradeUrl"] == UPGRADE


@pytest.mark.parametrize("user_agent, expected", [
    (IE11, ("IE", 11)), (IE11_COMPAT_VIEW, ("IE", 11)), (EDGE, ("Edge", 131)),
    (CHROME, ("Chrome", 131)), (FIREFOX, ("Firefox", 133)), (SAFARI_IOS, ("Mobile Safari", 17)),
    (BOT, ("Googlebot", 2)), ("", (None, None)), ("nonsense/;;;", (None, None)),
])
async def test_B1_ie11_current_browsers_bots_and_unknown_agents_are_supported(
    api, user_agent, expected
):
    await f.environment()
    s = await support(api, user_agent)
    assert (s["supported"], s["browser"], s["majorVersion"], s["upgradeUrl"]) == (
        True, *expected, None)


async def test_B1_a_10_kB_user_agent_is_parsed_quickly(api):
    await f.environment()
    started = time.perf_counter()
    for filler in "ABCDEFGHIJ":  # distinct headers: no parser cache hits
        await support(api, FIREFOX + filler * 10_000)
    assert time.perf_counter() - started < 2


async def test_B1_upgrade_url_comes_from_the_setting(api_factory):
    await f.environment()
    api = api_factory(browser_upgrade_url="https://studygate.example/browsers")
    assert (await support(api, IE9))["upgradeUrl"] == "https://studygate.example/browsers"


@pytest.mark.parametrize("user_agent, accept", [
    (IE6, IE8_NAVIGATION), (IE8, IE8_NAVIGATION), (IE9, HTML), (IE10, "text/html"),
    (IE10_COMPAT_VIEW, HTML),
])
async def test_B2_page_request_from_an_unsupported_browser_is_redirected(api, user_agent, accept):
    await f.environment()
    for path in ("/graphql", "/", "/some/future/page"):
        response = await api.http.get(path, headers={"User-Agent": user_agent, "Accept": accept})
        assert response.status_code == 302, path
        assert response.headers["location"] == UPGRADE


async def test_B2_graphiql_is_served_to_supported_browsers(api):
    await f.environment()
    for user_agent in (IE11, CHROME, ""):
        response = await api.http.get("/graphql", headers={"User-Agent": user_agent,
                                                           "Accept": HTML})
        assert response.status_code == 200 and "<html" in response.text.lower()


async def test_B2_graphql_json_health_metrics_and_assets_are_not_redirected(api):
    await f.environment()
    old = {"User-Agent": IE6}
    post = await api.http.post("/graphql", json={"query": "{ clientSupport { supported } }"},
                               headers={**old, "Accept": HTML})
    assert post.status_code == 200 and post.json()["data"]["clientSupport"]["supported"] is False
    json_get = await api.http.get("/graphql", params={"query": "{ __typename }"},
                                  headers={**old, "Accept": "application/json"})
    assert json_get.status_code == 200 and json_get.json()["data"]["__typename"] == "Query"
    for path in ("/healthz", "/metrics", "/static/studygate/graphiql.css"):
        response = await api.http.get(path, headers={**old, "Accept": HTML})
        assert response.status_code == 200, path


async def test_B2_an_upgrade_page_of_our_own_is_not_redirected_to_itself(api_factory):
    await f.environment()
    api = api_factory(browser_upgrade_url="/browsers")
    headers = {"User-Agent": IE8, "Accept": HTML}
    assert (await api.http.get("/graphql", headers=headers)).headers["location"] == "/browsers"
    assert (await api.http.get("/browsers", headers=headers)).status_code == 404
