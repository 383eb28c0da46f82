"""P3: `publishReport` keeps every version; AMENDED supersedes FINAL; unknown study NOT_FOUND."""

import pytest

from models.studies import ReportStatus, ReportVersion, Study
from tests import factories as f
from tests.api import error_codes
from tests.partner_gql import PUBLISH, UPSERT, partner_client, report_input, study_input, uid

READ = """query($uid: String!) { studyByUid(studyInstanceUid: $uid) {
  reportStatus updatedAt report { status text author signedAt } } }"""


@pytest.fixture
async def world(api_factory):
    env = await f.environment("BE")
    inst = await f.institution(env, "AZX")
    other = await f.institution(env, "RADB")
    _, token = await partner_client(inst)
    api = api_factory().with_token(token)
    await api.data(UPSERT, {"input": study_input(1)})
    return {"env": env, "inst": inst, "other": other, "api": api}


async def publish(api, value):
    return (await api.data(PUBLISH, {"input": value}))["publishReport"]


async def read(api, n=1):
    """The study as its institution's client reads it (report null, with an error, when none)."""
    return (await api.gql(READ, {"uid": uid(n)}))["data"]["studyByUid"]


async def test_P3_anonymous_publish_is_unauthenticated(world, api_factory):
    body = await api_factory().gql(PUBLISH, {"input": report_input(1)})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await ReportVersion.all().count() == 0


async def test_P1_publish_needs_studies_write(world, api_factory):
    _, token = await partner_client(world["inst"], scopes="studies:read,reports:read")
    body = await api_factory().with_token(token).gql(PUBLISH, {"input": report_input(1)})
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["scope"] == "studies:write"


async def test_P3_versions_are_kept_and_amended_supersedes_final(world):
    api = world["api"]
    before = await read(api)
    assert (await publish(api, report_input(1, "PRELIMINARY", "Draft.")))["status"] == "PRELIMINARY"
    final = await publish(api, report_input(1, "FINAL", "Final.",
                                            signedAt="2026-11-20T15:00:00+00:00"))
    assert final == {"status": "FINAL", "text": "Final.", "author": "Dr. R. Radiologist",
                     "signedAt": "2026-11-20T15:00:00+00:00"}
    amended = await publish(api, report_input(1, "AMENDED", "Amended: small nodule."))
    assert amended["status"] == "AMENDED" and amended["signedAt"] is not None
    now = await read(api)
    assert now["reportStatus"] == "AMENDED"
    assert now["report"]["text"] == "Amended: small nodule."
    assert now["updatedAt"] > before["updatedAt"]
    study = await Study.get(study_instance_uid=uid(1))
    versions = await ReportVersion.filter(study_id=study.id).order_by("version")
    assert [(v.version, v.status, v.text) for v in versions] == [
        (1, ReportStatus.PRELIMINARY, "Draft."), (2, ReportStatus.FINAL, "Final."),
        (3, ReportStatus.AMENDED, "Amended: small nodule.")]


async def test_P3_a_replayed_report_stores_nothing_and_keeps_updatedAt(world):
    api = world["api"]
    await publish(api, report_input(1, "FINAL", "Final."))
    await publish(api, report_input(1, "AMENDED", "Amended."))
    before = await read(api)
    again = await publish(api, report_input(1, "FINAL", "Final."))  # an old message, re-sent
    assert again["status"] == "AMENDED"  # the report as it stands
    assert await read(api) == before
    assert await ReportVersion.all().count() == 2


@pytest.mark.parametrize("history,status", [
    (["FINAL"], "PRELIMINARY"), (["FINAL"], "FINAL"), (["FINAL", "AMENDED"], "FINAL"),
    ([], "AMENDED"), (["PRELIMINARY"], "AMENDED"),
])
async def test_P3_a_status_that_cannot_follow_is_a_conflict(world, history, status):
    api = world["api"]
    for n, earlier in enumerate(history):
        await publish(api, report_input(1, earlier, f"Version {n}."))
    before = await read(api)
    body = await api.gql(PUBLISH, {"input": report_input(1, status, "Something else.")})
    assert error_codes(body) == ["CONFLICT"]
    assert await read(api) == before
    assert await ReportVersion.all().count() == len(history)


async def test_P3_a_report_for_an_unknown_study_is_not_found(world):
    body = await world["api"].gql(PUBLISH, {"input": report_input(99)})
    assert error_codes(body) == ["NOT_FOUND"]


async def test_P3_a_report_for_another_institutions_study_is_not_found(world):
    theirs = await f.study(world["other"])
    body = await world["api"].gql(PUBLISH, {"input": {
        **report_input(1), "studyInstanceUid": theirs.study_instance_uid}})
    assert error_codes(body) == ["NOT_FOUND"]
    assert await ReportVersion.filter(study_id=theirs.id).count() == 0


@pytest.mark.parametrize("overrides,argument", [
    ({"status": "NONE"}, "input.status"),
    ({"text": "  "}, "input.text"),
    ({"author": ""}, "input.author"),
    ({"studyInstanceUid": "1.2.x"}, "input.studyInstanceUid"),
    ({"signedAt": "2999-01-01T00:00:00+00:00"}, "input.signedAt"),
])
async def test_S3_a_bad_report_is_bad_user_input_naming_the_argument(world, overrides, argument):
    body = await world["api"].gql(PUBLISH, {"input": {**report_input(1), **overrides}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == argument
    assert await ReportVersion.all().count() == 0
