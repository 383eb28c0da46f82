"""The partner API's operations as a partner writes them, and inputs to send (tests only)."""

from __future__ import annotations

import secrets
from typing import Any

from auth.crypto import new_token
from models.api_clients import ApiClient
from models.institutions import Institution
from tests.factories import KEYRING, utcnow

ALL_SCOPES = "studies:read,studies:write,reports:read,patient-access:write"
UID_ROOT = "1.2.826.0.1.3680043.10.543"

UPSERT = """mutation($input: StudyInput!) { upsertStudy(input: $input) {
  id studyInstanceUid accessionNumber studyDate description modalities updatedAt
  patient { name birthDate sex patientId } referringPhysician numberOfSeries
  numberOfInstances reportStatus availableForPatientAt institution { code }
  visibility { via } } }"""

PUBLISH = """mutation($input: ReportInput!) { publishReport(input: $input) {
  status text author signedAt } }"""

ISSUE = """mutation($input: PatientAccessInput!) { issuePatientAccess(input: $input) {
  id accessCode totpProvisioningUri validUntil } }"""

REVOKE = "mutation($id: ID!) { revokePatientAccess(id: $id) }"

SYNC = """query($first: Int, $after: String, $since: DateTime) {
  studies(first: $first, after: $after, orderBy: UPDATED_AT_ASC,
          filter: {updatedSince: $since}) {
    edges { cursor node { studyInstanceUid updatedAt } }
    pageInfo { hasNextPage endCursor } } }"""


def uid(n: int, *more: int) -> str:
    return ".".join([UID_ROOT, str(n), *map(str, more)])


def study_input(n: int, **overrides: Any) -> dict[str, Any]:
    """A complete StudyInput: two CT series, a PN patient name."""
    value: dict[str, Any] = {
        "studyInstanceUid": uid(n),
        "accessionNumber": f"ACC{n:06d}",
        "studyDate": "2026-11-20",
        "description": "CT thorax",
        "modalities": ["CT"],
        "patient": {"name": f"Janssens^Marie{n}", "birthDate": "1980-02-03", "sex": "F",
                    "patientId": f"P{n:06d}"},
        "series": [
            {"seriesInstanceUid": uid(n, 1), "modality": "CT", "description": "Axial",
             "bodyPart": "CHEST", "numberOfInstances": 240},
            {"seriesInstanceUid": uid(n, 2), "modality": "CT", "numberOfInstances": 60},
        ],
    }
    value.update(overrides)
    return value


def report_input(n: int, status: str = "FINAL", text: str = "No abnormalities.",
                 **overrides: Any) -> dict[str, Any]:
    return {"studyInstanceUid": uid(n), "status": status, "text": text,
            "author": "Dr. R. Radiologist", **overrides}


async def partner_client(inst: Institution, scopes: str = ALL_SCOPES,
                         name: str | None = None) -> tuple[ApiClient, str]:
    """A client with a random token (its budget counters are its own, in Redis too)."""
    token = new_token("sgt_", 32)
    client = await ApiClient.create(
        environment_id=inst.environment_id, institution=inst,
        name=name or f"PACS {inst.code} {secrets.token_hex(3)}",
        token_hash=KEYRING.token_hash(token), scopes_text=scopes, created_at=utcnow(),
    )
    return client, token
