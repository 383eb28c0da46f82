"""A6: two servers, BE and NL, on one database: nothing of one exists for the other."""

import httpx

from resolvers.fixtures import load_fixtures
from tests import factories as f
from tests.live import live_server
from tests.test_idor_matrix import DATA

LOGIN = """mutation($u: String!) { loginWithPassword(username: $u, password: "idor-password-0123") {
  __typename ... on LoginFailed { reason } } }"""
COUNT = "{ studies(first: 500) { totalCount edges { node { studyInstanceUid institution { code environment { code } } } } } }"


def post(base, query, variables=None, **kw):
    return httpx.post(base + "/graphql", json={"query": query, "variables": variables or {}}, **kw)


async def test_A6_two_servers_on_one_database_see_only_their_environment(db):
    await load_fixtures(DATA, f.KEYRING)
    common = {"STUDYGATE_DATABASE_URL": db, "STUDYGATE_SECRET_KEY": f.SECRET, "STUDYGATE_DEV": "1"}
    with live_server({**common, "STUDYGATE_ENVIRONMENT": "BE"}) as (be, _), \
            live_server({**common, "STUDYGATE_ENVIRONMENT": "NL"}) as (nl, _):
        # Accounts: the NL practitioner does not exist for BE, and the BE ones not for NL.
        assert post(be, LOGIN, {"u": "nl@idor.example"}).json()["data"]["loginWithPassword"] == {
            "__typename": "LoginFailed", "reason": "INVALID_CREDENTIALS"}
        assert post(nl, LOGIN, {"u": "p1@idor.example"}).json()["data"]["loginWithPassword"][
            "reason"] == "INVALID_CREDENTIALS"
        with httpx.Client(base_url=nl) as browser:
            signed_in = browser.post("/graphql", json={"query": LOGIN, "variables": {"u": "nl@idor.example"}})
            assert signed_in.json()["data"]["loginWithPassword"]["__typename"] == "LoginSuccess"
            studies = browser.post("/graphql", json={"query": COUNT}).json()["data"]["studies"]
            assert studies["totalCount"] == 1
            assert {e["node"]["institution"]["environment"]["code"] for e in studies["edges"]} == {"NL"}
            session = browser.cookies["studygate"]
        # The NL session cookie means nothing to the BE server.
        foreign = post(be, "{ viewer { __typename } }", cookies={"studygate": session})
        assert foreign.json()["data"]["viewer"] is None
        # API tokens: a BE client counts only BE studies, and is unknown to NL.
        token = {"Authorization": "Bearer sgt_idor_azx_all"}
        be_count = post(be, COUNT, headers=token).json()["data"]["studies"]
        assert be_count["totalCount"] == 7
        assert {e["node"]["institution"]["code"] for e in be_count["edges"]} == {"AZX"}
        assert post(nl, COUNT, headers=token).status_code == 401
        # Each serves its own current environment.
        for base, code in ((be, "BE"), (nl, "NL")):
            assert post(base, "{ currentEnvironment { code } }").json()["data"] == {
                "currentEnvironment": {"code": code}}
