"""A1 over the demo data set: every practitioner, patient, API client and the service desk sees
exactly the studies the rule gives, and totalCount equals what paging to the end returns.

The expectation is computed here from the data file and the rule's words (A1, G1, G4), not
from the policy code.
"""

import calendar
from datetime import date, datetime, time, timedelta, timezone

import pytest

from auth.crypto import normalize_access_code
from models.patients import PatientAccess
from models.users import User
from resolvers.demo_data import demo_fixture
from resolvers.fixtures import load_fixtures
from tests import factories as f
from tests.test_studies_visibility import walk

NOW = datetime.now(timezone.utc)


def lapsed(confirmed_at: str) -> bool:
    """G4 in the rule's words: 30 days after falling due 3 calendar months after confirmation."""
    c = datetime.fromisoformat(confirmed_at).astimezone(timezone.utc).date()
    month = c.month + 3
    year, month = c.year + (month - 1) // 12, (month - 1) % 12 + 1
    due = date(year, month, min(c.day, calendar.monthrange(year, month)[1]))
    return datetime.combine(due, time(0), tzinfo=timezone.utc) + timedelta(days=30) <= NOW


def expected_practitioner(data, username):
    """{uid: via} for one practitioner of the BE environment."""
    users = {u["username"]: u for u in data["users"]}
    good = {}  # group name -> members in good standing
    for g in data["groups"]:
        if g["environment"] != "BE":
            continue
        good[g["name"]] = {m["username"] for m in g["members"]
                           if not lapsed(m.get("confirmedAt") or NOW.isoformat())}
    colleagues = {u for members in good.values() if username in members for u in members} - {username}
    be_insts = {i["code"] for i in data["institutions"] if i["environment"] == "BE"}
    seen = {}
    for s in data["studies"]:
        if s["institution"] not in be_insts:
            continue
        people = {s.get("referringPhysician")} | set(s.get("copyTo") or [])
        if username in people:
            seen[s["studyInstanceUid"]] = "OWN"
        elif people & colleagues:
            seen[s["studyInstanceUid"]] = "GROUP"
    assert users[username]["environment"] == "BE"
    return seen


@pytest.fixture
async def demo(db):
    data = demo_fixture(NOW)
    await load_fixtures(data, f.KEYRING, NOW)
    return data


async def test_A1_matrix_over_the_demo_data(api_factory, demo):
    be = await f.environment("BE")
    checked = 0
    practitioners = [u for u in demo["users"] if u["environment"] == "BE"
                     and u.get("role", "PRACTITIONER") == "PRACTITIONER"
                     and u.get("status", "ACTIVE") == "ACTIVE"]
    assert len(practitioners) >= 8
    for u in practitioners:
        user = await User.get(environment_id=be.id, username_key=u["username"].casefold())
        api = api_factory().with_session(await f.session_cookie(be, user))
        seen, total = await walk(api, first=50)
        got = {n["studyInstanceUid"]: n["visibility"]["via"] for n in seen}
        assert got == expected_practitioner(demo, u["username"]), u["username"]
        assert total == len(seen) == len(got)
        checked += 1

    desk = await User.get(environment_id=be.id, role="SERVICE_DESK")
    seen, total = await walk(api_factory().with_session(await f.session_cookie(be, desk)))
    assert seen == [] and total == 0

    for a in demo["patientAccesses"]:
        insts = {i["code"]: i["environment"] for i in demo["institutions"]}
        if insts[a["institution"]] != "BE":
            continue
        access = await PatientAccess.get(
            code_hash=f.KEYRING.token_hash(normalize_access_code(a["accessCode"])))
        api = api_factory().with_session(await f.session_cookie(be, access=access))
        valid_from = datetime.fromisoformat(a["validFrom"]) if a.get("validFrom") else None
        until = datetime.fromisoformat(a["validUntil"]) if a.get("validUntil") else NOW + timedelta(days=28)
        if until <= NOW or (valid_from and valid_from > NOW):
            body = await api.gql("{ studies { totalCount } }")
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            continue
        seen, total = await walk(api, first=50)
        assert {n["studyInstanceUid"]: n["visibility"]["via"] for n in seen} == {
            uid: "PATIENT" for uid in a["studies"]}
        assert total == len(seen)
        checked += 1

    for c in demo["apiClients"]:
        if "studies:read" not in c["scopes"]:
            continue
        inst = next(i for i in demo["institutions"] if i["code"] == c["institution"])
        api = api_factory(environment=inst["environment"]).with_token(c["token"])
        seen, total = await walk(api, first=50)
        assert {n["studyInstanceUid"] for n in seen} == {
            s["studyInstanceUid"] for s in demo["studies"] if s["institution"] == c["institution"]}
        assert {n["visibility"]["via"] for n in seen} == {"INSTITUTION"}
        assert total == len(seen)
        checked += 1
    assert checked >= 12
