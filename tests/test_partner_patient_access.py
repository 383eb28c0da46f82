"""P4: `issuePatientAccess` returns the code once; `revokePatientAccess` ends it at once."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from auth.crypto import ACCESS_CODE_ALPHABET, normalize_access_code
from models.patients import PatientAccess, PatientAccessStudy
from tests import factories as f
from tests.api import error_codes
from tests.login_flows import STUDY_UIDS, patient_login, totp_code, verify
from tests.partner_gql import ISSUE, REVOKE, UPSERT, partner_client, study_input, uid

CODE_FORMAT = re.compile(rf"[{ACCESS_CODE_ALPHABET}]{{4}}(-[{ACCESS_CODE_ALPHABET}]{{4}}){{3}}")


@pytest.fixture
async def world(api_factory):
    env = await f.environment("BE")
    inst = await f.institution(env, "AZX")
    other = await f.institution(env, "RADB")
    _, token = await partner_client(inst)
    api = api_factory().with_token(token)
    for n in (1, 2):
        await api.data(UPSERT, {"input": study_input(n)})
    await api.data(UPSERT, {"input": study_input(3, patient={
        "name": "Peeters^Jan", "birthDate": "1975-06-15"})})
    _, other_token = await partner_client(other)
    return {"env": env, "inst": inst, "other": other, "api": api, "other_token": other_token}


def access_input(*numbers, verification="DATE_OF_BIRTH_ONLY", **kw):
    return {"studyInstanceUids": [uid(n) for n in numbers or (1,)],
            "verification": verification, "scope": "IMAGES_AND_REPORT", **kw}


async def issue(api, value):
    return (await api.data(ISSUE, {"input": value}))["issuePatientAccess"]


async def test_P4_anonymous_issue_and_revoke_are_unauthenticated(world, api_factory):
    anonymous = api_factory()
    assert error_codes(await anonymous.gql(ISSUE, {"input": access_input()})) == ["UNAUTHENTICATED"]
    issued = await issue(world["api"], access_input())
    assert error_codes(await anonymous.gql(REVOKE, {"id": issued["id"]})) == ["UNAUTHENTICATED"]
    assert await PatientAccess.filter(revoked_at=None).count() == 1


async def test_P1_issue_needs_patient_access_write(world, api_factory):
    _, token = await partner_client(world["inst"], scopes="studies:read,studies:write")
    body = await api_factory().with_token(token).gql(ISSUE, {"input": access_input()})
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["scope"] == "patient-access:write"
    assert await PatientAccess.all().count() == 0


async def test_P4_the_code_is_returned_once_stored_hashed_and_signs_the_patient_in(
        world, api_factory):
    with time_machine.travel(datetime(2027, 1, 31, 9, 30, tzinfo=UTC), tick=False):
        issued = await issue(world["api"], access_input(1, 2))
    code = issued["accessCode"]
    assert CODE_FORMAT.fullmatch(code)  # 16 of 23 symbols: 72 bits
    assert issued["totpProvisioningUri"] is None
    assert issued["validUntil"] == "2027-02-28T09:30:00+00:00"  # one calendar month, clamped
    row = await PatientAccess.get()
    assert row.code_hash == f.KEYRING.token_hash(normalize_access_code(code))
    assert code not in str(await PatientAccess.all().values())
    assert row.patient_name == "Marie1 Janssens" and str(row.date_of_birth) == "1980-02-03"
    assert await PatientAccessStudy.filter(patient_access_id=row.id).count() == 2
    patient = api_factory()
    assert (await patient_login(patient, code.lower(), "1980-02-03"))["__typename"] == "LoginSuccess"
    seen = {e["node"]["studyInstanceUid"] for e in (await patient.data(STUDY_UIDS))["studies"]["edges"]}
    assert seen == {uid(1), uid(2)}


async def test_P4_every_issue_draws_a_new_code(world):
    codes = {(await issue(world["api"], access_input()))["accessCode"] for _ in range(5)}
    assert len(codes) == 5


async def test_P4_totp_returns_the_provisioning_uri_and_keeps_the_secret_encrypted(
        world, api_factory):
    issued = await issue(world["api"], access_input(verification="TOTP"))
    uri = urlsplit(issued["totpProvisioningUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    secret = parse_qs(uri.query)["secret"][0]
    assert len(secret) >= 32  # 160 bits
    row = await PatientAccess.get()
    assert secret not in row.totp_secret_encrypted
    assert f.KEYRING.decrypt(row.totp_secret_encrypted) == secret
    patient = api_factory()
    challenge = await patient_login(patient, issued["accessCode"], "1980-02-03")
    assert challenge["method"] == "TOTP"
    done = await verify(patient, challenge["challengeId"], totp_code(secret, f.utcnow()))
    assert done["__typename"] == "LoginSuccess"


async def test_P4_sms_and_email_keep_their_checked_destination(world):
    await issue(world["api"], access_input(verification="SMS", phoneNumber="+32 470 12 34 56",
                                           email="ignored@example.org"))
    await issue(world["api"], access_input(verification="EMAIL", email="Jan@Example.ORG"))
    sms, email = await PatientAccess.all().order_by("id")
    assert (sms.phone_number, sms.email) == ("+32470123456", None)
    assert (email.phone_number, email.email) == (None, "Jan@example.org")


@pytest.mark.parametrize("overrides,argument", [
    ({"verification": "SMS"}, "input.phoneNumber"),
    ({"verification": "SMS", "phoneNumber": "0470123456"}, "input.phoneNumber"),
    ({"verification": "SMS", "phoneNumber": "+32 12"}, "input.phoneNumber"),
    ({"verification": "EMAIL"}, "input.email"),
    ({"verification": "EMAIL", "email": "jan@"}, "input.email"),
    ({"verification": "EMAIL", "email": "jan at example.org"}, "input.email"),
    ({"studyInstanceUids": []}, "input.studyInstanceUids"),
    ({"studyInstanceUids": ["1.2.x"]}, "input.studyInstanceUids[0]"),
    ({"studyInstanceUids": [uid(1), uid(3)]}, "input.studyInstanceUids"),
    ({"validUntil": "2020-01-01T00:00:00+00:00"}, "input.validUntil"),
    ({"validFrom": "2099-01-01T00:00:00+00:00"}, "input.validFrom"),
    ({"paymentRequired": True}, "input.paymentRequired"),
])
async def test_S3_bad_access_input_is_bad_user_input_naming_the_argument(world, overrides, argument):
    body = await world["api"].gql(ISSUE, {"input": {**access_input(), **overrides}})
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["argument"] == argument
    assert await PatientAccess.all().count() == 0


async def test_P4_another_institutions_study_is_not_found_and_nothing_is_issued(world):
    theirs = await f.study(world["other"])
    for uids in ([theirs.study_instance_uid], [uid(1), theirs.study_instance_uid], [uid(99)]):
        body = await world["api"].gql(ISSUE, {"input": {**access_input(), "studyInstanceUids": uids}})
        assert error_codes(body) == ["NOT_FOUND"]
        assert uids[-1] in body["errors"][0]["message"]
    assert await PatientAccess.all().count() == 0


async def test_P4_revoking_ends_the_access_and_its_sessions_at_once(world, api_factory):
    issued = await issue(world["api"], access_input(1))
    patient = api_factory()
    assert (await patient_login(patient, issued["accessCode"], "1980-02-03"))["__typename"] == (
        "LoginSuccess")
    assert len((await patient.data(STUDY_UIDS))["studies"]["edges"]) == 1
    assert (await world["api"].data(REVOKE, {"id": issued["id"]})) == {"revokePatientAccess": True}
    assert error_codes(await patient.gql(STUDY_UIDS)) == ["UNAUTHENTICATED"]
    again = await patient_login(api_factory(), issued["accessCode"], "1980-02-03")
    assert again["reason"] == "ACCESS_EXPIRED"
    assert (await world["api"].data(REVOKE, {"id": issued["id"]})) == {"revokePatientAccess": True}


async def test_P4_revoking_kills_a_half_finished_login(world, api_factory):
    issued = await issue(world["api"], access_input(verification="TOTP"))
    secret = parse_qs(urlsplit(issued["totpProvisioningUri"]).query)["secret"][0]
    patient = api_factory()
    challenge = await patient_login(patient, issued["accessCode"], "1980-02-03")
    await world["api"].data(REVOKE, {"id": issued["id"]})
    result = await verify(patient, challenge["challengeId"], totp_code(secret, f.utcnow()))
    assert result["__typename"] == "LoginFailed"
    assert error_codes(await patient.gql(STUDY_UIDS)) == ["UNAUTHENTICATED"]


async def test_P4_another_institutions_access_id_is_not_found_and_stays_valid(world, api_factory):
    issued = await issue(world["api"], access_input(1))
    other = api_factory().with_token(world["other_token"])
    body = await other.gql(REVOKE, {"id": issued["id"]})
    assert error_codes(body) == ["NOT_FOUND"]
    assert error_codes(await other.gql(REVOKE, {"id": "not-an-id"})) == ["BAD_USER_INPUT"]
    assert await PatientAccess.filter(revoked_at=None).count() == 1
