"""P1, P3: `upsertStudy` for bearer-token clients; idempotent by UID within the institution."""

from datetime import date

import pytest

from auth.api_clients import revoke_api_clients
from models.studies import Series, Study, StudyCopyTo
from tests import factories as f
from tests.api import error_codes
from tests.partner_gql import UPSERT, partner_client, study_input, uid


@pytest.fixture
async def world(api_factory):
    env = await f.environment("BE")
    inst = await f.institution(env, "AZX")
    other = await f.institution(env, "RADB")
    an = await f.user(env, "an.peeters@example.be", "Dr. An Peeters")
    bart = await f.user(env, "bart.claes@example.be", "Dr. Bart Claes")
    _, token = await partner_client(inst)
    _, other_token = await partner_client(other)
    return {"env": env, "inst": inst, "other": other, "an": an, "bart": bart,
            "api": api_factory().with_token(token), "other_token": other_token}


async def upsert(api, value):
    return (await api.data(UPSERT, {"input": value}))["upsertStudy"]


async def test_P1_anonymous_upsert_is_unauthenticated_and_writes_nothing(world, api_factory):
    body = await api_factory().gql(UPSERT, {"input": study_input(1)})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await Study.all().count() == 0


async def test_P1_a_practitioner_session_may_not_upsert(world, api_factory):
    api = api_factory().with_session(await f.session_cookie(world["env"], world["an"]))
    body = await api.gql(UPSERT, {"input": study_input(1)})
    assert error_codes(body) == ["FORBIDDEN"]
    assert await Study.all().count() == 0


async def test_P1_a_token_without_studies_write_is_forbidden_naming_the_scope(world, api_factory):
    _, token = await partner_client(world["inst"], scopes="studies:read,reports:read")
    body = await api_factory().with_token(token).gql(UPSERT, {"input": study_input(1)})
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["scope"] == "studies:write"
    assert await Study.all().count() == 0


async def test_P1_a_revoked_token_is_unauthenticated_at_once(world, api_factory):
    _, token = await partner_client(world["inst"], name="Old PACS")
    api = api_factory().with_token(token)
    await upsert(api, study_input(1))
    assert await revoke_api_clients("BE", f.utcnow(), "AZX", "Old PACS") == 1
    response = await api.post(UPSERT, {"input": study_input(2)})
    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    assert await Study.filter(study_instance_uid=uid(2)).count() == 0


async def test_P3_upsert_creates_the_study_with_its_series_physicians_and_pn_name(world):
    value = study_input(1, referringPhysicianUsername="AN.PEETERS@example.be",
                        copyToUsernames=["bart.claes@example.be"])
    study = await upsert(world["api"], value)
    assert study["studyInstanceUid"] == uid(1)
    assert study["patient"] == {"name": "Marie1 Janssens", "birthDate": "1980-02-03",
                                "sex": "F", "patientId": "P000001"}
    assert (study["numberOfSeries"], study["numberOfInstances"]) == (2, 300)
    assert study["referringPhysician"] == "Dr. An Peeters"
    assert study["modalities"] == ["CT"] and study["reportStatus"] == "NONE"
    assert study["institution"] == {"code": "AZX"} and study["visibility"] == {"via": "INSTITUTION"}
    row = await Study.get(study_instance_uid=uid(1))
    assert row.environment_id == world["env"].id and row.institution_id == world["inst"].id
    assert await StudyCopyTo.filter(study_id=row.id).values_list("user_id", flat=True) == [
        world["bart"].id]


async def test_P3_the_same_input_twice_is_one_study_with_updatedAt_unchanged(world):
    value = study_input(1, referringPhysicianUsername="an.peeters@example.be",
                        copyToUsernames=["bart.claes@example.be"],
                        availableForPatientAt="2026-12-01T10:00:00+01:00")
    first = await upsert(world["api"], value)
    again = await upsert(world["api"], value)
    assert again == first
    assert await Study.all().count() == 1
    assert await Series.all().count() == 2


async def test_P3_a_changed_input_updates_the_study_and_bumps_updatedAt(world):
    first = await upsert(world["api"], study_input(1))
    changed = await upsert(world["api"], study_input(1, description="CT thorax with contrast"))
    assert changed["id"] == first["id"]
    assert changed["description"] == "CT thorax with contrast"
    assert changed["updatedAt"] > first["updatedAt"]
    assert await Study.all().count() == 1


async def test_P3_series_left_out_are_kept_and_given_series_replace_them(world):
    await upsert(world["api"], study_input(1))
    kept = await upsert(world["api"], study_input(1, series=None, description="Kept series"))
    assert (kept["numberOfSeries"], kept["numberOfInstances"]) == (2, 300)
    one = [{"seriesInstanceUid": uid(1, 9), "modality": "MR", "numberOfInstances": 12}]
    replaced = await upsert(world["api"], study_input(1, series=one, modalities=[]))
    assert (replaced["numberOfSeries"], replaced["numberOfInstances"]) == (1, 12)
    assert replaced["modalities"] == ["MR"]  # no modalities given: those of the series
    row = await Study.get(study_instance_uid=uid(1))
    assert await Series.filter(study_id=row.id).values_list("series_instance_uid", flat=True) == [
        uid(1, 9)]
    assert replaced["updatedAt"] > kept["updatedAt"]


