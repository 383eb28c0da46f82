"""Step 2 of loading a data file: resolve references, find duplicates (file and database).

Environments and institutions are referred to by code, accounts by username (case-insensitive,
within an environment), studies by UID within an institution. Institution codes and study UIDs
are treated as unique across environments, because the file names them without one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth.crypto import Keyring
from models.api_clients import ApiClient
from models.environments import Environment
from models.institutions import Institution
from models.patients import PatientAccess, PatientVerification
from models.studies import Study
from models.users import AccountRole, User
from resolvers.fixture_schema import FixtureFile, GroupEntry, StudyEntry
from resolvers.fixture_writer import InstitutionRef, Known, add_months, modalities_key, username_key

_IN_CHUNK = 500  # values per `IN (...)`, well below SQLite's and PostgreSQL's parameter limits
_MODALITIES_KEY_MAX = 100  # Study.modalities_key


@dataclass
class StoredRows:
    """What the database already holds that the file refers to or could duplicate."""

    environments: list[Environment]
    institutions: list[Institution]  # environment fetched along
    users: list[User]  # environment fetched along; matched by username or e-ID subject
    studies: list[Study]  # institution fetched along
    code_hashes: set[str]
    token_hashes: set[str]


async def _fetch(query: Any, field: str, values: Iterable[str]) -> list[Any]:
    """Rows of `query` whose `field` is one of `values`."""
    wanted = sorted(set(values))
    rows: list[Any] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        rows += await query.filter(**{f"{field}__in": wanted[start : start + _IN_CHUNK]})
    return rows


async def read_stored_rows(fixture: FixtureFile, keyring: Keyring) -> StoredRows:
    """Read only the rows the file names: a few indexed queries, whatever the database's size."""
    f = fixture
    env_codes = {e.code for e in f.environments} | {i.environment for i in f.institutions}
    env_codes |= {u.environment for u in f.users} | {g.environment for g in f.groups}
    institution_codes = {i.code for i in f.institutions} | {s.institution for s in f.studies}
    institution_codes |= {a.institution for a in f.patient_accesses}
    institution_codes |= {c.institution for c in f.api_clients}
    usernames = {u.username for u in f.users} | {m.username for g in f.groups for m in g.members}
    usernames |= {g.primary_contact for g in f.groups} | {n for s in f.studies for n in s.copy_to}
    usernames |= {s.referring_physician for s in f.studies if s.referring_physician}
    uids = {s.study_instance_uid for s in f.studies}
    uids |= {uid for a in f.patient_accesses for uid in a.studies}

    users = User.all().select_related("environment")
    by_name = await _fetch(users, "username_key", (username_key(name) for name in usernames))
    by_eid = await _fetch(users, "eid_subject", (u.eid_subject for u in f.users if u.eid_subject))
    code_hashes = (keyring.token_hash(a.access_code) for a in f.patient_accesses)
    accesses = await _fetch(PatientAccess.all(), "code_hash", code_hashes)
    clients = await _fetch(
        ApiClient.all(), "token_hash", (keyring.token_hash(c.token) for c in f.api_clients)
    )
    return StoredRows(
        environments=await _fetch(Environment.all(), "code", env_codes),
        institutions=await _fetch(
            Institution.all().select_related("environment"), "code", institution_codes
        ),
        users=by_name + by_eid,
        studies=await _fetch(Study.all().select_related("institution"), "study_instance_uid", uids),
        code_hashes={a.code_hash for a in accesses},
        token_hashes={c.token_hash for c in clients},
    )


