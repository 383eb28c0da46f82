"""The demo data set: a deterministic data file (HTTP.md format) and the sign-in details to print.

`studygate serve` loads `demo_fixture(now)` into an empty development database and prints
`demo_sign_ins(...)`. Every secret here is public: development only.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.api_clients import SCOPES
from resolvers.demo_catalog import (
    ACCOUNTS,
    DEMO_PASSWORD,
    FAMILY_NAMES,
    GIVEN_NAMES,
    KIND_BY_DESCRIPTION,
    PROFESSION,
    RADIOLOGISTS,
    REFERRERS,
    STUDY_KINDS,
    StudyKind,
    institutions,
)
from resolvers.dicom import person_name
from resolvers.fixture_writer import add_months

PATIENT_TOTP_SECRET = base64.b32encode(b"tom-wuyts-totp-demo!").decode()
BE_STUDIES, NL_STUDIES = 230, 20

_INSTITUTION_ENV = {"AZX": "BE", "RADB": "BE", "NWZ": "NL"}
_ACCOUNT_NOTES = {
    "hans.goossens@example.be": "membership of Praktijk Zuid lapsed: unconfirmed for over 4 months",
}

# Fixed, memorable codes from the access-code alphabet, so the README can list them.
_ACCESS_NOTES = {
    "DATE-AAAA-3333-4444": "birth date only; a FINAL, an AMENDED and a PRELIMINARY report",
    "TEAM-AAAA-3333-6666": "then a code from an authenticator app set up with this secret",
    "TEXT-AAAA-3333-7777": "then a 6-digit SMS code (written to the server log in development)",
    "DEAR-AAAA-3333-9999": "then an e-mail code; the report is released 24 h after signing (RADB)",
    "CARD-AAAA-4444-7777": "asks for payment first (12.50 EUR), then an SMS code",
    "XRAY-AAAA-4444-9999": "images only: the report is not part of this access",
    "NEAR-AAAA-6666-7777": "no images or report yet: 'not available yet'",
    "EXPD-AAAA-6666-9999": "expired last month",
    "HAAG-AAAA-7777-9999": "Netherlands portal; birth date only",
}


@dataclass(frozen=True)
class _Patient:
    family: str
    given: str
    sex: str
    birth_date: date
    patient_id: str

    @property
    def pn(self) -> str:
        return f"{self.family}^{self.given}"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def demo_fixture(now: datetime) -> dict[str, Any]:
    """The demo data file for load time `now` (timezone-aware); the same `now`, the same file."""
    return _DemoBuilder(now).build()


class _DemoBuilder:
    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)
        self.today = self.now.date()
        self.rng = random.Random(2026)
        self.studies: list[dict[str, Any]] = []
        self.accessions: dict[str, int] = {}

    def build(self) -> dict[str, Any]:
        accesses = self._showcase()
        pools = {code: self._patients(code, count) for code, count in
                 (("AZX", 70), ("RADB", 40), ("NWZ", 12))}
        for env, total in (("BE", BE_STUDIES), ("NL", NL_STUDIES)):
            shown = sum(1 for s in self.studies if _INSTITUTION_ENV[s["institution"]] == env)
            for _ in range(total - shown):
                self._random_study(env, pools)
        return {
            "environments": [
                {"code": "BE", "name": "Belgium", "country": "BE",
                 "portalUrl": "https://be.studygate.example", "eidLoginEnabled": True},
                {"code": "NL", "name": "Netherlands", "country": "NL",
                 "portalUrl": "https://nl.studygate.example", "eidLoginEnabled": False},
            ],
            "institutions": institutions(),
            "users": [
                {"username": username, "password": DEMO_PASSWORD, "displayName": name,
                 "profession": profession, "environment": env, **extra}
                for env, username, name, profession, extra in ACCOUNTS
            ],
            "groups": self._groups(),
            "studies": self.studies,
            "patientAccesses": accesses,
            "apiClients": [
                {"name": "AZ Example PACS", "institution": "AZX",
                 "token": "sgt_demo_azx_pacs_all_scopes", "scopes": list(SCOPES)},
                {"name": "AZ Example referral dashboard", "institution": "AZX",
                 "token": "sgt_demo_azx_dashboard_read_only", "scopes": ["studies:read"]},
            ],
        }

    def _groups(self) -> list[dict[str, Any]]:
        def member(username: str, admin: bool = False) -> dict[str, Any]:
            # Fresh: confirmed in the last two months, well inside the 3 months of G2.
            ago = timedelta(days=self.rng.randint(1, 60), hours=self.rng.randint(0, 9))
            return {"username": username, "administrator": admin,
                    "confirmedAt": _ts(self.now - ago)}

        # Lapsed (G4): confirmed 4 months and 20 days ago, past the 3 months + 30 days of grace.
        lapsed = {"username": "hans.goossens@example.be", "administrator": False,
                  "confirmedAt": _ts(add_months(self.now, -4) - timedelta(days=20))}
        return [
            {"name": "Praktijk Zuid", "environment": "BE",
             "primaryContact": "an.peeters@example.be",
             "members": [member("an.peeters@example.be", True),
                         member("bart.claes@example.be", True),
                         member("els.jacobs@example.be"), lapsed]},
            {"name": "Gezondheidshuis Noord", "environment": "BE",
             "primaryContact": "dirk.wouters@example.be",
             "members": [member("dirk.wouters@example.be", True),
                         member("chloe.maes@example.be", True),
                         member("filip.mertens@example.be"), member("greet.willems@example.be"),
                         member("bart.claes@example.be"), member("els.jacobs@example.be")]},
            {"name": "Huisartsenpraktijk Centrum", "environment": "NL",
             "primaryContact": "lotte.devries@example.nl",
             "members": [member("lotte.devries@example.nl", True),
                         member("pieter.bakker@example.nl")]},
        ]

    def _showcase(self) -> list[dict[str, Any]]:
        """Studies and accesses with known outcomes, one per verification kind and edge case."""
        def patient(inst: str, pn: str, sex: str, born: str, number: int) -> _Patient:
            family, given = pn.split("^")
            return _Patient(family, given, sex, date.fromisoformat(born), f"{inst}{number:07d}")

        def study(inst: str, patient: _Patient, kind: str, days_ago: int, status: str | None,
                  referring: str, **options: Any) -> str:
            return self._study(inst, KIND_BY_DESCRIPTION[kind], patient,
                               self.today - timedelta(days=days_ago), status, referring, **options)

        def access(code: str, inst: str, uids: list[str], patient: _Patient, verification: str,
                   **fields: Any) -> dict[str, Any]:
            return {"accessCode": code, "institution": inst, "studies": uids,
                    "dateOfBirth": patient.birth_date.isoformat(), "verification": verification,
                    "scope": "IMAGES_AND_REPORT", **fields}

        marie = patient("AZX", "Janssens^Marie", "F", "1980-02-03", 1)
        tom = patient("AZX", "Wuyts^Tom", "M", "1975-06-15", 2)
        sarah = patient("AZX", "Desmet^Sarah", "F", "1990-09-21", 3)
        pieter = patient("RADB", "Lambrecht^Pieter", "M", "1968-12-01", 4)
        lucas = patient("AZX", "Smets^Lucas", "M", "2001-04-30", 5)
        emma = patient("AZX", "Dewulf^Emma", "F", "1995-11-11", 6)
        noah = patient("AZX", "Hermans^Noah", "M", "2010-07-07", 7)
        louise = patient("AZX", "Aerts^Louise", "F", "1950-01-20", 8)
        sanne = patient("NWZ", "de Jong^Sanne", "F", "1985-03-14", 9)
        an, bart = "an.peeters@example.be", "bart.claes@example.be"
        return [
            access("DATE-AAAA-3333-4444", "AZX", [
                study("AZX", marie, "CT thorax without contrast", 20, "FINAL", an,
                      copy_to=["dirk.wouters@example.be"]),
                study("AZX", marie, "Chest X-ray PA and lateral", 200, "AMENDED", an),
                study("AZX", marie, "MRI lumbar spine", 2, "PRELIMINARY", an)],
                marie, "DATE_OF_BIRTH_ONLY"),
            access("TEAM-AAAA-3333-6666", "AZX",
                   [study("AZX", tom, "MRI knee left", 9, "FINAL", "dirk.wouters@example.be")],
                   tom, "TOTP", totpSecret=PATIENT_TOTP_SECRET),
            access("TEXT-AAAA-3333-7777", "AZX",
                   [study("AZX", sarah, "Ultrasound abdomen", 5, "FINAL", "els.jacobs@example.be")],
                   sarah, "SMS", phoneNumber="+32470000103"),
            access("DEAR-AAAA-3333-9999", "RADB",
                   [study("RADB", pieter, "CT brain without contrast", 0, "FINAL",
                          "hans.goossens@example.be", signed_at=self.now - timedelta(hours=2))],
                   pieter, "EMAIL", email="pieter.lambrecht@example.com"),
            access("CARD-AAAA-4444-7777", "AZX",
                   [study("AZX", lucas, "X-ray of the right wrist", 3, "FINAL", bart)],
                   lucas, "SMS", phoneNumber="+32470000105", paymentRequired=True, paid=False),
            access("XRAY-AAAA-4444-9999", "AZX",
                   [study("AZX", emma, "Ultrasound thyroid", 12, "FINAL", an)],
                   emma, "DATE_OF_BIRTH_ONLY", scope="IMAGES"),
            access("NEAR-AAAA-6666-7777", "AZX",
                   [study("AZX", noah, "MRI brain with contrast", 0, None, bart, series=0)],
                   noah, "DATE_OF_BIRTH_ONLY"),
            access("EXPD-AAAA-6666-9999", "AZX",
                   [study("AZX", louise, "Screening mammography", 100, "FINAL", an)],
                   louise, "DATE_OF_BIRTH_ONLY", validFrom=_ts(add_months(self.now, -3)),
                   validUntil=_ts(add_months(self.now, -1))),
            access("HAAG-AAAA-7777-9999", "NWZ",
                   [study("NWZ", sanne, "Ultrasound thyroid", 15, "FINAL",
                          "lotte.devries@example.nl")],
                   sanne, "DATE_OF_BIRTH_ONLY"),
        ]

    def _patients(self, inst: str, count: int) -> list[_Patient]:
        env, rng = _INSTITUTION_ENV[inst], self.rng
        patients = []
        for number in range(100, 100 + count):
            sex = rng.choice("FM")
            born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 72 * 365))
            family, given = rng.choice(FAMILY_NAMES[env]), rng.choice(GIVEN_NAMES[(env, sex)])
            patients.append(_Patient(family, given, sex, born, f"{inst}{number:07d}"))
        return patients

    def _random_study(self, env: str, pools: dict[str, list[_Patient]]) -> None:
        rng = self.rng
        inst = "NWZ" if env == "NL" else rng.choices(("AZX", "RADB"), (65, 35))[0]
        referrers = REFERRERS[env]
        referring = rng.choices(list(referrers), list(referrers.values()))[0]
        profession = PROFESSION[referring]
        kind = rng.choice([k for k in STUDY_KINDS if profession in k.requested_by])
        women_only = kind.body_part == "BREAST"
        patient = rng.choice([p for p in pools[inst] if p.sex == "F" or not women_only])
        days_ago = rng.randint(0, 730)
        if rng.random() < 0.06:  # booked or still being acquired: no images yet
            series, status = 0, None
        else:
            series = None
            status = rng.choices((None, "PRELIMINARY", "FINAL", "AMENDED"), (10, 12, 66, 12))[0]
        others = [u for u in referrers if u not in (referring, "jan.lambert@example.be")]
        copy_to = [rng.choice(others)] if rng.random() < 0.15 else []
        self._study(inst, kind, patient, self.today - timedelta(days=days_ago), status,
                    None if rng.random() < 0.05 else referring, copy_to=copy_to, series=series)

    def _study(self, inst: str, kind: StudyKind, patient: _Patient, day: date, status: str | None,
               referring: str | None, copy_to: list[str] | None = None, series: int | None = None,
               signed_at: datetime | None = None) -> str:
        """Append one study and return its UID; `series=None` picks a plausible number."""
        rng, env = self.rng, _INSTITUTION_ENV[inst]
        uid = self._uid()
        if series is None:
            top = min(6, len(kind.series))
            series = top if rng.random() < 0.7 else rng.randint(1, top)
        self.accessions[inst] = self.accessions.get(inst, 0) + 1
        study: dict[str, Any] = {
            "institution": inst, "studyInstanceUid": uid,
            "accessionNumber": f"{inst}{day.year}{self.accessions[inst]:05d}",
            "studyDate": day.isoformat(), "description": kind.description,
            "modalities": list(kind.modalities),
            "patient": {"name": patient.pn, "birthDate": patient.birth_date.isoformat(),
                        "sex": patient.sex, "patientId": patient.patient_id},
            "referringPhysician": referring, "copyTo": copy_to or [],
            "series": [
                {"seriesInstanceUid": self._uid(), "modality": s.modality or kind.modalities[0],
                 "description": s.description, "bodyPart": kind.body_part,
                 "numberOfInstances": rng.randint(*s.instances)}
                for s in kind.series[:series]
            ],
        }
        if status is not None:
            study["report"] = self._report(env, kind, day, status, signed_at)
        self.studies.append(study)
        return uid

    def _report(self, env: str, kind: StudyKind, day: date, status: str,
                signed_at: datetime | None) -> dict[str, Any]:
        rng = self.rng
        findings, conclusion = rng.choice(kind.results)
        text = (f"Clinical information: {rng.choice(kind.indications)}.\n\n"
                f"Findings: {findings}\n\nConclusion: {conclusion}")
        if status == "AMENDED":
            text += ("\n\nAddendum: comparison with the previous examination confirms "
                     "the conclusion.")
        if status == "PRELIMINARY":
            signed = None  # a preliminary report is not signed yet
        else:
            acquired = datetime.combine(day, time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))),
                                        tzinfo=UTC)
            signed = signed_at or min(acquired + timedelta(hours=rng.randint(1, 30)),
                                      self.now - timedelta(minutes=10))
        return {"status": status, "text": text, "author": rng.choice(RADIOLOGISTS[env]),
                "signedAt": _ts(signed) if signed else None}

    def _uid(self) -> str:
        # "2.25." + a 128-bit number: a UID root anyone may use (DICOM PS3.5 B.2).
        return f"2.25.{self.rng.getrandbits(128)}"


def demo_sign_ins(fixture: dict[str, Any]) -> str:
    """Human-readable sign-in details of a data file: accounts, patient codes, API tokens."""
    lines = ["StudyGate demo sign-ins (development data: every secret below is public)", ""]
    users = fixture.get("users", [])
    passwords = {u["password"] for u in users}
    shared = passwords.pop() if len(passwords) == 1 else None
    lines.append("Accounts" + (f" (password for all: {shared})" if shared else "") + ":")
    groups: dict[str, list[str]] = {}
    for g in fixture.get("groups", []):
        for m in g["members"]:
            role = " (primary contact)" if m["username"] == g["primaryContact"] else (
                " (admin)" if m.get("administrator") else "")
            groups.setdefault(m["username"], []).append(g["name"] + role)
    for u in users:
        kind = "SERVICE_DESK" if u.get("role") == "SERVICE_DESK" else u.get("profession") or ""
        notes = [u.get("status", "ACTIVE")] if u.get("status", "ACTIVE") != "ACTIVE" else []
        notes += [f"groups: {', '.join(groups[u['username']])}"] if u["username"] in groups else []
        notes += [f"TOTP secret {s}" for s in u.get("totpSecrets", [])]
        notes += [f"e-ID subject {u['eidSubject']}"] if u.get("eidSubject") else []
        notes += [_ACCOUNT_NOTES[u["username"]]] if u["username"] in _ACCOUNT_NOTES else []
        notes += [] if shared else [f"password {u['password']}"]
        lines.append(f"  {u['environment']}  {u['username']:<30} {u['displayName']:<23} "
                     f"{kind:<12} {'; '.join(notes)}".rstrip())

    patients = {(s["institution"], s["studyInstanceUid"]): s["patient"]["name"]
                for s in fixture.get("studies", [])}
    lines += ["", "Patients (access code, date of birth, verification):"]
    for a in fixture.get("patientAccesses", []):
        name = patients.get((a["institution"], a["studies"][0]))
        count = len(a["studies"])
        studies = f"{count} stud{'y' if count == 1 else 'ies'}"
        details = [f"{person_name(name)}, {studies}" if name else studies]
        details += [_ACCESS_NOTES[a["accessCode"]]] if a["accessCode"] in _ACCESS_NOTES else []
        details += [f"to {a[k]}" for k in ("phoneNumber", "email") if a.get(k)]
        details += [f"TOTP secret {a['totpSecret']}"] if a.get("totpSecret") else []
        lines.append(f"  {a['institution']:<5} {a['accessCode']}  {a['dateOfBirth']}  "
                     f"{a['verification']:<18} {'; '.join(details)}")

    lines += ["", "API clients (Authorization: Bearer <token>):"]
    for c in fixture.get("apiClients", []):
        scopes = ", ".join(c["scopes"])
        lines.append(f"  {c['institution']:<5} {c['token']:<36} {c['name']}: {scopes}")
    return "\n".join(lines) + "\n"
