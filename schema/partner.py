"""The partner mutations (P1, P3, P4): bearer-token clients push studies, reports and codes."""

from __future__ import annotations

import strawberry

from resolvers import ingestion, issued_access
from schema.context import Info
from schema.ids import pk_of
from schema.types.partner import IssuedPatientAccess, PatientAccessInput, ReportInput, StudyInput
from schema.types.studies import Report, Study


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Idempotent by studyInstanceUid within the institution; "
                         "scope studies:write (P3).")
    async def upsert_study(self, info: Info, input: StudyInput) -> Study:
        study = await ingestion.upsert_study(info.context, input.to_data())
        return Study.from_model(study, info.context, {})

    @strawberry.mutation(description="Stores a report version; AMENDED supersedes FINAL; "
                         "scope studies:write (P3).")
    async def publish_report(self, info: Info, input: ReportInput) -> Report:
        return Report.from_model(await ingestion.publish_report(info.context, input.to_data()))

    @strawberry.mutation(description="A new access code, returned once; scope "
                         "patient-access:write (P4).")
    async def issue_patient_access(self, info: Info, input: PatientAccessInput
                                   ) -> IssuedPatientAccess:
        issued = await issued_access.issue_patient_access(info.context, input.to_data())
        return IssuedPatientAccess.from_issued(issued)

    @strawberry.mutation(description="Ends the access and its sessions at once; scope "
                         "patient-access:write (P4).")
    async def revoke_patient_access(self, info: Info, id: strawberry.ID) -> bool:
        return await issued_access.revoke_patient_access(
            info.context, pk_of(id, "PatientAccess"))