async def test_P3_a_new_copy_to_list_replaces_the_old_one_for_the_practitioners(world, api_factory):
    await upsert(world["api"], study_input(1, copyToUsernames=["an.peeters@example.be"]))
    await upsert(world["api"], study_input(1, copyToUsernames=["bart.claes@example.be"]))
    query = "{ studies { edges { node { studyInstanceUid visibility { via } } } } }"
    env = world["env"]
    an = api_factory().with_session(await f.session_cookie(env, world["an"]))
    bart = api_factory().with_session(await f.session_cookie(env, world["bart"]))
    assert (await an.data(query))["studies"]["edges"] == []
    assert (await bart.data(query))["studies"]["edges"] == [
        {"node": {"studyInstanceUid": uid(1), "visibility": {"via": "OWN"}}}]


@pytest.mark.parametrize("field,value", [
    ("referringPhysicianUsername", "nobody@example.be"),
    ("copyToUsernames", ["an.peeters@example.be", "nobody@example.be"]),
])
async def test_P3_an_unknown_physician_username_is_bad_input_naming_it(world, field, value):
    body = await world["api"].gql(UPSERT, {"input": study_input(1, **{field: value})})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    error = body["errors"][0]
    assert error["extensions"]["argument"].startswith(f"input.{field}")
    assert "nobody@example.be" in error["message"]
    assert await Study.all().count() == 0


async def test_A6_a_physician_of_another_environment_is_unknown(world):
    nl = await f.environment("NL")
    await f.user(nl, "lotte.devries@example.nl")
    body = await world["api"].gql(UPSERT, {"input": study_input(
        1, referringPhysicianUsername="lotte.devries@example.nl")})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_P3_the_same_uid_at_another_institution_is_another_study(world, api_factory):
    mine = await upsert(world["api"], study_input(1))
    other_api = api_factory().with_token(world["other_token"])
    theirs = await upsert(other_api, study_input(1, description="Theirs"))
    assert theirs["id"] != mine["id"] and theirs["institution"] == {"code": "RADB"}
    again = await upsert(world["api"], study_input(1))
    assert again == mine  # untouched by the other institution's upsert


def _patient(**kw):
    return {"name": "Doe^Jane", "birthDate": "1980-02-03", **kw}


@pytest.mark.parametrize("overrides,argument", [
    ({"studyInstanceUid": "1.2.abc"}, "input.studyInstanceUid"),
    ({"studyInstanceUid": "1.02.3"}, "input.studyInstanceUid"),
    ({"studyInstanceUid": "1." + "2" * 63}, "input.studyInstanceUid"),
    ({"studyInstanceUid": ""}, "input.studyInstanceUid"),
    ({"studyDate": "1850-01-01"}, "input.studyDate"),
    ({"studyDate": "2999-01-01"}, "input.studyDate"),
    ({"modalities": ["ct scan"]}, "input.modalities[0]"),
    ({"modalities": []}, "input.modalities"),
    ({"patient": _patient(name="A^B^C^D^E^F")}, "input.patient.name"),
    ({"patient": _patient(name=" ^ ")}, "input.patient.name"),
    ({"patient": _patient(sex="X")}, "input.patient.sex"),
    ({"patient": _patient(birthDate="2999-02-03")}, "input.patient.birthDate"),
    ({"description": "x" * 301}, "input.description"),
    ({"accessionNumber": "A\x00B"}, "input.accessionNumber"),
    ({"series": [{"seriesInstanceUid": "1.2.3.x", "modality": "CT", "numberOfInstances": 1}]},
     "input.series[0].seriesInstanceUid"),
    ({"series": [{"seriesInstanceUid": "1.2.3", "modality": "CT", "numberOfInstances": 1},
                 {"seriesInstanceUid": "1.2.3", "modality": "CT", "numberOfInstances": 1}]},
     "input.series[1].seriesInstanceUid"),
    ({"series": [{"seriesInstanceUid": "1.2.3", "modality": "CT", "numberOfInstances": -1}]},
     "input.series[0].numberOfInstances"),
])
async def test_S3_a_bad_value_is_bad_user_input_naming_the_argument_and_writes_nothing(
        world, overrides, argument):
    if "modalities" in overrides and overrides["modalities"] == []:
        overrides = {**overrides, "series": []}
    body = await world["api"].gql(UPSERT, {"input": study_input(1, **overrides)})
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["argument"] == argument
    assert body["data"] is None
    assert await Study.all().count() == 0 and await Series.all().count() == 0


@pytest.mark.parametrize("field,value", [("studyDate", "2026-02-30"), ("studyDate", "20261120"),
                                         ("availableForPatientAt", "2026-12-01T10:00:00")])
async def test_S3_a_malformed_date_is_refused_naming_the_field(world, field, value):
    body = await world["api"].gql(UPSERT, {"input": study_input(1, **{field: value})})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert field in body["errors"][0]["message"]
    assert await Study.all().count() == 0


async def test_S3_a_failed_update_changes_nothing(world):
    first = await upsert(world["api"], study_input(1))
    bad_series = [{"seriesInstanceUid": uid(1, 5), "modality": "MR", "numberOfInstances": 3},
                  {"seriesInstanceUid": "1..2", "modality": "MR", "numberOfInstances": 3}]
    body = await world["api"].gql(UPSERT, {"input": study_input(
        1, description="Changed", series=bad_series)})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await upsert(world["api"], study_input(1)) == first
    row = await Study.get(study_instance_uid=uid(1))
    assert row.study_date == date(2026, 11, 20) and await Series.filter(study_id=row.id).count() == 2
