"""E2-E4, C1-C2, B2 end to end: a browser's cookie jar against two running servers (BE and NL)
on one database and one host, as portals behind one domain share their cookies."""

import json

import httpx

from tests import factories as f
from tests.live import live_server, run_cli

PASSWORD = "portal-live-password-2026"
DATA = {
    "environments": [
        {"code": "BE", "name": "Belgium", "country": "BE",
         "portalUrl": "https://be.studygate.example", "eidLoginEnabled": True},
        {"code": "NL", "name": "Netherlands", "country": "NL",
         "portalUrl": "https://nl.studygate.example", "eidLoginEnabled": False},
    ],
    "users": [{"username": "an@portal.example", "password": PASSWORD,
               "displayName": "Dr. An", "profession": "PHYSICIAN", "role": "PRACTITIONER",
               "status": "ACTIVE", "environment": "BE"}],
}
SUGGEST = """query($c: String) { environmentSuggestion(country: $c) {
  shouldPrompt suggested { code } remembered { code } } }"""
CHOOSE = """mutation($code: String!) { chooseEnvironment(code: $code, remember: true) {
  redirectUrl environment { code } } }"""
GO_BACK = """mutation($clear: Boolean!) { goBackEnvironment(clearPreferences: $clear) {
  redirectUrl environment { code } } }"""
NOTICE = "{ cookieNotice { due lastAcknowledgedAt } }"
ACK = "mutation { acknowledgeCookieNotice { due lastAcknowledgedAt } }"
LOGIN = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  __typename } }"""


def gql(browser: httpx.Client, base: str, query: str, **variables) -> dict:
    response = browser.post(base + "/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return next(iter(body["data"].values()))


async def test_E3_E4_C2_B2_cookie_round_trips_against_running_servers(db, tmp_path):
    data = tmp_path / "portals.json"
    data.write_text(json.dumps(DATA))
    common = {"STUDYGATE_DATABASE_URL": db, "STUDYGATE_SECRET_KEY": f.SECRET, "STUDYGATE_DEV": "1"}
    loaded = run_cli("load-fixtures", str(data), env=common)
    assert loaded.returncode == 0, loaded.stderr
    with live_server({**common, "STUDYGATE_ENVIRONMENT": "BE"}) as (be, _), \
            live_server({**common, "STUDYGATE_ENVIRONMENT": "NL"}) as (nl, _), \
            httpx.Client() as browser:
        # E2, E3: prompted on BE; choosing NL with `remember` ends the prompt on both portals.
        assert gql(browser, be, SUGGEST, c="NL") == {
            "shouldPrompt": True, "suggested": {"code": "NL"}, "remembered": None}
        chosen = gql(browser, be, CHOOSE, code="NL")
        assert chosen["redirectUrl"] == "https://nl.studygate.example/?from=BE"
        assert {"studygate_env", "studygate_env_from"} <= set(browser.cookies.keys())
        for base in (be, nl):
            suggestion = gql(browser, base, SUGGEST, c="NL")
            assert (suggestion["remembered"], suggestion["shouldPrompt"]) == ({"code": "NL"}, False)
        # E4: "Go back once" keeps the choice; "Go back and clear preferences" forgets it.
        back = gql(browser, nl, GO_BACK, clear=False)
        assert back == {"redirectUrl": "https://be.studygate.example/?from=NL",
                        "environment": {"code": "BE"}}
        assert gql(browser, be, SUGGEST, c="NL")["remembered"] == {"code": "NL"}
        assert gql(browser, be, GO_BACK, clear=True)["environment"] == {"code": "NL"}
        assert "studygate_env" not in browser.cookies
        assert gql(browser, be, SUGGEST, c="NL")["shouldPrompt"] is True
        # A tampered choice is no choice.
        browser.cookies.set("studygate_env", "NL.forged-signature", domain="127.0.0.1")
        assert gql(browser, be, SUGGEST, c="NL")["remembered"] is None

        # C1, C2: the browser's acknowledgement holds on every portal of the host...
        assert gql(browser, be, NOTICE)["due"] is True
        assert gql(browser, be, ACK)["due"] is False
        assert gql(browser, nl, NOTICE)["due"] is False
        # ...but an account that never acknowledged sees it once more, then not.
        assert gql(browser, be, LOGIN, u="an@portal.example", p=PASSWORD)["__typename"] == (
            "LoginSuccess")
        assert gql(browser, be, NOTICE)["due"] is True
        acknowledged = gql(browser, be, ACK)["lastAcknowledgedAt"]
        assert gql(browser, be, NOTICE) == {"due": False, "lastAcknowledgedAt": acknowledged}
        with httpx.Client() as other_browser:  # the account alone does not cover a new browser
            gql(other_browser, be, LOGIN, u="an@portal.example", p=PASSWORD)
            assert gql(other_browser, be, NOTICE) == {"due": True,
                                                      "lastAcknowledgedAt": acknowledged}

        # B2: an old browser asking for a page goes to the upgrade URL; GraphQL POSTs do not.
        ie8 = {"User-Agent": "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
               "Accept": "text/html"}
        page = browser.get(be + "/graphql", headers=ie8)
        assert (page.status_code, page.headers["location"]) == (302, "https://browsehappy.com/")
        post = browser.post(be + "/graphql", headers=ie8,
                            json={"query": "{ clientSupport { supported browser } }"})
        assert post.json()["data"]["clientSupport"] == {"supported": False, "browser": "IE"}
