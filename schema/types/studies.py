"""Studies as the API shows them: plain attributes built once per row, no per-field queries."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from models.access_log import AccessLogEntry as AccessLogEntryModel
from models.studies import ReportStatus as ReportStatusModel
from models.studies import ReportVersion
from models.studies import Series as SeriesModel
from models.studies import Study as StudyModel
from resolvers import study_access
from schema.context import Context, Info
from schema.permissions import PolicyGuard
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


@strawberry.enum
class AccessDeniedReason(Enum):
    INSTITUTION_POLICY = "INSTITUTION_POLICY"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    REPORT_NOT_FINAL = "REPORT_NOT_FINAL"
    RELEASE_PENDING = "RELEASE_PENDING"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    SCOPE_MISSING = "SCOPE_MISSING"


@strawberry.type
class AccessDecision:
    allowed: bool
    reason: AccessDeniedReason | None

    @staticmethod
    def of(decision) -> "AccessDecision":
        reason = AccessDeniedReason(decision.reason) if decision.reason else None
        return AccessDecision(allowed=decision.allowed, reason=reason)


@strawberry.type
class StudyAccess:
    images: AccessDecision
    report: AccessDecision


@strawberry.type
class Series:
    series_instance_uid: str
    modality: str
    description: str | None
    body_part: str | None
    number_of_instances: int

    @staticmethod
    def from_model(s: SeriesModel) -> "Series":
        return Series(series_instance_uid=s.series_instance_uid, modality=s.modality,
                      description=s.description, body_part=s.body_part,
                      number_of_instances=s.number_of_instances)


@strawberry.type
class Images:
    series: list[Series]
    viewer_url: str = strawberry.field(description="Signed, expires within 5 minutes (A8).")
    expires_at: datetime


@strawberry.type
class Report:
    status: ReportStatus
    text: str
    author: str
    signed_at: datetime | None

    @staticmethod
    def from_model(r: ReportVersion) -> "Report":
        return Report(status=r.status, text=r.text, author=r.author, signed_at=r.signed_at)


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

    @strawberry.field(description="The policy's decisions; never an error (A4).")
    async def access(self, info: Info) -> StudyAccess:
        ctx = info.context
        return StudyAccess(
            images=AccessDecision.of(await study_access.decide(ctx, self.model, study_access.IMAGES)),
            report=AccessDecision.of(await study_access.decide(ctx, self.model, study_access.REPORT)),
        )

    @strawberry.field(extensions=[PolicyGuard(study_access.IMAGES)],
                      description="Null with FORBIDDEN and a reason where the policy denies (A2, A4).")
    async def images(self, info: Info) -> Images | None:
        view = await study_access.images_of(info.context, self.model)
        return Images(series=[Series.from_model(s) for s in view.series],
                      viewer_url=view.viewer_url, expires_at=view.expires_at)

    @strawberry.field(extensions=[PolicyGuard(study_access.REPORT)],
                      description="Null with FORBIDDEN and a reason where the policy denies (A3, A4).")
    async def report(self, info: Info) -> Report | None:
        return Report.from_model(await study_access.report_of(info.context, self.model))

    @staticmethod
    def from_model(s: StudyModel, ctx: Context, institutions: dict[int, Institution]) -> "Study":
        """`s` comes from resolvers.studies with institution, physician and visibility attached."""
        inst = institutions.get(s.institution_id)
        if inst is None:
            inst = institutions[s.institution_id] = Institution.from_model(s.institution, ctx)
        via = getattr(s, "visibility_via", None)  # attached only when the query selects it
        group = getattr(s, "visibility_group", None)
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
            visibility=StudyVisibility(  # type: ignore[arg-type]
                via=VisibilityVia(via),
                group=Group.from_model(group) if group is not None else None,
            ) if via is not None else None,
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


@strawberry.type
class AccessLogEntry:
    at: datetime
    actor: str
    actor_kind: str
    action: str
    ip_address: str | None

    @staticmethod
    def from_model(e: AccessLogEntryModel) -> "AccessLogEntry":
        return AccessLogEntry(at=e.at, actor=e.actor, actor_kind=e.actor_kind, action=e.action,
                              ip_address=e.ip_address)


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo
