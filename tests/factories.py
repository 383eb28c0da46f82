"""Small builders for test data, written straight through the ORM."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

from auth.crypto import Keyring, hash_password
from auth.sessions import SessionPolicy, start_session
from models.api_clients import ApiClient
from models.environments import Environment
from models.groups import Group, GroupMembership
from models.institutions import Institution
from models.patients import PatientAccess, PatientAccessStudy
from models.studies import ReportStatus, ReportVersion, Series, Study, StudyCopyTo
from models.users import AccountRole, AccountStatus, Profession, User

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
KEYRING = Keyring(SECRET)
SESSIONS = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=4))
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 once per run, not per user
_seq = itertools.count(1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def environment(code: str = "BE", eid: bool = True) -> Environment:
    env = await Environment.filter(code=code).first()
    return env or await Environment.create(
        code=code, name={"BE": "Belgium", "NL": "Netherlands"}.get(code, code),
        country=code[:2], portal_url=f"https://{code.lower()}.studygate.example",
        eid_login_enabled=eid,
    )


async def institution(env: Environment, code: str | None = None, **policy) -> Institution:
    return await Institution.create(
        environment=env, code=code or f"INST{next(_seq)}", name="Test Hospital", **policy
    )


async def user(
    env: Environment, username: str | None = None, display_name: str | None = None,
    role: AccountRole = AccountRole.PRACTITIONER, status: AccountStatus = AccountStatus.ACTIVE,
    profession: Profession | None = Profession.PHYSICIAN,
) -> User:
    username = username or f"user{next(_seq)}@example.be"
    return await User.create(
        environment=env, username=username, username_key=username.casefold(), email=username,
        password_hash=_PASSWORD_HASH, display_name=display_name or username.split("@")[0],
        profession=profession if role == AccountRole.PRACTITIONER else None, role=role,
        status=status,
    )


async def group(env: Environment, name: str, members: list[tuple[User, bool]],
                confirmed_at: datetime | None = None) -> Group:
    """`members`: (user, is_administrator); the first administrator is the primary contact."""
    primary = next(u for u, admin in members if admin)
    g = await Group.create(environment=env, name=name, primary_contact=primary)
    for u, admin in members:
        await GroupMembership.create(group=g, user=u, is_administrator=admin,
                                     confirmed_at=confirmed_at or utcnow())
    return g


async def study(
    inst: Institution, referring: User | None = None, copy_to: list[User] = (),
    study_date: date = date(2026, 11, 20), description: str = "CT thorax",
    patient_name: str = "Marie Janssens", report: ReportStatus | None = None,
    series: int = 1, updated_at: datetime | None = None, modalities: str = "CT",
    accession_number: str | None = None,
) -> Study:
    n = next(_seq)
    now = updated_at or utcnow()
    s = await Study.create(
        environment_id=inst.environment_id, institution=inst,
        study_instance_uid=f"1.2.826.0.1.3680043.8.498.{n}", accession_number=accession_number or f"ACC{n:05d}",
        study_date=study_date, description=description, modalities_key=f"|{modalities}|",
        patient_name=patient_name, patient_birth_date=date(1980, 2, 3), patient_sex="F",
        patient_id=f"P{n:05d}", referring_physician=referring,
        number_of_series=series, number_of_instances=series * 100,
        report_status=report or ReportStatus.NONE, created_at=now, updated_at=now,
    )
    for u in copy_to:
        await StudyCopyTo.create(study=s, user=u)
    for i in range(series):
        await Series.create(study=s, series_instance_uid=f"{s.study_instance_uid}.{i + 1}",
                            modality=modalities, number_of_instances=100)
    if report:
        await ReportVersion.create(study=s, version=1, status=report, text="Report text.",
                                   author="Dr. R. Radiologist", signed_at=now, created_at=now)
    return s


async def patient_access(inst: Institution, studies: list[Study], **kw) -> PatientAccess:
    access = await PatientAccess.create(
        environment_id=inst.environment_id, institution=inst,
        code_hash=KEYRING.token_hash(f"CODE{next(_seq)}"), date_of_birth=date(1980, 2, 3),
        patient_name="Marie Janssens", verification=kw.pop("verification", "DATE_OF_BIRTH_ONLY"),
        scope=kw.pop("scope", "IMAGES_AND_REPORT"),
        valid_until=kw.pop("valid_until", utcnow() + timedelta(days=30)), created_at=utcnow(), **kw,
    )
    for s in studies:
        await PatientAccessStudy.create(patient_access=access, study=s)
    return access


async def api_client(inst: Institution, scopes: str = "studies:read,reports:read") -> tuple[ApiClient, str]:
    token = f"sgt_test_{next(_seq)}_token"
    client = await ApiClient.create(
        environment_id=inst.environment_id, institution=inst, name=f"PACS {inst.code}",
        token_hash=KEYRING.token_hash(token), scopes_text=scopes, created_at=utcnow(),
    )
    return client, token


async def session_cookie(env: Environment, user: User | None = None,
                         access: PatientAccess | None = None) -> str:
    """A session token as a login would set it (for tests of what a signed-in viewer sees)."""
    token, _ = await start_session(KEYRING, SESSIONS, env.id, utcnow(), user=user,
                                   patient_access=access)
    return token
