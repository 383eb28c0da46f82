"""L4 patient login: access code and date of birth, blocking, validity, 'not available yet'."""

from datetime import timedelta

import pytest
import time_machine

from models.sessions import LoginAttempt
from tests import factories as f
from tests.api import error_codes
from tests.login_flows import (
    BIRTH,
    CODE,
    PATIENT_LOGIN,
    STUDY_UIDS,
    access_with_code,
    patient_login,
)


async def _setup(verification="DATE_OF_BIRTH_ONLY", **kw):
    env = await f.environment()
    inst = await f.institution(env, "AZX")
    mine = [await f.study(inst), await f.study(inst, report="FINAL")]
    other = await f.study(inst)
    access = await access_with_code(inst, mine, verification=verification, **kw)
    return env, inst, mine, other, access


async def test_L4_anonymous_birth_date_only_signs_in_and_sees_only_the_codes_studies(api):
    _, _, mine, other, _ = await _setup()
    assert error_codes(await api.gql(STUDY_UIDS)) == ["UNAUTHENTICATED"]  # no session yet
    result = await patient_login(api, " k7qm 4xwt-9hbd2rpf ")  # case, spaces and dashes ignored
    assert result["__typename"] == "LoginSuccess"
    assert result["viewer"] == {"__typename": "PatientViewer", "patientName": "Marie Janssens",
                                "expiresAt": result["viewer"]["expiresAt"],
                                "institution": {"code": "AZX"}}
    assert result["previousFailedAttempts"] == 0
    assert api.http.cookies.get("studygate")
    uids = {e["node"]["studyInstanceUid"] for e in (await api.data(STUDY_UIDS))["studies"]["edges"]}
    assert uids == {s.study_instance_uid for s in mine}
    assert other.study_instance_uid not in uids


async def test_L4_wrong_birth_date_and_unknown_code_get_the_same_answer(api):
    await _setup()
    wrong_birth = await patient_login(api, CODE, "1980-02-04")
    unknown = await patient_login(api, "XXXX-XXXX-XXXX-XXXX", BIRTH)
    assert wrong_birth == unknown
    assert wrong_birth["reason"] == "INVALID_CREDENTIALS"
    assert "studygate" not in api.http.cookies


async def test_L4_five_failures_block_the_code_for_one_hour_even_with_the_right_birth_date(api):
    await _setup()
    with time_machine.travel(f.utcnow(), tick=False) as clock:
        for _ in range(5):
            assert (await patient_login(api, CODE, "1999-01-01"))["reason"] == "INVALID_CREDENTIALS"
        blocked = await patient_login(api)
        assert blocked["reason"] == "TOO_MANY_ATTEMPTS"
        assert 3500 < blocked["retryAfterSeconds"] <= 3600
        clock.shift(timedelta(minutes=59))
        assert (await patient_login(api))["reason"] == "TOO_MANY_ATTEMPTS"
        clock.shift(timedelta(minutes=1, seconds=1))
        assert (await patient_login(api))["__typename"] == "LoginSuccess"


async def test_L4_blocking_one_code_leaves_other_codes_alone(api):
    _, inst, mine, _, _ = await _setup()
    await access_with_code(inst, mine, "MMMM-NNNN-PPPP-QQQQ")
    for _ in range(6):
        await patient_login(api, CODE, "1999-01-01")
    assert (await patient_login(api, CODE))["reason"] == "TOO_MANY_ATTEMPTS"
    assert (await patient_login(api, "MMMM-NNNN-PPPP-QQQQ"))["__typename"] == "LoginSuccess"


async def test_L4_code_failures_count_against_the_client_address(api):
    await _setup()
    for i in range(100):
        await patient_login(api, f"NOPE-{i:04d}-XXXX-XXXX", BIRTH)
    refused = await patient_login(api)
    assert refused["reason"] == "TOO_MANY_ATTEMPTS" and refused["retryAfterSeconds"] > 0


async def test_L4_previous_failed_attempts_counts_failures_since_the_last_success(api):
    await _setup()
    for _ in range(2):
        await patient_login(api, CODE, "1999-01-01")
    assert (await patient_login(api))["previousFailedAttempts"] == 2
    assert (await patient_login(api))["previousFailedAttempts"] == 0
    # Only the code's keyed hash is recorded, never the code itself.
    keys = await LoginAttempt.all().values_list("username_key", flat=True)
    assert keys and all(CODE.replace("-", "") not in k for k in keys)


async def test_S2b_patient_login_aliases_each_count_against_the_code(api):
    await _setup()
    fields = " ".join(
        f'a{i}: patientLogin(accessCode: "{CODE}", dateOfBirth: "1999-01-01") '
        "{ ... on LoginFailed { reason } }" for i in range(7))
    data = await api.data(f"mutation {{ {fields} }}")
    assert [data[f"a{i}"]["reason"] for i in range(7)] == (
        ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"] * 2)


@pytest.mark.parametrize("change", [
    {"valid_until": f.utcnow() - timedelta(seconds=1)},
    {"valid_from": f.utcnow() + timedelta(days=1)},
    {"revoked_at": f.utcnow() - timedelta(minutes=1)},
], ids=["expired", "not_yet_valid", "revoked"])
async def test_L4_outside_the_validity_or_revoked_gives_ACCESS_EXPIRED(api, change):
    await _setup(**change)
    assert (await patient_login(api))["reason"] == "ACCESS_EXPIRED"
    # A wrong birth date on such a code reveals nothing more.
    assert (await patient_login(api, CODE, "1999-01-01"))["reason"] == "INVALID_CREDENTIALS"


async def test_L4_studies_without_images_or_report_give_NOT_AVAILABLE_YET(api):
    env = await f.environment()
    inst = await f.institution(env)
    await access_with_code(inst, [await f.study(inst, series=0)])
    result = await patient_login(api)
    assert result["reason"] == "NOT_AVAILABLE_YET"
    assert result["message"] == "Your results are not available yet, please try again later."
    await access_with_code(inst, [await f.study(inst, series=0, report="PRELIMINARY")],
                           "MMMM-NNNN-PPPP-QQQQ")
    assert (await patient_login(api, "MMMM-NNNN-PPPP-QQQQ"))["__typename"] == "LoginSuccess"


async def test_L4_a_code_of_another_environment_does_not_exist_here(api):
    await f.environment()
    nl = await f.environment("NL")
    inst = await f.institution(nl)
    await access_with_code(inst, [await f.study(inst)])
    assert (await patient_login(api))["reason"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("birth", ["1980-02-30", "03/02/1980", "1980-2-3", "", "yesterday"])
async def test_L4_malformed_birth_dates_are_BAD_USER_INPUT(api, birth):
    await _setup()
    body = await api.gql(PATIENT_LOGIN, {"c": CODE, "d": birth})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    inline = await api.gql(f'mutation {{ patientLogin(accessCode: "{CODE}", dateOfBirth: "{birth}")'
                           " { __typename } }")
    assert error_codes(inline) == ["BAD_USER_INPUT"]
    assert await LoginAttempt.all().count() == 0


@pytest.mark.parametrize("code", ["", " - ", "X" * 101])
async def test_L4_empty_or_oversized_codes_are_BAD_USER_INPUT(api, code):
    await _setup()
    body = await api.gql(PATIENT_LOGIN, {"c": code, "d": BIRTH})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "accessCode"


async def test_L8_a_patient_login_issues_a_new_session_token(api):
    await _setup()
    await patient_login(api)
    first = api.http.cookies.get("studygate")
    await patient_login(api)
    assert api.http.cookies.get("studygate") not in (None, first)