class References:
    """Checks every reference of a parsed file; `check()` returns the problems, `known` the ids."""

    def __init__(
        self, fixture: FixtureFile, stored: StoredRows, keyring: Keyring, now: datetime
    ) -> None:
        self.fixture, self.stored, self.keyring, self.now = fixture, stored, keyring, now
        self.problems: list[str] = []
        self.known = Known()
        self.environments = {e.code for e in stored.environments}
        self.known.environment_ids.update({e.code: e.id for e in stored.environments})
        self.institution_env: dict[str, str] = {}  # institution code -> environment code
        envs_by_code: dict[str, list[str]] = defaultdict(list)
        for inst in stored.institutions:
            envs_by_code[inst.code].append(inst.environment.code)
            self.institution_env[inst.code] = inst.environment.code
            self.known.institutions[inst.code] = InstitutionRef(
                inst.id, inst.environment.id, inst.environment.code
            )
        self.ambiguous = {code: envs for code, envs in envs_by_code.items() if len(envs) > 1}
        self.unresolved: set[str] = set()  # file institutions whose environment is unknown
        self.roles: dict[tuple[str, str], AccountRole] = {}  # (environment, username key)
        for user in stored.users:
            self.roles[(user.environment.code, user.username_key)] = user.role
            self.known.user_ids[(user.environment.code, user.username_key)] = user.id
        self.eid_subjects = {(u.environment.code, u.eid_subject) for u in stored.users}
        self.stored_uids = {s.study_instance_uid for s in stored.studies}
        self.studies = {(s.institution.code, s.study_instance_uid) for s in stored.studies}
        for study in stored.studies:
            key = (study.institution.code, study.study_instance_uid)
            self.known.study_ids[key] = study.id
            self.known.patient_names[key] = study.patient_name

    def check(self) -> list[str]:
        """Check the file's entries in dependency order; return one line per problem."""
        f = self.fixture
        codes = [e.code for e in f.environments]
        self._unique("environments", "code", codes, self.environments, "environment",
                     [f'"{code}"' for code in codes])
        self.environments |= {e.code for e in f.environments}
        self._institutions()
        self._users()
        for index, group in enumerate(f.groups):
            self._group(f"groups[{index}]", group)
        uids = [s.study_instance_uid for s in f.studies]
        self._unique("studies", "studyInstanceUid", uids, self.stored_uids, "study",
                     [f'"{uid}"' for uid in uids])
        for index, study in enumerate(f.studies):
            self._study(f"studies[{index}]", study)
        self._patient_accesses()
        self._api_clients()
        return self.problems

    def _add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def _unique(self, key: str, field: str, values: list[Any], stored: set[Any], what: str,
                labels: list[str] | None = None) -> None:
        """Each value once in the file and not yet in the database; `labels` show it in messages."""
        first: dict[Any, int] = {}
        for index, value in enumerate(values):
            path = f"{key}[{index}].{field}"
            named = f"{what} {labels[index]}" if labels else what
            if value in stored:
                self._add(path, f"{named} already exists in the database")
            elif value in first:
                self._add(path, f"duplicate {named} (also {key}[{first[value]}])")
            else:
                first[value] = index

    def _environment(self, path: str, code: str) -> bool:
        if code not in self.environments:
            self._add(path, f'unknown environment "{code}"')
            return False
        return True

    def _institution(self, path: str, code: str) -> str | None:
        """The environment code of institution `code`, or None after noting the problem."""
        if code in self.ambiguous:
            envs = ", ".join(sorted(self.ambiguous[code]))
            self._add(path, f'institution "{code}" exists in several environments ({envs})')
            return None
        if code not in self.institution_env and code not in self.unresolved:
            self._add(path, f'unknown institution "{code}"')
        return self.institution_env.get(code)

    def _practitioner(self, path: str, env: str, username: str) -> None:
        role = self.roles.get((env, username_key(username)))
        if role is None:
            self._add(path, f'unknown user "{username}" in environment {env}')
        elif role is not AccountRole.PRACTITIONER:
            self._add(path, f'"{username}" is a {role.value} account, not a practitioner')

    def _institutions(self) -> None:
        entries = self.fixture.institutions
        stored_codes = {i.code for i in self.stored.institutions}
        self._unique("institutions", "code", [i.code for i in entries], stored_codes,
                     "institution", [f'"{i.code}"' for i in entries])
        for index, inst in enumerate(entries):
            if self._environment(f"institutions[{index}].environment", inst.environment):
                self.institution_env.setdefault(inst.code, inst.environment)
            else:
                self.unresolved.add(inst.code)  # reported once, here

    def _users(self) -> None:
        entries = self.fixture.users
        keys = [(u.environment, username_key(u.username)) for u in entries]
        self._unique("users", "username", keys, set(self.roles), "username",
                     [f'"{u.username}" in environment {u.environment}' for u in entries])
        with_eid = [(i, u) for i, u in enumerate(entries) if u.eid_subject]
        seen = set(self.eid_subjects)
        for index, user in with_eid:
            if (user.environment, user.eid_subject) in seen:
                # The subject is a national number: not repeated in the message.
                self._add(f"users[{index}].eidSubject", "this e-ID subject is already linked "
                          f"to another account in {user.environment}")
            seen.add((user.environment, user.eid_subject))
        for index, user in enumerate(entries):
            if self._environment(f"users[{index}].environment", user.environment):
                self.roles.setdefault(keys[index], user.role)

    def _group(self, path: str, group: GroupEntry) -> None:
        env_ok = self._environment(f"{path}.environment", group.environment)
        members: dict[str, bool] = {}  # username key -> administrator
        for index, member in enumerate(group.members):
            member_path = f"{path}.members[{index}].username"
            key = username_key(member.username)
            if key in members:
                self._add(member_path, f'"{member.username}" is listed twice')
            members[key] = member.administrator
            if env_ok:
                self._practitioner(member_path, group.environment, member.username)
        contact = group.primary_contact
        if username_key(contact) not in members:
            self._add(f"{path}.primaryContact", f'"{contact}" is not a member of the group (G7)')
        elif not members[username_key(contact)]:
            self._add(f"{path}.primaryContact", f'"{contact}" must be an administrator '
                      "of the group to be its primary contact (G7)")

    def _study(self, path: str, study: StudyEntry) -> None:
        env = self._institution(f"{path}.institution", study.institution)
        if env is not None:
            if study.referring_physician:
                self._practitioner(f"{path}.referringPhysician", env, study.referring_physician)
            for index, username in enumerate(study.copy_to):
                self._practitioner(f"{path}.copyTo[{index}]", env, username)
        keys = [username_key(name) for name in study.copy_to]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                self._add(f"{path}.copyTo[{index}]", f'"{study.copy_to[index]}" is listed twice')
        uids = [s.series_instance_uid for s in study.series]
        for index, uid in enumerate(uids):
            if uid in uids[:index]:
                self._add(f"{path}.series[{index}].seriesInstanceUid",
                          f'duplicate series UID "{uid}" (also series[{uids.index(uid)}])')
        if not study.modalities and not study.series:
            self._add(f"{path}.modalities", "give at least one modality (or a series)")
        elif len(modalities_key(study)) > _MODALITIES_KEY_MAX:
            self._add(f"{path}.modalities", "too many modalities")
        self.studies.add((study.institution, study.study_instance_uid))

    def _patient_accesses(self) -> None:
        entries = self.fixture.patient_accesses
        hashes = [self.keyring.token_hash(a.access_code) for a in entries]
        # Codes are secrets: messages say which entry, never the code.
        self._unique("patientAccesses", "accessCode", hashes, self.stored.code_hashes,
                     "access code")
        required = {
            PatientVerification.SMS: ("phoneNumber", "phone_number"),
            PatientVerification.EMAIL: ("email", "email"),
            PatientVerification.TOTP: ("totpSecret", "totp_secret"),
        }
        for index, access in enumerate(entries):
            path = f"patientAccesses[{index}]"
            env = self._institution(f"{path}.institution", access.institution)
            for n, uid in enumerate(access.studies):
                if env is not None and (access.institution, uid) not in self.studies:
                    self._add(f"{path}.studies[{n}]",
                              f'unknown study "{uid}" at institution {access.institution}')
                elif uid in access.studies[:n]:
                    self._add(f"{path}.studies[{n}]", f'"{uid}" is listed twice')
            if access.verification in required:
                key, field = required[access.verification]
                if getattr(access, field) is None:
                    self._add(f"{path}.{key}",
                              f"required for {access.verification.value} verification")
            valid_until = access.valid_until or add_months(self.now, 1)
            if access.valid_from is not None and access.valid_from >= valid_until:
                self._add(f"{path}.validFrom", "must be before validUntil")

    def _api_clients(self) -> None:
        entries = self.fixture.api_clients
        hashes = [self.keyring.token_hash(c.token) for c in entries]
        self._unique("apiClients", "token", hashes, self.stored.token_hashes, "token")
        for index, client in enumerate(entries):
            self._institution(f"apiClients[{index}].institution", client.institution)
            for n, scope in enumerate(client.scopes):
                if scope in client.scopes[:n]:
                    self._add(f"apiClients[{index}].scopes[{n}]", f'"{scope}" is listed twice')
