"""The IDOR matrix (A1-A7): every kind of viewer of tests/data/idor.json against every study,
through every path. Expectations come from the oracle below, written from RULES.md's words,
not from auth/policy.py. Any report text the oracle denies must appear in no response."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.patients import PatientAccess
from models.users import User
from resolvers.fixtures import load_fixtures
from schema.ids import to_global_id
from tests import factories as f

DATA = json.loads((Path(__file__).parent / "data" / "idor.json").read_text())
NOW = datetime.now(timezone.utc)
STUDIES = {s["studyInstanceUid"]: s for s in DATA["studies"]}
INSTITUTIONS = {i["code"]: i for i in DATA["institutions"]}
ACCESSES = {a["accessCode"]: a for a in DATA["patientAccesses"]}
CLIENTS = {c["token"]: c for c in DATA["apiClients"]}
BE_STUDIES = [uid for uid, s in STUDIES.items() if INSTITUTIONS[s["institution"]]["environment"] == "BE"]

VIEWERS = {  # name -> (kind, key)
    "p1": ("practitioner", "p1@idor.example"), "p2": ("practitioner", "p2@idor.example"),
    "p3": ("practitioner", "p3@idor.example"), "p4": ("practitioner", "p4@idor.example"),
    "lapsed p5": ("practitioner", "p5@idor.example"), "service desk": ("desk", "desk@idor.example"),
    "patient full": ("patient", "FULL-AAAA-3333-4444"),
    "patient images only": ("patient", "IMGS-AAAA-3333-4444"),
    "patient unpaid": ("patient", "PAYS-AAAA-3333-4444"),
    "patient RADB": ("patient", "RADB-AAAA-3333-4444"),
    "API client AZX": ("api", "sgt_idor_azx_all"), "API client AZX without reports:read": ("api", "sgt_idor_azx_read"),
    "API client of another institution": ("api", "sgt_idor_other_all"), "anonymous": ("anonymous", None),
}


# ---------------------------------------------------------------- the oracle (RULES.md)

def good_standing_members(group):
    return {m["username"] for m in group["members"]
            if datetime.fromisoformat(m.get("confirmedAt") or NOW.isoformat()) > NOW - timedelta(days=120)}


def visible(kind, key):
    """A1 (with G1, G4): {uid: via}."""
    if kind == "practitioner":
        colleagues = set()
        for g in DATA["groups"]:
            members = good_standing_members(g)
            if key in members:
                colleagues |= members - {key}
        seen = {}
        for uid in BE_STUDIES:
            people = {STUDIES[uid]["referringPhysician"], *STUDIES[uid]["copyTo"]}
            if key in people:
                seen[uid] = "OWN"
            elif people & colleagues:
                seen[uid] = "GROUP"
        return seen
    if kind == "patient":
        return {uid: "PATIENT" for uid in ACCESSES[key]["studies"]}
    if kind == "api":
        return {uid: "INSTITUTION" for uid in BE_STUDIES if STUDIES[uid]["institution"] == CLIENTS[key]["institution"]}
    return {}


def images_rule(kind, key, uid):
    """A2: None when allowed, else the reason."""
    study, policy = STUDIES[uid], INSTITUTIONS[STUDIES[uid]["institution"]]["policy"]
    if not study["series"]:
        return "NOT_AVAILABLE"
    if kind == "api":
        return None
    if not policy["practitionerImages" if kind == "practitioner" else "patientImages"]:
        return "INSTITUTION_POLICY"
    if kind == "patient" and ACCESSES[key].get("paymentRequired") and not ACCESSES[key].get("paid"):
        return "PAYMENT_REQUIRED"
    return None


def report_rule(kind, key, uid):
    """A3, the checks in the order written."""
    study, inst = STUDIES[uid], INSTITUTIONS[STUDIES[uid]["institution"]]
    report = study.get("report")
    if not report:
        return "NOT_AVAILABLE"
    if kind == "api":
        return None if "reports:read" in CLIENTS[key]["scopes"] else "SCOPE_MISSING"
    if not inst["policy"]["practitionerReport" if kind == "practitioner" else "patientReport"]:
        return "INSTITUTION_POLICY"
    if report["status"] not in ("FINAL", "AMENDED"):
        return "REPORT_NOT_FINAL"
    if kind == "practitioner":
        return None
    access = ACCESSES[key]
    if access["scope"] != "IMAGES_AND_REPORT":
        return "SCOPE_MISSING"
    release = study["availableForPatientAt"] or (datetime.fromisoformat(report["signedAt"]) + timedelta(
        hours=inst["policy"]["patientReportDelayHours"])).isoformat()
    if datetime.fromisoformat(release) > NOW:
        return "RELEASE_PENDING"
    if access.get("paymentRequired") and not access.get("paid"):
        return "PAYMENT_REQUIRED"
    return None


def access_log_rule(kind, key, uid, seen):
    if uid not in seen:
        return "NOT_FOUND"
    if kind == "patient" or (kind == "api" and STUDIES[uid]["institution"] == CLIENTS[key]["institution"]):
        return None
    return "FORBIDDEN"


# ---------------------------------------------------------------- driving the API

FIELDS = """id studyInstanceUid visibility { via }
  access { images { allowed reason } report { allowed reason } }
  images { series { seriesInstanceUid } viewerUrl } report { status text }"""
LIST = "query($after: String, $filter: StudyFilter, $order: StudyOrder) { studies(first: 3, after: $after, filter: $filter, orderBy: $order) { totalCount pageInfo { hasNextPage endCursor } edges { node { " + FIELDS + " } } } }"
ONE = "query($id: ID!, $uid: String!) { study(id: $id) { " + FIELDS + " } studyByUid(studyInstanceUid: $uid) { studyInstanceUid } node(id: $id) { id } }"
LOG = "query($id: ID!) { accessLog(studyId: $id) { edges { node { action actorKind } } } }"


def denied_secrets(kind, key):
    """Report words that must never reach this viewer."""
    seen = visible(kind, key)
    return [f"SECRET{s['studyInstanceUid'].rsplit('.', 1)[1]}WORD" for uid, s in STUDIES.items()
            if "report" in s and (uid not in seen or report_rule(kind, key, uid))]


def errors_at(body, *path):
    return [e for e in body.get("errors") or [] if tuple(e.get("path") or ()) == path]


def check_node(node, body, path, kind, key, via):
    uid = node["studyInstanceUid"]
    assert node["visibility"]["via"] == via
    for field, rule in (("images", images_rule), ("report", report_rule)):
        reason = rule(kind, key, uid)
        assert node["access"][field] == {"allowed": reason is None, "reason": reason}, (field, uid)
        errors = errors_at(body, *path, field)
        if reason is None:
            assert node[field] is not None and not errors, (field, uid)
        else:
            assert node[field] is None, (field, uid)
            assert [(e["extensions"]["code"], e["extensions"]["reason"]) for e in errors] == [("FORBIDDEN", reason)]
    if node["report"]:
        assert node["report"]["status"] == STUDIES[uid]["report"]["status"]


@pytest.fixture
async def idor(db):
    await load_fixtures(DATA, f.KEYRING)
    return await f.environment("BE")


async def api_for(api_factory, env, kind, key):
    if kind in ("practitioner", "desk"):
        user = await User.get(environment_id=env.id, username_key=key)
        return api_factory().with_session(await f.session_cookie(env, user))
    if kind == "patient":
        from auth.crypto import normalize_access_code
        access = await PatientAccess.get(code_hash=f.KEYRING.token_hash(normalize_access_code(key)))
        return api_factory().with_session(await f.session_cookie(env, access=access))
    if kind == "api":
        return api_factory().with_token(key)
    return api_factory()


@pytest.mark.parametrize("viewer", list(VIEWERS))
async def test_A1_to_A7_idor_matrix(api_factory, idor, viewer):
    kind, key = VIEWERS[viewer]
    api = await api_for(api_factory, idor, kind, key)
    seen = visible(kind, key)
    secrets = denied_secrets(kind, key)
    cells = 0

    if kind == "anonymous":
        body = await api.gql(LIST, {})
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        for uid, s in STUDIES.items():
            sid = to_global_id("Study", list(STUDIES).index(uid) + 1)
            body = await api.gql(ONE, {"id": sid, "uid": uid})
            assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
            body = await api.gql(LOG, {"id": sid})
            assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
            assert not any(w in json.dumps(body) for w in secrets)
        return

    filters = [None, {"modality": "MR"}, {"search": "Number1"}, {"search": "SECRET"},
               *({"via": v} for v in ("OWN", "GROUP", "PATIENT", "INSTITUTION"))]
    for order in ("STUDY_DATE_DESC", "STUDY_DATE_ASC", "UPDATED_AT_ASC"):
        for filt in filters if order == "STUDY_DATE_DESC" else [None]:
            expected = {uid: via for uid, via in seen.items() if _matches(uid, via, filt)}
            got, total, after = {}, None, None
            while True:
                body = await api.gql(LIST, {"after": after, "filter": filt, "order": order})
                raw = json.dumps(body)
                assert not any(w in raw for w in secrets), (order, filt)
                data = body["data"]["studies"]
                total = data["totalCount"] if total is None else total
                for i, edge in enumerate(data["edges"]):
                    node = edge["node"]
                    check_node(node, body, ("studies", "edges", i, "node"), kind, key, seen[node["studyInstanceUid"]])
                    got[node["studyInstanceUid"]] = node["visibility"]["via"]
                    cells += 3
                if not data["pageInfo"]["hasNextPage"]:
                    break
                after = data["pageInfo"]["endCursor"]
            assert got == expected, (order, filt)
            assert total == len(expected), (order, filt)

    from models.studies import Study
    ids = dict(await Study.all().values_list("study_instance_uid", "id"))
    for uid in STUDIES:
        body = await api.gql(ONE, {"id": to_global_id("Study", ids[uid]), "uid": uid})
        assert not any(w in json.dumps(body) for w in secrets), uid
        data = body["data"] or {}
        if uid in seen:
            check_node(data["study"], body, ("study",), kind, key, seen[uid])
            assert data["studyByUid"]["studyInstanceUid"] == uid
            assert data["node"]["id"] == to_global_id("Study", ids[uid])
        else:
            for field in ("study", "studyByUid", "node"):
                assert data.get(field) is None, (uid, field)
                assert [e["extensions"]["code"] for e in errors_at(body, field)] == ["NOT_FOUND"], (uid, field)
        rule = access_log_rule(kind, key, uid, seen)
        body = await api.gql(LOG, {"id": to_global_id("Study", ids[uid])})
        if rule is None:
            assert isinstance(body["data"]["accessLog"]["edges"], list)
        else:
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in errors_at(body, "accessLog")] == [rule], uid
        cells += 6
    assert cells >= 6 * len(STUDIES)


def _matches(uid, via, filt):
    s = STUDIES[uid]
    if not filt:
        return True
    if "modality" in filt:
        return filt["modality"] in s["modalities"]
    if "search" in filt:
        word = filt["search"].lower()
        return any(word in (v or "").lower() for v in (s["patient"]["name"].replace("^", " "), s["accessionNumber"], s["description"]))
    return via == filt["via"]
