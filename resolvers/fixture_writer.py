"""Step 3 of loading a data file: insert the checked entries through one transaction's connection.

Parents are created one by one (their ids are needed); leaf rows (series, reports, copy-to,
memberships, authenticators, access links) go in bulk. Nothing here validates: by the time
`write_fixture` runs, every reference resolves and no unique key is taken.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from auth.crypto import Keyring
from models.api_clients import ApiClient
from models.environments import Environment
from models.groups import Group, GroupMembership
from models.institutions import Institution
from models.patients import PatientAccess, PatientAccessStudy
from models.studies import ReportStatus, ReportVersion, Series, Study, StudyCopyTo
from models.users import Authenticator, User
from resolvers.fixture_schema import FixtureFile, StudyEntry

_BATCH = 200  # rows per INSERT in bulk_create


@dataclass(frozen=True)
class InstitutionRef:
    id: int
    environment_id: int
    environment_code: str


@dataclass
class Known:
    """Ids of rows the file refers to, keyed as the file names them; the writer adds its own."""

    environment_ids: dict[str, int] = field(default_factory=dict)
    institutions: dict[str, InstitutionRef] = field(default_factory=dict)
    user_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (env code, username key)
    study_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (institution, UID)
    patient_names: dict[tuple[str, str], str] = field(default_factory=dict)  # (institution, UID)


def add_months(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months later (earlier if negative), clamped to month end."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month0 = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def username_key(username: str) -> str:
    """User.username_key: how a username is matched, ignoring case (L1), as login does."""
    return username.strip().casefold()


def modalities_key(study: StudyEntry) -> str:
    """Study.modalities_key ("|CT|MR|"): the given modalities, else those of the series."""
    modalities = study.modalities or [s.modality for s in study.series]
    return "|" + "|".join(dict.fromkeys(modalities)) + "|"


async def write_fixture(
    fixture: FixtureFile,
    known: Known,
    password_hashes: list[str],
    keyring: Keyring,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> None:
    """Insert every entry of the checked `fixture` through `connection` (inside a transaction).

    `password_hashes` holds the argon2 hash of each user's password, in file order.
    """
    db: dict[str, Any] = {"using_db": connection}
    for env in fixture.environments:
        env_row = await Environment.create(
            code=env.code, name=env.name, country=env.country, portal_url=env.portal_url,
            eid_login_enabled=env.eid_login_enabled, **db,
        )
        known.environment_ids[env.code] = env_row.id
    for inst in fixture.institutions:
        policy, fee = inst.policy, inst.policy.patient_fee
        env_id = known.environment_ids[inst.environment]
        inst_row = await Institution.create(
            environment_id=env_id, code=inst.code, name=inst.name,
            practitioner_images=policy.practitioner_images,
            practitioner_report=policy.practitioner_report,
            patient_images=policy.patient_images, patient_report=policy.patient_report,
            patient_report_delay_hours=policy.patient_report_delay_hours,
            patient_fee_amount=fee.amount if fee else None,
            patient_fee_currency=fee.currency if fee else None, **db,
        )
        known.institutions[inst.code] = InstitutionRef(inst_row.id, env_id, inst.environment)
    await _write_users(fixture, known, password_hashes, keyring, now, db)
    await _write_groups(fixture, known, now, db)
    await _write_studies(fixture, known, now, db)
    await _write_patient_accesses(fixture, known, keyring, now, db)
    for client in fixture.api_clients:
        inst_ref = known.institutions[client.institution]
        await ApiClient.create(
            environment_id=inst_ref.environment_id, institution_id=inst_ref.id, name=client.name,
            token_hash=keyring.token_hash(client.token), scopes_text=",".join(client.scopes),
            created_at=now, **db,
        )


async def _write_users(
    fixture: FixtureFile, known: Known, password_hashes: list[str], keyring: Keyring,
    now: datetime, db: dict[str, Any],
) -> None:
    authenticators = []
    for user, password_hash in zip(fixture.users, password_hashes, strict=True):
        row = await User.create(
            environment_id=known.environment_ids[user.environment], username=user.username,
            username_key=username_key(user.username),
            # Usernames are e-mail addresses (RegisterInput): the mail goes there unless told.
            email=user.email or (user.username if "@" in user.username else None),
            password_hash=password_hash, display_name=user.display_name,
            profession=user.profession, role=user.role, status=user.status,
            phone_number=user.phone_number, practitioner_number=user.practitioner_number,
            eid_subject=user.eid_subject, created_at=now, **db,
        )
        known.user_ids[(user.environment, row.username_key)] = row.id
        authenticators += [
            Authenticator(user_id=row.id, label=f"Authenticator {n}",
                          secret_encrypted=keyring.encrypt(secret), created_at=now)
            for n, secret in enumerate(user.totp_secrets, start=1)
        ]
    await Authenticator.bulk_create(authenticators, batch_size=_BATCH, **db)


async def _write_groups(
    fixture: FixtureFile, known: Known, now: datetime, db: dict[str, Any]
) -> None:
    memberships = []
    for group in fixture.groups:
        env = group.environment
        row = await Group.create(
            environment_id=known.environment_ids[env], name=group.name, created_at=now,
            primary_contact_id=known.user_ids[(env, username_key(group.primary_contact))], **db,
        )
        for member in group.members:
            confirmed_at = member.confirmed_at or now
            memberships.append(GroupMembership(
                group_id=row.id, user_id=known.user_ids[(env, username_key(member.username))],
                is_administrator=member.administrator, confirmed_at=confirmed_at,
                # A membership confirmed in the past existed by then (G2 counts from either).
                created_at=min(confirmed_at, now),
            ))
    await GroupMembership.bulk_create(memberships, batch_size=_BATCH, **db)


async def _write_studies(
    fixture: FixtureFile, known: Known, now: datetime, db: dict[str, Any]
) -> None:
    series: list[Series] = []
    reports: list[ReportVersion] = []
    copies: list[StudyCopyTo] = []
    for study in fixture.studies:
        inst = known.institutions[study.institution]
        env = inst.environment_code
        referring = study.referring_physician
        referring_id = known.user_ids[(env, username_key(referring))] if referring else None
        row = await Study.create(
            environment_id=inst.environment_id, institution_id=inst.id,
            study_instance_uid=study.study_instance_uid,
            accession_number=study.accession_number, study_date=study.study_date,
            description=study.description, modalities_key=modalities_key(study),
            patient_name=study.patient.name,  # already a display name (PersonName)
            patient_birth_date=study.patient.birth_date, patient_sex=study.patient.sex,
            patient_id=study.patient.patient_id,
            referring_physician_id=referring_id,
            available_for_patient_at=study.available_for_patient_at,
            number_of_series=len(study.series),
            number_of_instances=sum(s.number_of_instances for s in study.series),
            report_status=ReportStatus(study.report.status) if study.report else ReportStatus.NONE,
            created_at=now, updated_at=now, **db,
        )
        key = (study.institution, study.study_instance_uid)
        known.study_ids[key] = row.id
        known.patient_names[key] = study.patient.name
        series += [
            Series(study_id=row.id, series_instance_uid=s.series_instance_uid, modality=s.modality,
                   description=s.description, body_part=s.body_part,
                   number_of_instances=s.number_of_instances)
            for s in study.series
        ]
        if study.report:
            report = study.report
            reports.append(ReportVersion(
                study_id=row.id, version=1, status=ReportStatus(report.status), text=report.text,
                author=report.author, signed_at=report.signed_at, created_at=now,
            ))
        copies += [
            StudyCopyTo(study_id=row.id, user_id=known.user_ids[(env, username_key(name))])
            for name in study.copy_to
        ]
    await Series.bulk_create(series, batch_size=_BATCH, **db)
    await ReportVersion.bulk_create(reports, batch_size=_BATCH, **db)
    await StudyCopyTo.bulk_create(copies, batch_size=_BATCH, **db)


async def _write_patient_accesses(
    fixture: FixtureFile, known: Known, keyring: Keyring, now: datetime, db: dict[str, Any]
) -> None:
    links = []
    for access in fixture.patient_accesses:
        inst = known.institutions[access.institution]
        keys = [(access.institution, uid) for uid in access.studies]
        secret = access.totp_secret
        row = await PatientAccess.create(
            environment_id=inst.environment_id, institution_id=inst.id,
            code_hash=keyring.token_hash(access.access_code),  # normalised by the schema (L4)
            date_of_birth=access.date_of_birth, patient_name=known.patient_names[keys[0]],
            verification=access.verification, scope=access.scope,
            phone_number=access.phone_number, email=access.email,
            totp_secret_encrypted=keyring.encrypt(secret) if secret else None,
            payment_required=access.payment_required, paid=access.paid,
            valid_from=access.valid_from, valid_until=access.valid_until or add_months(now, 1),
            created_at=now, **db,
        )
        links += [
            PatientAccessStudy(patient_access_id=row.id, study_id=known.study_ids[key])
            for key in keys
        ]
    await PatientAccessStudy.bulk_create(links, batch_size=_BATCH, **db)
