"""The data file of `studygate load-fixtures` (HTTP.md, "Data file") as pydantic models.

Keys are camelCase exactly as in HTTP.md, unknown keys are refused, and scalars are strict
(no "240" for 240, no 1 for true); the value types live in `fixture_values`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from models.patients import PatientScope, PatientVerification
from models.users import AccountRole, AccountStatus, Profession
from resolvers.fixture_values import (
    AccessCode,
    Amount,
    ApiToken,
    Count,
    Country,
    Currency,
    Date,
    Email,
    EnvironmentCode,
    Flag,
    InstitutionCode,
    Modality,
    NullIsEmpty,
    Password,
    PersonName,
    Phone,
    ReportText,
    Scope,
    Text50,
    Text64,
    Text100,
    Text200,
    Text300,
    Timestamp,
    TotpSecret,
    Uid,
    Url,
    Username,
)


class Entry(BaseModel):
    """Base of every entry: camelCase keys only, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


class EnvironmentEntry(Entry):
    code: EnvironmentCode
    name: Text100
    country: Country
    portal_url: Url
    eid_login_enabled: Flag = False


class FeeEntry(Entry):
    amount: Amount
    currency: Currency


class PolicyEntry(Entry):
    practitioner_images: Flag = True
    practitioner_report: Flag = True
    patient_images: Flag = True
    patient_report: Flag = True
    patient_report_delay_hours: Annotated[int, Field(strict=True, ge=0, le=24 * 366)] = 0
    patient_fee: FeeEntry | None = None


class InstitutionEntry(Entry):
    code: InstitutionCode
    name: Text200
    environment: EnvironmentCode
    policy: PolicyEntry = PolicyEntry()


class UserEntry(Entry):
    username: Username
    password: Password
    display_name: Text200
    profession: Profession | None = None
    role: AccountRole = AccountRole.PRACTITIONER
    status: AccountStatus = AccountStatus.ACTIVE
    environment: EnvironmentCode
    # `email` and `practitionerNumber` are additions to the HTTP.md example (User columns).
    email: Email | None = None
    phone_number: Phone | None = None
    practitioner_number: Text50 | None = None
    eid_subject: Text50 | None = None
    totp_secrets: Annotated[list[TotpSecret], NullIsEmpty, Field(max_length=5)] = []  # L12


class MemberEntry(Entry):
    username: Username
    administrator: Flag = False
    confirmed_at: Timestamp | None = None


class GroupEntry(Entry):
    name: Text200
    environment: EnvironmentCode
    primary_contact: Username
    members: Annotated[list[MemberEntry], NullIsEmpty, Field(min_length=1)]


class PatientEntry(Entry):
    name: PersonName
    birth_date: Date | None = None
    sex: Literal["M", "F", "O"] | None = None
    patient_id: Text64 | None = None


class SeriesEntry(Entry):
    series_instance_uid: Uid
    modality: Modality
    description: Text300 | None = None
    body_part: Text64 | None = None
    number_of_instances: Count


class ReportEntry(Entry):
    status: Literal["PRELIMINARY", "FINAL", "AMENDED"]
    text: ReportText
    author: Text200
    signed_at: Timestamp | None = None


class StudyEntry(Entry):
    institution: InstitutionCode
    study_instance_uid: Uid
    accession_number: Text64 | None = None
    study_date: Date
    description: Text300 | None = None
    modalities: Annotated[list[Modality], NullIsEmpty, Field(max_length=10)]
    patient: PatientEntry
    referring_physician: Username | None = None
    copy_to: Annotated[list[Username], NullIsEmpty] = []
    available_for_patient_at: Timestamp | None = None
    series: Annotated[list[SeriesEntry], NullIsEmpty] = []
    report: ReportEntry | None = None


class PatientAccessEntry(Entry):
    access_code: AccessCode
    institution: InstitutionCode
    studies: Annotated[list[Uid], NullIsEmpty, Field(min_length=1)]
    date_of_birth: Date
    verification: PatientVerification
    scope: PatientScope = PatientScope.IMAGES_AND_REPORT
    phone_number: Phone | None = None
    email: Email | None = None
    totp_secret: TotpSecret | None = None
    payment_required: Flag = False
    paid: Flag = False
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None


class ApiClientEntry(Entry):
    name: Text200
    institution: InstitutionCode
    token: ApiToken
    scopes: Annotated[list[Scope], NullIsEmpty, Field(min_length=1)]


class FixtureFile(Entry):
    """The whole data file; every top-level key is optional."""

    environments: Annotated[list[EnvironmentEntry], NullIsEmpty] = []
    institutions: Annotated[list[InstitutionEntry], NullIsEmpty] = []
    users: Annotated[list[UserEntry], NullIsEmpty] = []
    groups: Annotated[list[GroupEntry], NullIsEmpty] = []
    studies: Annotated[list[StudyEntry], NullIsEmpty] = []
    patient_accesses: Annotated[list[PatientAccessEntry], NullIsEmpty] = []
    api_clients: Annotated[list[ApiClientEntry], NullIsEmpty] = []


TOP_LEVEL_KEYS = tuple(field.alias or name for name, field in FixtureFile.model_fields.items())
# Field names whose values are secrets: their input is never quoted in an error.
SECRET_FIELDS = frozenset({"password", "accessCode", "token", "totpSecret", "totpSecrets"})
