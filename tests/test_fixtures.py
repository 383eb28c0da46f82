"""`load-fixtures` (HTTP.md, "Data file"), the demo data set, and the DICOM helpers they use."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection

from auth.crypto import (
    ACCESS_CODE_ALPHABET,
    Keyring,
    normalize_access_code,
    verify_password,
)
from models.api_clients import ApiClient
from models.environments import Environment
from models.groups import Group, GroupMembership
from models.institutions import Institution
from models.patients import (
    PatientAccess,
    PatientAccessStudy,
    PatientScope,
    PatientVerification,
)
from models.studies import ReportStatus, ReportVersion, Series, Study, StudyCopyTo
from models.users import AccountRole, AccountStatus, Authenticator, User
from resolvers import fixture_writer
from resolvers import fixtures as fixtures_module
from resolvers.demo_data import DEMO_PASSWORD, demo_fixture, demo_sign_ins
from resolvers.dicom import person_name, validate_modality, validate_uid
from resolvers.fixture_references import StoredRows
from resolvers.fixtures import FixtureError, add_months, load_fixtures

NOW = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
KEYRING = Keyring("fixture-tests-secret-key-0123456789-abcdef")

# The example of HTTP.md, "Data file (`load-fixtures`)", verbatim.
HTTP_MD_EXAMPLE: dict[str, Any] = {
    "environments": [
        {"code": "BE", "name": "Belgium", "country": "BE",
         "portalUrl": "https://be.studygate.example", "eidLoginEnabled": True},
        {"code": "NL", "name": "Netherlands", "country": "NL",
         "portalUrl": "https://nl.studygate.example", "eidLoginEnabled": False},
    ],
    "institutions": [
        {"code": "AZX", "name": "AZ Example", "environment": "BE",
         "policy": {"practitionerImages": True, "practitionerReport": True,
                    "patientImages": True, "patientReport": True,
                    "patientReportDelayHours": 0,
                    "patientFee": {"amount": "12.50", "currency": "EUR"}}},
    ],
    "users": [
        {"username": "an.peeters@example.be", "password": "correct horse battery",
         "displayName": "Dr. An Peeters", "profession": "PHYSICIAN",
         "role": "PRACTITIONER", "status": "ACTIVE", "environment": "BE",
         "phoneNumber": "+32470000001", "eidSubject": "85073100123",
         "totpSecrets": ["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"]},
    ],
    "groups": [
        {"name": "Praktijk Zuid", "environment": "BE",
         "primaryContact": "an.peeters@example.be",
         "members": [
             {"username": "an.peeters@example.be", "administrator": True,
              "confirmedAt": "2026-10-01T08:00:00+00:00"},
         ]},
    ],
    "studies": [
        {"institution": "AZX", "studyInstanceUid": "1.2.826.0.1.3680043.8.498.1",
         "accessionNumber": "ACC0001", "studyDate": "2026-11-20",
         "description": "CT thorax", "modalities": ["CT"],
         "patient": {"name": "Janssens^Marie", "birthDate": "1980-02-03",
                     "sex": "F", "patientId": "P0001"},
         "referringPhysician": "an.peeters@example.be", "copyTo": [],
         "availableForPatientAt": None,
         "series": [{"seriesInstanceUid": "1.2.826.0.1.3680043.8.498.1.1",
                     "modality": "CT", "description": "Axial 1mm",
                     "bodyPart": "CHEST", "numberOfInstances": 240}],
         "report": {"status": "FINAL", "text": "No abnormalities.",
                    "author": "Dr. R. Radiologist",
                    "signedAt": "2026-11-20T15:00:00+00:00"}},
    ],
    "patientAccesses": [
        {"accessCode": "K7QM-4XWT-9HBD-2RPF", "institution": "AZX",
         "studies": ["1.2.826.0.1.3680043.8.498.1"],
         "dateOfBirth": "1980-02-03", "verification": "SMS",
         "scope": "IMAGES_AND_REPORT", "phoneNumber": "+32470000002",
         "email": None, "totpSecret": None, "paymentRequired": True,
         "paid": False, "validFrom": None, "validUntil": "2026-12-28T00:00:00+00:00"},
    ],
    "apiClients": [
        {"name": "AZ Example PACS", "institution": "AZX",
         "token": "sgt_example_token_change_me",
         "scopes": ["studies:read", "studies:write", "reports:read",
                    "patient-access:write"]},
    ],
}
CLEAR_SECRETS = ("correct horse battery", "K7QM4XWT9HBD2RPF", "K7QM-4XWT-9HBD-2RPF",
                 "sgt_example_token_change_me", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


def example() -> dict[str, Any]:
    return copy.deepcopy(HTTP_MD_EXAMPLE)


def tables() -> list[str]:
    return sorted(model._meta.db_table for model in Tortoise.apps.get_models_iterable())


async def row_counts() -> dict[str, int]:
    """Rows per table, for the tables that have any."""
    connection = get_connection("default")
    counts = {}
    for table in tables():
        rows = await connection.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')
        counts[table] = rows[0]["n"]
    return {table: n for table, n in counts.items() if n}


async def stored_text() -> str:
    """Every stored row of every table, as one string."""
    connection = get_connection("default")
    dumps = [str(await connection.execute_query_dict(f'SELECT * FROM "{t}"')) for t in tables()]
    return "\n".join(dumps)


async def load_expecting_error(data: Any) -> str:
    with pytest.raises(FixtureError) as caught:
        await load_fixtures(data, KEYRING, NOW)
    return str(caught.value)


# ------------------------------------------------------------------ the HTTP.md example


async def test_load_fixtures_loads_the_http_md_example_and_counts_each_key(db):
    counts = await load_fixtures(example(), KEYRING, NOW)

    assert counts == {"environments": 2, "institutions": 1, "users": 1, "groups": 1,
                      "studies": 1, "patientAccesses": 1, "apiClients": 1}
    assert await row_counts() == {
        "environment": 2, "institution": 1, "user_account": 1, "authenticator": 1,
        "practice_group": 1, "group_membership": 1, "study": 1, "series": 1,
        "report_version": 1, "patient_access": 1, "patient_access_study": 1, "api_client": 1,
    }


async def test_load_fixtures_stores_passwords_codes_tokens_hashed_and_totp_secrets_encrypted(db):
    await load_fixtures(example(), KEYRING, NOW)

    dump = await stored_text()
    for secret in CLEAR_SECRETS:
        assert secret not in dump
    user = await User.get(username="an.peeters@example.be")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "correct horse battery")
    access = await PatientAccess.get()
    assert access.code_hash == KEYRING.token_hash(normalize_access_code("k7qm 4xwt-9hbd-2rpf"))
    client = await ApiClient.get()
    assert client.token_hash == KEYRING.token_hash("sgt_example_token_change_me")
    authenticator = await Authenticator.get(user=user)
    assert KEYRING.decrypt(authenticator.secret_encrypted) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


async def test_load_fixtures_maps_every_field_of_the_example(db):
    await load_fixtures(example(), KEYRING, NOW)

    be = await Environment.get(code="BE")
    assert (be.name, be.country, be.portal_url, be.eid_login_enabled) == (
        "Belgium", "BE", "https://be.studygate.example", True)
    assert not (await Environment.get(code="NL")).eid_login_enabled
    azx = await Institution.get(code="AZX")
    assert azx.environment_id == be.id
    assert (azx.patient_fee_amount, azx.patient_fee_currency) == (Decimal("12.50"), "EUR")
    user = await User.get(username_key="an.peeters@example.be")
    assert (user.environment_id, user.display_name, user.role, user.status) == (
        be.id, "Dr. An Peeters", AccountRole.PRACTITIONER, AccountStatus.ACTIVE)
    assert (user.phone_number, user.eid_subject) == ("+32470000001", "85073100123")
    group = await Group.get(name="Praktijk Zuid")
    assert group.primary_contact_id == user.id
    membership = await GroupMembership.get(group=group)
    assert membership.is_administrator
    assert membership.confirmed_at == datetime(2026, 10, 1, 8, tzinfo=UTC)

    study = await Study.get(study_instance_uid="1.2.826.0.1.3680043.8.498.1")
    assert (study.environment_id, study.institution_id) == (be.id, azx.id)
    assert study.patient_name == "Marie Janssens"
    assert (study.patient_birth_date, study.patient_sex, study.patient_id) == (
        date(1980, 2, 3), "F", "P0001")
    assert study.modalities_key == "|CT|"
    assert (study.number_of_series, study.number_of_instances) == (1, 240)
    assert study.report_status is ReportStatus.FINAL
    assert study.referring_physician_id == user.id
    assert study.created_at == study.updated_at == NOW
    series = await Series.get(study=study)
    assert (series.modality, series.body_part, series.number_of_instances) == ("CT", "CHEST", 240)
    report = await ReportVersion.get(study=study)
    assert (report.version, report.status, report.author) == (1, ReportStatus.FINAL,
                                                               "Dr. R. Radiologist")
    assert report.signed_at == datetime(2026, 11, 20, 15, tzinfo=UTC)

    access = await PatientAccess.get()
    assert (access.environment_id, access.institution_id) == (be.id, azx.id)
    assert access.patient_name == "Marie Janssens"
    assert access.verification is PatientVerification.SMS
    assert (access.payment_required, access.paid) == (True, False)
    assert access.valid_until == datetime(2026, 12, 28, tzinfo=UTC)
    assert await PatientAccessStudy.filter(patient_access=access, study=study).exists()
    client = await ApiClient.get()
    assert (client.environment_id, client.institution_id) == (be.id, azx.id)
    assert client.scopes == ["studies:read", "studies:write", "reports:read",
                             "patient-access:write"]


async def test_load_fixtures_defaults_confirmed_at_and_valid_until_from_the_load_time(db):
    data = example()
    del data["groups"][0]["members"][0]["confirmedAt"]
    data["patientAccesses"][0]["validUntil"] = None

    await load_fixtures(data, KEYRING, NOW)

    assert (await GroupMembership.get()).confirmed_at == NOW
    assert (await PatientAccess.get()).valid_until == datetime(2026, 12, 28, 9, 15, tzinfo=UTC)


async def test_load_fixtures_reads_null_lists_as_empty_and_modalities_from_series(db):
    data = example()
    data["users"][0]["totpSecrets"] = None
    data["studies"][0]["copyTo"] = None
    data["studies"][0]["modalities"] = []
    data["apiClients"] = None

    counts = await load_fixtures(data, KEYRING, NOW)

    assert counts["apiClients"] == 0
    assert await Authenticator.all().count() == 0
    assert (await Study.get()).modalities_key == "|CT|"


async def test_load_fixtures_accepts_an_empty_file_and_any_subset_of_keys(db):
    assert set((await load_fixtures({}, KEYRING, NOW)).values()) == {0}
    counts = await load_fixtures({"environments": example()["environments"]}, KEYRING, NOW)
    assert counts["environments"] == 2
    assert await Environment.all().count() == 2


async def test_load_fixtures_resolves_references_to_rows_already_in_the_database(db):
    await load_fixtures(example(), KEYRING, NOW)
    second = {
        "users": [{"username": "bart.claes@example.be", "password": "another long password",
                   "displayName": "Dr. Bart Claes", "profession": "DENTIST", "environment": "BE"}],
        "groups": [{"name": "Tandartsen", "environment": "BE",
                    "primaryContact": "bart.claes@example.be",
                    "members": [{"username": "bart.claes@example.be", "administrator": True},
                                {"username": "An.Peeters@Example.be"}]}],
        "studies": [{"institution": "AZX", "studyInstanceUid": "1.2.3.4", "studyDate": "2026-11-27",
                     "modalities": ["CR"], "patient": {"name": "Janssens^Marie"},
                     "referringPhysician": "AN.PEETERS@example.be",
                     "copyTo": ["bart.claes@example.be"]}],
        "patientAccesses": [{"accessCode": "ACDE-FGHJ-KMNP-QRTW", "institution": "AZX",
                             "studies": ["1.2.826.0.1.3680043.8.498.1", "1.2.3.4"],
                             "dateOfBirth": "1980-02-03", "verification": "DATE_OF_BIRTH_ONLY"}],
        "apiClients": [{"name": "Read only", "institution": "AZX",
                        "token": "sgt_second_token_0123456789", "scopes": ["studies:read"]}],
    }

    counts = await load_fixtures(second, KEYRING, NOW)

    assert counts["studies"] == counts["groups"] == 1
    an = await User.get(username_key="an.peeters@example.be")
    study = await Study.get(study_instance_uid="1.2.3.4")
    assert study.referring_physician_id == an.id
    assert await StudyCopyTo.filter(study=study, user__username="bart.claes@example.be").exists()
    assert await GroupMembership.filter(group__name="Tandartsen", user=an).exists()
    access = await PatientAccess.get(code_hash=KEYRING.token_hash("ACDEFGHJKMNPQRTW"))
    assert await PatientAccessStudy.filter(patient_access=access).count() == 2
    assert access.patient_name == "Marie Janssens"
    assert access.scope is PatientScope.IMAGES_AND_REPORT


# ------------------------------------------------------------------ bad files change nothing

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mutation:
    """A mutation of the example: set the value at a dotted path ("studies.0.studyDate")."""
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = data
        for part in parents:
            target = target[part]
        target[last] = value
    return mutate


def _add_user(username: str, **fields: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["users"].append({"username": username, "password": "a long enough password",
                              "displayName": "Someone", "environment": "BE", **fields})
    return mutate


def _append(key: str, make: Callable[[dict[str, Any]], dict[str, Any]]) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[key].append(make(data))
    return mutate


BAD_FILES = [  # (id, mutation of the example, what the error must say)
    ("wrong_type", _set("studies.0.series.0.numberOfInstances", "240"),
     'studies[0].series[0].numberOfInstances: expected an integer, got "240"'),
    ("boolean_as_string", _set("environments.1.eidLoginEnabled", "false"),
     "environments[1].eidLoginEnabled: expected true or false"),
    ("object_expected", _set("studies.0.patient", "Janssens^Marie"),
     "studies[0].patient: expected an object"),
    ("unknown_field", _set("users.0.nickname", "An"), "users[0].nickname: unknown field"),
    ("snake_case_key", _set("environments.0.portal_url", "https://x.example"),
     "environments[0].portal_url: unknown field"),
    ("unknown_top_level_key", _set("patients", []), "patients: unknown field"),
    ("missing_field", _set("studies.0.patient", {"birthDate": "1980-02-03"}),
     "studies[0].patient.name: required field is missing"),
    ("unknown_environment", _set("institutions.0.environment", "FR"),
     'institutions[0].environment: unknown environment "FR"'),
    ("unknown_institution", _set("studies.0.institution", "NOPE"),
     'studies[0].institution: unknown institution "NOPE"'),
    ("unknown_member", lambda d: d["groups"][0]["members"].append({"username": "x@y"}),
     'groups[0].members[1].username: unknown user "x@y" in environment BE'),
    ("user_of_another_environment",
     lambda d: (_add_user("nl.doc@example.nl", environment="NL")(d),
                _set("studies.0.copyTo", ["nl.doc@example.nl"])(d)),
     'studies[0].copyTo[0]: unknown user "nl.doc@example.nl" in environment BE'),
    ("service_desk_as_referring_physician",
     lambda d: (_add_user("desk@example.be", role="SERVICE_DESK")(d),
                _set("studies.0.referringPhysician", "desk@example.be")(d)),
     'studies[0].referringPhysician: "desk@example.be" is a SERVICE_DESK account'),
    ("unknown_study_uid", _set("patientAccesses.0.studies", ["1.2.3"]),
     'patientAccesses[0].studies[0]: unknown study "1.2.3" at institution AZX'),
    ("time_without_offset", _set("patientAccesses.0.validUntil", "2026-12-28T00:00:00"),
     'patientAccesses[0].validUntil: time "2026-12-28T00:00:00" has no UTC offset'),
    ("confirmed_at_without_offset", _set("groups.0.members.0.confirmedAt", "2026-10-01T08:00:00"),
     'groups[0].members[0].confirmedAt: time "2026-10-01T08:00:00" has no UTC offset'),
    ("invalid_date", _set("studies.0.studyDate", "2026-13-01"),
     'studies[0].studyDate: invalid date "2026-13-01"'),
    ("date_with_time", _set("patientAccesses.0.dateOfBirth", "1980-02-03T00:00:00+00:00"),
     "patientAccesses[0].dateOfBirth: invalid date"),
    ("wrong_enum_value", _set("users.0.profession", "DOCTOR"),
     "users[0].profession: expected 'PHYSICIAN', 'DENTIST' or 'SPECIALIST', got \"DOCTOR\""),
    ("enum_in_lower_case", _set("patientAccesses.0.verification", "sms"),
     "patientAccesses[0].verification: expected"),
    ("report_status_none", _set("studies.0.report.status", "NONE"),
     "studies[0].report.status: expected 'PRELIMINARY', 'FINAL' or 'AMENDED'"),
    ("duplicate_username", _add_user("AN.PEETERS@example.be"),
     ('users[1].username: duplicate username "AN.PEETERS@example.be" in environment BE '
      "(also users[0])")),
    ("duplicate_environment", _append("environments", lambda d: dict(d["environments"][0])),
     'environments[2].code: duplicate environment "BE" (also environments[0])'),
    ("duplicate_study_uid", _append("studies", lambda d: copy.deepcopy(d["studies"][0])),
     'studies[1].studyInstanceUid: duplicate study "1.2.826.0.1.3680043.8.498.1"'),
    ("duplicate_access_code",
     _append("patientAccesses",
             lambda d: {**d["patientAccesses"][0], "accessCode": "k7qm 4xwt 9hbd 2rpf"}),
     "patientAccesses[1].accessCode: duplicate access code (also patientAccesses[0])"),
    ("primary_contact_not_administrator", _set("groups.0.members.0.administrator", False),
     'groups[0].primaryContact: "an.peeters@example.be" must be an administrator'),
    ("primary_contact_not_member", _set("groups.0.primaryContact", "someone@example.be"),
     'groups[0].primaryContact: "someone@example.be" is not a member'),
    ("invalid_study_uid", _set("studies.0.studyInstanceUid", "1.02.3"),
     'studies[0].studyInstanceUid: invalid DICOM UID "1.02.3"'),
    ("invalid_series_uid", _set("studies.0.series.0.seriesInstanceUid", "1.2.abc"),
     'studies[0].series[0].seriesInstanceUid: invalid DICOM UID "1.2.abc"'),
    ("no_modality_at_all",
     lambda d: (_set("studies.0.modalities", [])(d), _set("studies.0.series", [])(d)),
     "studies[0].modalities: give at least one modality"),
    ("invalid_modality", _set("studies.0.modalities", ["ct"]),
     'studies[0].modalities[0]: invalid modality "ct"'),
    ("unknown_scope", _set("apiClients.0.scopes", ["studies:delete"]),
     'apiClients[0].scopes[0]: unknown scope "studies:delete"'),
    ("sms_without_phone_number", _set("patientAccesses.0.phoneNumber", None),
     "patientAccesses[0].phoneNumber: required for SMS verification"),
    ("email_without_address", _set("patientAccesses.0.verification", "EMAIL"),
     "patientAccesses[0].email: required for EMAIL verification"),
    ("totp_without_secret", _set("patientAccesses.0.verification", "TOTP"),
     "patientAccesses[0].totpSecret: required for TOTP verification"),
    ("phone_not_e164", _set("patientAccesses.0.phoneNumber", "0470 00 00 02"),
     'patientAccesses[0].phoneNumber: invalid phone number "0470 00 00 02"'),
    ("amount_as_number", _set("institutions.0.policy.patientFee.amount", 12.5),
     "institutions[0].policy.patientFee.amount: invalid amount 12.5"),
    ("amount_with_three_decimals", _set("institutions.0.policy.patientFee.amount", "12.505"),
     'institutions[0].policy.patientFee.amount: invalid amount "12.505"'),
    ("unknown_currency", _set("institutions.0.policy.patientFee.currency", "EURO"),
     'institutions[0].policy.patientFee.currency: invalid currency "EURO"'),
    ("three_letter_country", _set("environments.0.country", "BEL"),
     'environments[0].country: invalid country "BEL"'),
    ("valid_from_after_valid_until", _set("patientAccesses.0.validFrom", "2027-01-01T00:00:00Z"),
     "patientAccesses[0].validFrom: must be before validUntil"),
    ("short_access_code", _set("patientAccesses.0.accessCode", "AB-CD"),
     "patientAccesses[0].accessCode: invalid access code"),
    ("invalid_totp_secret", _set("users.0.totpSecrets", ["not base32!"]),
     "users[0].totpSecrets[0]: invalid TOTP secret"),
]


@pytest.mark.parametrize(
    "mutate, expected", [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES]
)
async def test_load_fixtures_rejects_a_bad_entry_naming_it_and_writes_nothing(db, mutate, expected):
    data = example()
    mutate(data)

    message = await load_expecting_error(data)

    assert expected in message
    assert await row_counts() == {}


async def test_load_fixtures_rejects_a_file_that_is_not_an_object(db):
    assert "must be a JSON object" in await load_expecting_error([example()])
    assert await row_counts() == {}


async def test_load_fixtures_lists_every_problem_of_the_file_at_once(db):
    data = example()
    data["studies"][0]["studyDate"] = "2026-13-01"
    data["users"][0]["profession"] = "DOCTOR"

    problems = (await load_expecting_error(data)).splitlines()

    assert [p.split(":")[0] for p in problems] == ["users[0].profession", "studies[0].studyDate"]


async def test_load_fixtures_never_quotes_a_secret_in_an_error(db):
    data = example()
    data["users"][0]["password"] = 123456789
    data["apiClients"][0]["token"] = "short secret"
    data["patientAccesses"][0]["accessCode"] = "SECRET?"

    message = await load_expecting_error(data)

    assert "users[0].password: expected a string" in message
    assert "apiClients[0].token: invalid token" in message
    for secret in ("123456789", "short secret", "SECRET?"):
        assert secret not in message


async def test_load_fixtures_refuses_duplicates_of_database_rows_and_adds_nothing(db):
    await load_fixtures(example(), KEYRING, NOW)
    before = await row_counts()

    message = await load_expecting_error(example())

    for line in ('environments[0].code: environment "BE" already exists in the database',
                 'institutions[0].code: institution "AZX" already exists in the database',
                 ('users[0].username: username "an.peeters@example.be" in environment BE '
                  "already exists"),
                 'studies[0].studyInstanceUid: study "1.2.826.0.1.3680043.8.498.1" already exists',
                 "patientAccesses[0].accessCode: access code already exists",
                 "apiClients[0].token: token already exists"):
        assert line in message
    assert await row_counts() == before


async def test_load_fixtures_error_in_the_last_entry_leaves_nothing_of_earlier_entries(db):
    data = demo_fixture(NOW)
    data["apiClients"][-1]["institution"] = "NOPE"

    message = await load_expecting_error(data)

    last = len(data["apiClients"]) - 1
    assert f'apiClients[{last}].institution: unknown institution "NOPE"' in message
    assert await row_counts() == {}


async def test_load_fixtures_rolls_back_everything_when_the_last_insert_fails(db, monkeypatch):
    class FailingApiClient:
        @staticmethod
        async def create(**fields: Any) -> None:
            raise RuntimeError("disk full")

    monkeypatch.setattr(fixture_writer, "ApiClient", FailingApiClient)

    with pytest.raises(RuntimeError, match="disk full"):
        await load_fixtures(example(), KEYRING, NOW)
    assert await row_counts() == {}


async def test_load_fixtures_turns_a_duplicate_the_checks_missed_into_a_fixture_error(
    db, monkeypatch
):
    # As if another process loaded the same rows between our checks and our transaction.
    await load_fixtures(example(), KEYRING, NOW)
    before = await row_counts()

    async def nothing_stored(*args: Any) -> StoredRows:
        return StoredRows([], [], [], [], set(), set())

    monkeypatch.setattr(fixtures_module, "read_stored_rows", nothing_stored)

    assert "the database refused the data" in await load_expecting_error(example())
    assert await row_counts() == before


# ------------------------------------------------------------------ the demo data set


async def test_demo_fixture_loads_with_200_belgian_studies_every_report_status_and_verification(db):
    fixture = demo_fixture(NOW)

    counts = await load_fixtures(fixture, KEYRING, NOW)

    assert counts["studies"] == await Study.all().count()
    assert await Study.filter(environment__code="BE").count() >= 200
    assert 15 <= await Study.filter(environment__code="NL").count() <= 25
    assert set(await Study.all().values_list("report_status", flat=True)) == set(ReportStatus)
    verifications = await PatientAccess.all().values_list("verification", flat=True)
    assert set(verifications) == set(PatientVerification)
    assert await PatientAccess.filter(scope=PatientScope.IMAGES).exists()
    assert await PatientAccess.filter(payment_required=True, paid=False).exists()
    assert set(await Study.all().values_list("number_of_series", flat=True)) >= {0, 1, 6}
    assert await Study.filter(modalities_key__contains="|MG|").exists()
    assert await StudyCopyTo.all().count() > 0
    assert {c.scopes_text for c in await ApiClient.all()} == {
        "studies:read,studies:write,reports:read,patient-access:write", "studies:read"}


async def test_demo_fixture_accounts_cover_every_state_and_shared_groups(db):
    await load_fixtures(demo_fixture(NOW), KEYRING, NOW)

    be_practitioners = User.filter(environment__code="BE", role=AccountRole.PRACTITIONER)
    assert await be_practitioners.count() >= 8
    professions = await be_practitioners.values_list("profession", flat=True)
    assert set(professions) == {"PHYSICIAN", "DENTIST", "SPECIALIST"}
    assert await User.filter(environment__code="BE", role=AccountRole.SERVICE_DESK).exists()
    assert await User.filter(status=AccountStatus.PENDING_APPROVAL).count() == 1
    assert await User.filter(status=AccountStatus.DISABLED).count() == 1
    assert await User.filter(environment__code="NL").count() == 2
    assert await Authenticator.all().count() == 1
    memberships = await GroupMembership.all()
    per_user: dict[int, int] = {}
    for m in memberships:
        per_user[m.user_id] = per_user.get(m.user_id, 0) + 1
    assert sum(1 for n in per_user.values() if n == 2) >= 2
    lapse_line = add_months(NOW, -3) - timedelta(days=30)
    assert sum(1 for m in memberships if m.confirmed_at < lapse_line) == 1
    fresh = [m for m in memberships if m.confirmed_at >= lapse_line]
    assert all(m.confirmed_at > add_months(NOW, -3) for m in fresh)
    hashed = (await User.get(username="an.peeters@example.be")).password_hash
    assert verify_password(hashed, DEMO_PASSWORD)


async def test_demo_access_codes_and_tokens_are_fixed_and_printed_in_the_sign_ins(db):
    fixture = demo_fixture(NOW)
    assert fixture == demo_fixture(NOW)  # deterministic
    text = demo_sign_ins(fixture)

    assert len(DEMO_PASSWORD) >= 12 and DEMO_PASSWORD in text
    for user in fixture["users"]:
        assert user["username"] in text
    for access in fixture["patientAccesses"]:
        assert re.fullmatch(rf"([{ACCESS_CODE_ALPHABET}]{{4}}-){{3}}[{ACCESS_CODE_ALPHABET}]{{4}}",
                            access["accessCode"])
        assert access["accessCode"] in text and access["dateOfBirth"] in text
    for client in fixture["apiClients"]:
        assert client["token"].startswith("sgt_demo_") and client["token"] in text


async def test_demo_patient_codes_sign_in_to_their_own_patients_studies(db):
    fixture = demo_fixture(NOW)
    await load_fixtures(fixture, KEYRING, NOW)

    for entry in fixture["patientAccesses"]:
        code_hash = KEYRING.token_hash(normalize_access_code(entry["accessCode"]))
        access = await PatientAccess.get(code_hash=code_hash)
        studies = await Study.filter(patient_links__patient_access=access)
        assert studies and {s.patient_birth_date for s in studies} == {access.date_of_birth}
        assert {s.patient_name for s in studies} == {access.patient_name}


# ------------------------------------------------------------------ DICOM helpers


@pytest.mark.parametrize(
    "uid", ["1.2.840.10008.1.2", "0", "0.0.10", "2.25." + "9" * 39, "1." * 31 + "1"]
)
def test_validate_uid_accepts_dicom_uids(uid):
    assert validate_uid(uid) == uid


@pytest.mark.parametrize("uid, reason", [
    ("", "must not be empty"), ("1..2", "single dots"), (".1", "single dots"),
    ("1.", "single dots"), ("1.02", "leading zeros"), ("1.2.a", "digits"), (" 1.2", "digits"),
    ("1." * 32 + "1", "at most 64"),
    (123, "must be a string"),
])
def test_validate_uid_rejects_malformed_uids_with_a_reason(uid, reason):
    with pytest.raises(ValueError, match=reason):
        validate_uid(uid)


@pytest.mark.parametrize("pn, display", [
    ("Janssens^Marie", "Marie Janssens"),
    ("Janssens^Marie^Louise^Dr.^PhD", "Dr. Marie Louise Janssens PhD"),
    ("de Jong^Sanne", "Sanne de Jong"),
    ("Janssens^^^Mevr.", "Mevr. Janssens"),
    ("^Marie", "Marie"),
    ("Marie Janssens", "Marie Janssens"),
    (" Janssens ^ Marie ", "Marie Janssens"),
    ("Yamada^Tarou=山田^太郎", "Tarou Yamada"),
])
def test_person_name_turns_dicom_pn_into_a_display_name(pn, display):
    assert person_name(pn) == display


@pytest.mark.parametrize("pn", ["", "   ", "^^^", "a^b^c^d^e^f", None])
def test_person_name_rejects_empty_or_malformed_names(pn):
    with pytest.raises(ValueError):
        person_name(pn)


@pytest.mark.parametrize("modality", ["CT", "MR", "US", "CR", "MG", "PT", "A" * 16, "3D"])
def test_validate_modality_accepts_codes(modality):
    assert validate_modality(modality) == modality


@pytest.mark.parametrize("modality", ["", "ct", "C T", "A" * 17, "CT-1", None])
def test_validate_modality_rejects_other_values(modality):
    with pytest.raises(ValueError, match="invalid modality"):
        validate_modality(modality)
