"""The study list: keyset paging in every order, every filter, and bad input (A1, P2, S3)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from models.studies import ReportStatus
from tests import factories as f
from tests.api import error_codes
from tests.test_studies_visibility import LIST, walk


@pytest.fixture
async def doctor_api(api_factory):
    env = await f.environment()
    inst = await f.institution(env, "AZX")
    doc = await f.user(env, "doc@example.be")
    base = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    studies = []
    for i in range(23):  # many ties on the study date: the id breaks them
        studies.append(await f.study(
            inst, referring=doc, study_date=date(2026, 10, 1) + timedelta(days=i // 4),
            updated_at=base + timedelta(minutes=i % 5), modalities="CT" if i % 3 else "MR",
            description=f"Study {i}", patient_name=f"Patient {i:02d}",
        ))
    api = api_factory().with_session(await f.session_cookie(env, doc))
    api.studies = studies
    api.inst = inst
    api.doc = doc
    return api


@pytest.mark.parametrize("order,key", [
    ("STUDY_DATE_DESC", lambda s: (-s.study_date.toordinal(), -s.id)),
    ("STUDY_DATE_ASC", lambda s: (s.study_date.toordinal(), s.id)),
    ("UPDATED_AT_ASC", lambda s: (s.updated_at, s.id)),
])
@pytest.mark.parametrize("first", [1, 4, 500])
async def test_P2_keyset_pages_cover_every_study_once_in_order(doctor_api, order, key, first):
    seen, total = await walk(doctor_api, first=first, order=order)
    expected = [s.study_instance_uid for s in sorted(doctor_api.studies, key=key)]
    assert [n["studyInstanceUid"] for n in seen] == expected
    assert total == 23


async def test_default_order_is_newest_study_first(doctor_api):
    data = (await doctor_api.data(LIST, {"first": 3}))["studies"]
    newest = sorted(doctor_api.studies, key=lambda s: (s.study_date, s.id), reverse=True)[:3]
    assert [e["node"]["studyInstanceUid"] for e in data["edges"]] == [
        s.study_instance_uid for s in newest]


async def test_filters_search_modality_dates_and_updated_since(doctor_api):
    async def uids(filter):
        seen, total = await walk(doctor_api, first=5, filter=filter)
        assert total == len(seen)
        return {n["studyInstanceUid"] for n in seen}

    by_index = doctor_api.studies
    assert await uids({"search": "patient 07"}) == {by_index[7].study_instance_uid}
    assert await uids({"search": by_index[3].accession_number.lower()}) == {by_index[3].study_instance_uid}
    assert await uids({"search": "Study 1"}) == {by_index[i].study_instance_uid
                                                  for i in (1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)}
    assert await uids({"modality": "mr"}) == {s.study_instance_uid for i, s in enumerate(by_index)
                                             if i % 3 == 0}
    assert await uids({"studyDateFrom": "2026-10-02", "studyDateTo": "2026-10-03"}) == {
        s.study_instance_uid for s in by_index if date(2026, 10, 2) <= s.study_date <= date(2026, 10, 3)}
    mark = datetime(2026, 11, 1, 8, 3, tzinfo=timezone.utc)
    assert await uids({"updatedSince": mark.isoformat()}) == {
        s.study_instance_uid for s in by_index if s.updated_at >= mark}


async def test_A4_search_never_matches_report_text(doctor_api):
    s = await f.study(doctor_api.inst, referring=doctor_api.doc, report=ReportStatus.PRELIMINARY)
    from models.studies import ReportVersion

    await ReportVersion.filter(study_id=s.id).update(text="Suspicious lesion zebrafinch")
    seen, total = await walk(doctor_api, filter={"search": "zebrafinch"})
    assert seen == [] and total == 0


@pytest.mark.parametrize("variables,argument", [
    ({"first": 501}, "first"),
    ({"first": 0}, "first"),
    ({"first": -3}, "first"),
    ({"first": 5, "after": "bm90LWEtY3Vyc29y.AAAA"}, "after"),
    ({"first": 5, "after": "garbage"}, "after"),
    ({"first": 5, "filter": {"groupId": "not-an-id"}}, "filter.groupId"),
])
async def test_S3_bad_arguments_are_bad_user_input(doctor_api, variables, argument):
    body = await doctor_api.gql(LIST, variables)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == argument


async def test_S3_tampered_cursor_and_cursor_of_another_order_are_refused(doctor_api):
    data = (await doctor_api.data(LIST, {"first": 2}))["studies"]
    cursor = data["pageInfo"]["endCursor"]
    body, sig = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    assert error_codes(await doctor_api.gql(LIST, {"first": 2, "after": tampered})) == ["BAD_USER_INPUT"]
    other_order = await doctor_api.gql(LIST, {"first": 2, "after": cursor, "order": "UPDATED_AT_ASC"})
    assert error_codes(other_order) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("value", ["2026-11-01T08:00:00", "yesterday", "2026-13-01T00:00:00+00:00"])
async def test_S3_time_without_offset_or_invalid_is_refused(doctor_api, value):
    body = await doctor_api.gql(LIST, {"first": 2, "filter": {"updatedSince": value}})
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("value", ["not-base64!", "U3R1ZHk6YWJj", "VXNlcjox", ""])
async def test_S3_bad_ids_are_bad_user_input(doctor_api, value):
    body = await doctor_api.gql("query($id: ID!) { study(id: $id) { id } }", {"id": value})
    assert error_codes(body) == ["BAD_USER_INPUT"]
