"""A1, A5, A6, G1, G4: who sees which study, through every read path."""

from datetime import date, timedelta

import pytest

from models.users import AccountRole
from schema.ids import to_global_id
from tests import factories as f
from tests.api import error_codes

LIST = """
query($first: Int, $after: String, $filter: StudyFilter, $order: StudyOrder) {
  studies(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id studyInstanceUid visibility { via group { name } } } }
  }
}"""
ONE = "query($id: ID!) { study(id: $id) { studyInstanceUid } }"
BY_UID = "query($uid: String!) { studyByUid(studyInstanceUid: $uid) { studyInstanceUid } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Study { studyInstanceUid } } }"


async def walk(api, first=2, filter=None, order=None):
    """Every study the list gives, page by page, and the totalCount of the first page."""
    seen, after, total = [], None, None
    while True:
        data = (await api.data(LIST, {"first": first, "after": after, "filter": filter,
                                     "order": order}))["studies"]
        total = data["totalCount"] if total is None else total
        seen += [e["node"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return seen, total
        after = data["pageInfo"]["endCursor"]


@pytest.fixture
async def world():
    """Two groups, a lapsed member, a patient, API clients, the service desk, and NL next door."""
    be, nl = await f.environment("BE"), await f.environment("NL", eid=False)
    azx, other = await f.institution(be, "AZX"), await f.institution(be, "RADB")
    nl_inst = await f.institution(nl, "UMCX")
    an, bart, carla, dirk, eva = [await f.user(be, f"{n}@example.be", n.title())
                                   for n in ("an", "bart", "carla", "dirk", "eva")]
    desk = await f.user(be, "desk@example.be", role=AccountRole.SERVICE_DESK)
    lapsed_at = f.utcnow() - timedelta(days=130)
    await f.group(be, "Praktijk Zuid", [(an, True), (bart, False)])
    g2 = await f.group(be, "Praktijk Noord", [(bart, True), (carla, False)])
    from models.groups import GroupMembership
    await GroupMembership.create(group=g2, user=dirk, is_administrator=False, confirmed_at=lapsed_at)
    s = {
        "an_own": await f.study(azx, referring=an, study_date=date(2026, 11, 1)),
        "an_copy": await f.study(other, referring=eva, copy_to=[an], study_date=date(2026, 11, 2)),
        "bart_own": await f.study(azx, referring=bart, study_date=date(2026, 11, 3)),
        "carla_own": await f.study(azx, referring=carla, study_date=date(2026, 11, 3)),
        "dirk_own": await f.study(other, referring=dirk, study_date=date(2026, 11, 4)),
        "eva_own": await f.study(other, referring=eva, study_date=date(2026, 11, 5)),
        "nobody": await f.study(azx, study_date=date(2026, 11, 6)),
    }
    nl_doc = await f.user(nl, "an@example.be", "Dutch An")  # same username, other environment
    s["nl"] = await f.study(nl_inst, referring=nl_doc)
    access = await f.patient_access(azx, [s["an_own"], s["carla_own"]])
    _, azx_token = await f.api_client(azx)
    _, nl_token = await f.api_client(nl_inst)
    return dict(be=be, nl=nl, users=dict(an=an, bart=bart, carla=carla, dirk=dirk, eva=eva,
                desk=desk), studies=s, access=access, azx_token=azx_token, nl_token=nl_token)


# Expected from the rules (A1, G1, G4), not from the policy code.
EXPECTED = {
    "an": {"an_own": "OWN", "an_copy": "OWN", "bart_own": "GROUP"},
    "bart": {"bart_own": "OWN", "an_own": "GROUP", "an_copy": "GROUP", "carla_own": "GROUP"},
    "carla": {"carla_own": "OWN", "bart_own": "GROUP"},
    "dirk": {"dirk_own": "OWN"},  # lapsed: shares nothing either way (G4)
    "eva": {"eva_own": "OWN", "an_copy": "OWN"},
    "desk": {},
}


async def viewer_api(api_factory, world, who):
    if who == "patient":
        return api_factory().with_session(await f.session_cookie(world["be"], access=world["access"]))
    if who == "api_client":
        return api_factory().with_token(world["azx_token"])
    return api_factory().with_session(await f.session_cookie(world["be"], world["users"][who]))


def expected_for(world, who):
    if who == "patient":
        return {"an_own": "PATIENT", "carla_own": "PATIENT"}
    if who == "api_client":
        return {k: "INSTITUTION" for k in ("an_own", "bart_own", "carla_own", "nobody")}
    return EXPECTED[who]


VIEWERS = ["an", "bart", "carla", "dirk", "eva", "desk", "patient", "api_client"]


@pytest.mark.parametrize("who", VIEWERS)
async def test_A1_each_viewer_sees_exactly_the_studies_the_rule_gives(api_factory, world, who):
    api = await viewer_api(api_factory, world, who)
    uid_to_key = {s.study_instance_uid: k for k, s in world["studies"].items()}
    seen, total = await walk(api)
    got = {uid_to_key[n["studyInstanceUid"]]: n["visibility"]["via"] for n in seen}
    assert got == expected_for(world, who)
    assert total == len(seen)  # totalCount equals what paging to the end returns
    for key, study in world["studies"].items():
        gid = to_global_id("Study", study.id)
        visible = key in got
        for query, variables, field in ((ONE, {"id": gid}, "study"),
                                        (BY_UID, {"uid": study.study_instance_uid}, "studyByUid"),
                                        (NODE, {"id": gid}, "node")):
            body = await api.gql(query, variables)
            if visible:
                assert body["data"][field]["studyInstanceUid"] == study.study_instance_uid
            else:  # A5: hidden looks exactly like missing
                assert body["data"][field] is None and error_codes(body) == ["NOT_FOUND"]


async def test_A5_hidden_and_missing_studies_give_identical_answers(api_factory, world):
    api = await viewer_api(api_factory, world, "an")
    hidden = await api.gql(ONE, {"id": to_global_id("Study", world["studies"]["eva_own"].id)})
    missing = await api.gql(ONE, {"id": to_global_id("Study", 987654)})
    assert hidden == missing


async def test_G1_group_visibility_names_the_shared_group(api_factory, world):
    api = await viewer_api(api_factory, world, "an")
    seen, _ = await walk(api, filter={"via": "GROUP"})
    assert [(n["visibility"]["via"], n["visibility"]["group"]["name"]) for n in seen] == [
        ("GROUP", "Praktijk Zuid")]


async def test_A1_via_and_group_filters(api_factory, world):
    api = await viewer_api(api_factory, world, "bart")
    own, _ = await walk(api, filter={"via": "OWN"})
    assert {n["studyInstanceUid"] for n in own} == {world["studies"]["bart_own"].study_instance_uid}
    groups = (await api.data("{ myGroups { id name } }"))["myGroups"]
    noord = next(g["id"] for g in groups if g["name"] == "Praktijk Noord")
    via_noord, total = await walk(api, filter={"groupId": noord})
    assert {n["studyInstanceUid"] for n in via_noord} == {
        world["studies"]["carla_own"].study_instance_uid}
    assert total == 1
    # A group he is not in shares nothing with him.
    eva_api = await viewer_api(api_factory, world, "eva")
    seen, total = await walk(eva_api, filter={"groupId": noord})
    assert seen == [] and total == 0


async def test_A1_anonymous_may_not_list_studies(api, world):
    body = await api.gql(LIST, {"first": 5})
    assert error_codes(body) == ["UNAUTHENTICATED"] and body["data"] is None


async def test_A6_other_environment_is_invisible(api_factory, world):
    # The NL practitioner has the same username as An: in BE it signs in as the BE account only.
    api = api_factory()
    body = await api.data("""mutation { loginWithPassword(username: "an@example.be",
        password: "correct horse battery staple") { ... on LoginSuccess { viewer { ... on User { displayName } } } } }""")
    assert body["loginWithPassword"]["viewer"]["displayName"] == "An"
    # An NL API client's token means nothing to the BE server.
    nl = api_factory().with_token(world["nl_token"])
    response = await nl.post(LIST, {"first": 5})
    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    # The NL study does not exist for BE viewers, even through node.
    api_client = await viewer_api(api_factory, world, "api_client")
    body = await api_client.gql(NODE, {"id": to_global_id("Study", world["studies"]["nl"].id)})
    assert body["data"]["node"] is None and error_codes(body) == ["NOT_FOUND"]


async def test_A1_nl_server_serves_only_nl(api_factory, world):
    nl_api = api_factory(environment="NL").with_token(world["nl_token"])
    seen, total = await walk(nl_api)
    assert [n["studyInstanceUid"] for n in seen] == [world["studies"]["nl"].study_instance_uid]
    env = (await nl_api.data("{ currentEnvironment { code isCurrent } }"))["currentEnvironment"]
    assert env == {"code": "NL", "isCurrent": True}


async def test_P1_api_client_without_studies_read_is_forbidden(api_factory, world):
    inst = await f.institution(world["be"], "NOREAD")
    _, token = await f.api_client(inst, scopes="reports:read")
    body = await api_factory().with_token(token).gql(LIST, {"first": 5})
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["scope"] == "studies:read"
