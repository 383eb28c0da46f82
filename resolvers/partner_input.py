"""Checking what a partner sends (P3, S3): every bad value is BAD_USER_INPUT naming its argument.

The dataclasses mirror the GraphQL inputs (StudyInput, ReportInput); `check_study` and
`check_report` return the values as they are stored, so that an upsert can compare them with
the stored row and write nothing when nothing changed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from models.studies import ReportStatus
from resolvers.dicom import person_name, validate_modality, validate_uid
from resolvers.errors import bad_input
from resolvers.fixture_writer import username_key

OLDEST_DATE = date(1900, 1, 1)
MAX_REPORT_TEXT = 100_000
MAX_INSTANCES = 1_000_000
MAX_SERIES = 2_000
MAX_PHYSICIANS = 100
SEXES = ("M", "F", "O")  # DICOM (0010,0040): male, female, other
MODALITIES_KEY_MAX = 100  # Study.modalities_key column


@dataclass(frozen=True)
class SeriesData:
    series_instance_uid: str
    modality: str
    number_of_instances: int
    description: str | None = None
    body_part: str | None = None


@dataclass(frozen=True)
class PatientData:
    name: str
    birth_date: date
    sex: str | None = None
    patient_id: str | None = None


@dataclass(frozen=True)
class StudyData:
    """StudyInput. `copy_to_usernames` and `series` left out (None) keep what is stored."""

    study_instance_uid: str
    study_date: date
    modalities: list[str]
    patient: PatientData
    accession_number: str | None = None
    description: str | None = None
    referring_physician_username: str | None = None
    copy_to_usernames: list[str] | None = None
    series: list[SeriesData] | None = None
    available_for_patient_at: datetime | None = None


@dataclass(frozen=True)
class ReportData:
    study_instance_uid: str
    status: ReportStatus
    text: str
    author: str
    signed_at: datetime | None = None


# A series as stored and compared: (uid, modality, description, body part, instances).
SeriesRow = tuple[str, str, str | None, str | None, int]


@dataclass(frozen=True)
class CheckedStudy:
    uid: str
    columns: dict[str, Any]  # Study columns set from the input (not the counts or times)
    referring_key: str | None  # User.username_key
    copy_to_keys: list[str] | None
    series: list[SeriesRow] | None


def check_uid(value: str, argument: str) -> str:
    try:
        return validate_uid(value)
    except ValueError as exc:
        raise bad_input(argument, str(exc)) from None


def check_text(value: str | None, argument: str, max_length: int, required: bool = False,
               multiline: bool = False) -> str | None:
    """Trimmed text without control characters (newlines allowed when `multiline`); an empty
    optional value is None."""
    text = (value or "").strip()
    if not text:
        if required:
            raise bad_input(argument, "must not be empty")
        return None
    if len(text) > max_length:
        raise bad_input(argument, f"at most {max_length} characters")
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise bad_input(argument, "must not contain control characters")
    return text


def check_date(value: date, argument: str, today: date) -> date:
    """A calendar date from 1900 up to tomorrow (a study or birth date is never later)."""
    if not OLDEST_DATE <= value <= today + timedelta(days=1):
        raise bad_input(argument, f"{value.isoformat()} is not a plausible date "
                        f"(1900-01-01 to {today.isoformat()})")
    return value


def _person_name(value: str, argument: str) -> str:
    try:
        name = person_name(value)
    except ValueError as exc:
        raise bad_input(argument, str(exc)) from None
    return check_text(name, argument, 200, required=True) or ""


def _modalities(values: list[str], series: list[SeriesRow] | None) -> str:
    codes = []
    for index, value in enumerate(values):
        try:
            codes.append(validate_modality(value.strip().upper()))
        except ValueError as exc:
            raise bad_input(f"input.modalities[{index}]", str(exc)) from None
    codes = list(dict.fromkeys(codes or [s[1] for s in series or []]))
    if not codes:
        raise bad_input("input.modalities", "give at least one modality (or a series)")
    key = "|" + "|".join(codes) + "|"
    if len(key) > MODALITIES_KEY_MAX:
        raise bad_input("input.modalities", "too many modalities")
    return key


def _series(values: list[SeriesData]) -> list[SeriesRow]:
    if len(values) > MAX_SERIES:
        raise bad_input("input.series", f"at most {MAX_SERIES} series")
    rows: list[SeriesRow] = []
    seen: dict[str, int] = {}
    for index, s in enumerate(values):
        path = f"input.series[{index}]"
        uid = check_uid(s.series_instance_uid, f"{path}.seriesInstanceUid")
        if uid in seen:
            raise bad_input(f"{path}.seriesInstanceUid",
                            f'duplicate series UID "{uid}" (also series[{seen[uid]}])')
        seen[uid] = index
        try:
            modality = validate_modality(s.modality.strip().upper())
        except ValueError as exc:
            raise bad_input(f"{path}.modality", str(exc)) from None
        if not 0 <= s.number_of_instances <= MAX_INSTANCES:
            raise bad_input(f"{path}.numberOfInstances", f"must be 0 to {MAX_INSTANCES}")
        rows.append((uid, modality, check_text(s.description, f"{path}.description", 300),
                     check_text(s.body_part, f"{path}.bodyPart", 64), s.number_of_instances))
    return rows


def _usernames(values: list[str], argument: str) -> list[str]:
    if len(values) > MAX_PHYSICIANS:
        raise bad_input(argument, f"at most {MAX_PHYSICIANS} usernames")
    keys = [username_key(check_text(v, f"{argument}[{i}]", 254, required=True) or "")
            for i, v in enumerate(values)]
    return list(dict.fromkeys(keys))  # a name listed twice is one copy


def check_study(data: StudyData, today: date) -> CheckedStudy:
    """Every field of a StudyInput, in input order; the first bad one raises BAD_USER_INPUT."""
    uid = check_uid(data.study_instance_uid, "input.studyInstanceUid")
    patient = data.patient
    series = _series(data.series) if data.series is not None else None
    sex = (patient.sex or "").strip().upper() or None
    if sex is not None and sex not in SEXES:
        raise bad_input("input.patient.sex", "M, F or O (DICOM patient sex)")
    columns = {
        "accession_number": check_text(data.accession_number, "input.accessionNumber", 64),
        "study_date": check_date(data.study_date, "input.studyDate", today),
        "description": check_text(data.description, "input.description", 300),
        "modalities_key": _modalities(data.modalities, series),
        "patient_name": _person_name(patient.name, "input.patient.name"),
        "patient_birth_date": check_date(patient.birth_date, "input.patient.birthDate", today),
        "patient_sex": sex,
        "patient_id": check_text(patient.patient_id, "input.patient.patientId", 64),
        "available_for_patient_at": data.available_for_patient_at,
    }
    referring = data.referring_physician_username
    return CheckedStudy(
        uid=uid,
        columns=columns,
        referring_key=username_key(check_text(
            referring, "input.referringPhysicianUsername", 254) or "") or None,
        copy_to_keys=(_usernames(data.copy_to_usernames, "input.copyToUsernames")
                      if data.copy_to_usernames is not None else None),
        series=series,
    )


def check_report(data: ReportData, now: datetime) -> ReportData:
    """The report as stored: trimmed text and author, signedAt not in the future."""
    uid = check_uid(data.study_instance_uid, "input.studyInstanceUid")
    if data.status == ReportStatus.NONE:
        raise bad_input("input.status", "NONE is no report: publish PRELIMINARY, FINAL or AMENDED")
    # A few minutes of clock difference between the partner and us are tolerated.
    if data.signed_at is not None and data.signed_at > now + timedelta(minutes=5):
        raise bad_input("input.signedAt", "must not be in the future")
    return ReportData(
        study_instance_uid=uid, status=data.status,
        text=check_text(data.text, "input.text", MAX_REPORT_TEXT, required=True,
                        multiline=True) or "",
        author=check_text(data.author, "input.author", 200, required=True) or "",
        signed_at=data.signed_at,
    )
