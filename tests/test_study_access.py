"""A4 field enforcement details, A7 access log, A8 signed image links, and SQL per list."""

from datetime import timedelta

import pytest
import time_machine

from models.access_log import AccessLogEntry
from models.studies import ReportStatus
from schema.ids import to_global_id
from tests import factories as f
from tests.sqlcount import count_sql

STUDY = """query($id: ID!) { study(id: $id) { studyInstanceUid
  images { viewerUrl expiresAt series { seriesInstanceUid modality } } report { text status } } }"""
LOG = "query($id: ID!) { accessLog(studyId: $id) { edges { node { at actor actorKind action ipAddress } } } }"


@pytest.fixture
async def setup(api_factory):
    env = await f.environment()
    inst = await f.institution(env, "AZX")
    doc = await f.user(env, "doc@example.be", "Dr. Doc")
    study = await f.study(inst, referring=doc, report=ReportStatus.FINAL, series=2)
    access = await f.patient_access(inst, [study])
    client, token = await f.api_client(inst)
    return dict(env=env, inst=inst, doc=doc, study=study, access=access, client=client,
                token=token, sid=to_global_id("Study", study.id))


async def test_A7_allowed_views_are_logged_and_shown_to_the_patient_and_the_institution(api_factory, setup):
    doc_api = api_factory(trusted_proxies="127.0.0.1").with_session(
        await f.session_cookie(setup["env"], setup["doc"]))
    data = await doc_api.data(STUDY, {"id": setup["sid"]}, headers={"X-Forwarded-For": "203.0.113.9"})
    assert data["study"]["report"]["text"] == "Report text."
    # Without a trusted proxy, the header is not believed.
    untrusting = api_factory().with_session(await f.session_cookie(setup["env"], setup["doc"]))
    await untrusting.data("query($id: ID!) { study(id: $id) { report { status } } }", {"id": setup["sid"]},
                          headers={"X-Forwarded-For": "198.51.100.7"})
    entries = await AccessLogEntry.all().order_by("id")
    assert [(e.action, e.actor, e.actor_kind, e.ip_address) for e in entries] == [
        ("VIEW_IMAGES", "Dr. Doc", "PRACTITIONER", "203.0.113.9"),
        ("VIEW_REPORT", "Dr. Doc", "PRACTITIONER", "203.0.113.9"),
        ("VIEW_REPORT", "Dr. Doc", "PRACTITIONER", "127.0.0.1"),
    ]
    patient = api_factory().with_session(await f.session_cookie(setup["env"], access=setup["access"]))
    shown = (await patient.data(LOG, {"id": setup["sid"]}))["accessLog"]["edges"]
    assert [e["node"]["action"] for e in shown] == ["VIEW_REPORT", "VIEW_REPORT", "VIEW_IMAGES"]
    partner = api_factory().with_token(setup["token"])
    assert len((await partner.data(LOG, {"id": setup["sid"]}))["accessLog"]["edges"]) == 3
    body = await doc_api.gql(LOG, {"id": setup["sid"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_A7_denied_fields_are_not_logged(api_factory, setup):
    await setup["inst"].__class__.filter(id=setup["inst"].id).update(practitioner_report=False)
    doc_api = api_factory().with_session(await f.session_cookie(setup["env"], setup["doc"]))
    body = await doc_api.gql("query($id: ID!) { study(id: $id) { report { text } } }", {"id": setup["sid"]})
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": "INSTITUTION_POLICY"}
    assert body["data"]["study"] == {"report": None}
    assert await AccessLogEntry.all().count() == 0


async def test_A7_a_list_writes_its_log_in_one_statement(api_factory, setup):
    for _ in range(9):
        await f.study(setup["inst"], referring=setup["doc"], report=ReportStatus.FINAL)
    doc_api = api_factory().with_session(await f.session_cookie(setup["env"], setup["doc"]))
    await doc_api.data("{ viewer { __typename } }")
    with count_sql() as statements:
        await doc_api.data("{ studies(first: 10) { edges { node { report { status } } } } }")
    inserts = [s for s in statements if s.upper().startswith("INSERT")]
    assert len(inserts) == 1 and await AccessLogEntry.all().count() == 10


async def test_A8_image_link_serves_dicom_json_then_expires(api_factory, setup):
    doc_api = api_factory().with_session(await f.session_cookie(setup["env"], setup["doc"]))
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        images = (await doc_api.data(STUDY, {"id": setup["sid"]}))["study"]["images"]
        path = images["viewerUrl"].replace("http://testserver", "")
        response = await doc_api.http.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/dicom+json")
        series = response.json()
        assert [s["0020000E"]["Value"][0] for s in series] == [
            s["seriesInstanceUid"] for s in images["series"]]
        assert set(series[0]) == {"0020000E", "00080060", "0008103E", "00180015", "00201209"}
        assert series[0]["00201209"] == {"vr": "IS", "Value": [100]}
        clock.shift(timedelta(minutes=5, seconds=1))
        assert (await doc_api.http.get(path)).status_code == 403


async def test_A8_tampered_or_foreign_links_are_refused(api_factory, setup):
    patient = api_factory().with_session(await f.session_cookie(setup["env"], access=setup["access"]))
    url = (await patient.data(STUDY, {"id": setup["sid"]}))["study"]["images"]["viewerUrl"]
    path = url.replace("http://testserver", "")
    body, sig = path.rsplit("/", 1)[1].split(".")
    flipped = sig[:-1] + ("B" if sig[-1] != "B" else "C")
    assert (await patient.http.get(f"/images/{body}.{flipped}")).status_code == 403
    other_study = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    assert (await patient.http.get(f"/images/{other_study}.{sig}")).status_code == 403
    assert (await patient.http.get("/images/garbage")).status_code == 403
    assert (await patient.http.get(path)).status_code == 200
    # Revoking the access kills the link at once.
    await setup["access"].__class__.filter(id=setup["access"].id).update(revoked_at=f.utcnow())
    assert (await patient.http.get(path)).status_code == 403


LIST_ALL = """query($first: Int) { studies(first: $first) { edges { node { id
  access { images { allowed reason } report { allowed reason } }
  images { viewerUrl series { seriesInstanceUid } } report { text } } } } }"""


async def test_A4_list_with_access_images_report_costs_constant_sql(api_factory, setup):
    for i in range(59):
        await f.study(setup["inst"], referring=setup["doc"], series=i % 3,
                      report=ReportStatus.FINAL if i % 2 else ReportStatus.PRELIMINARY)
    doc_api = api_factory().with_session(await f.session_cookie(setup["env"], setup["doc"]))
    counts = []
    for first in (10, 50):
        await doc_api.gql(LIST_ALL, {"first": first})
        with count_sql() as statements:
            body = await doc_api.gql(LIST_ALL, {"first": first})
        assert len(body["data"]["studies"]["edges"]) == first
        counts.append(len(statements))
    print("SQL per list with access, images, report:", counts)
    assert counts[0] == counts[1] and counts[0] <= 8, counts
