"""Studies as the API shows them: plain attributes built once per row, no per-field queries."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from models.studies import ReportStatus as ReportStatusModel
from models.studies import Study as StudyModel
from schema.context import Context
from schema.ids import to_global_id
from schema.types.common import Node, PageInfo
from schema.types.groups import Group
from schema.types.people import Institution

ReportStatus = strawberry.enum(ReportStatusModel, name="ReportStatus")


@strawberry.enum
class VisibilityVia(Enum):
    OWN = "OWN"
    GROUP = "GROUP"
    PATIENT = "PATIENT"
    INSTITUTION = "INSTITUTION"


@strawberry.enum
class StudyOrder(Enum):
    STUDY_DATE_DESC = "STUDY_DATE_DESC"
    STUDY_DATE_ASC = "STUDY_DATE_ASC"
    UPDATED_AT_ASC = "UPDATED_AT_ASC"


@strawberry.input
class StudyFilter:
    search: str | None = strawberry.UNSET
    modality: str | None = strawberry.UNSET
    study_date_from: date | None = strawberry.UNSET
    study_date_to: date | None = strawberry.UNSET
    updated_since: datetime | None = strawberry.UNSET
    via: VisibilityVia | None = strawberry.UNSET
    group_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class Patient:
    name: str
    birth_date: date | None
    sex: str | None
    patient_id: str | None


@strawberry.type
class StudyVisibility:
    via: VisibilityVia
    group: Group | None


@strawberry.type(name="Study")
class Study(Node):
    id: strawberry.ID
    study_instance_uid: str
    accession_number: str | None
    study_date: date
    description: str | None
    modalities: list[str]
    patient: Patient
    institution: Institution
    referring_physician: str | None
    number_of_series: int
    number_of_instances: int
    report_status: ReportStatus
    available_for_patient_at: datetime | None
    updated_at: datetime
    visibility: StudyVisibility
    model: strawberry.Private[StudyModel]

    @staticmethod
    def from_model(s: StudyModel, ctx: Context, institutions: dict[int, Institution]) -> "Study":
        """`s` comes from resolvers.studies with institution, physician and visibility attached."""
        inst = institutions.get(s.institution_id)
        if inst is None:
            inst = institutions[s.institution_id] = Institution.from_model(s.institution, ctx)
        group = s.visibility_group
        return Study(
            id=strawberry.ID(to_global_id("Study", s.id)),
            study_instance_uid=s.study_instance_uid,
            accession_number=s.accession_number,
            study_date=s.study_date,
            description=s.description,
            modalities=s.modalities,
            patient=Patient(
                name=s.patient_name,
                birth_date=s.patient_birth_date,
                sex=s.patient_sex,
                patient_id=s.patient_id,
            ),
            institution=inst,
            referring_physician=(
                s.referring_physician.display_name if s.referring_physician_id else None
            ),
            number_of_series=s.number_of_series,
            number_of_instances=s.number_of_instances,
            report_status=s.report_status,
            available_for_patient_at=s.available_for_patient_at,
            updated_at=s.updated_at,
            visibility=StudyVisibility(
                via=VisibilityVia(s.visibility_via),
                group=Group.from_model(group) if group is not None else None,
            ),
            model=s,
        )


@strawberry.type
class StudyEdge:
    cursor: str
    node: Study


@strawberry.type
class StudyConnection:
    edges: list[StudyEdge]
    page_info: PageInfo
    count_query: strawberry.Private[object]

    @strawberry.field(description="Every study the filter gives this viewer (A1), not just this page.")
    async def total_count(self) -> int:
        return await self.count_query  # type: ignore[misc]
