"""The partner API's inputs and results (P3, P4), with their conversion to resolver data."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models.patients import PatientScope as PatientScopeModel
from models.patients import PatientVerification as PatientVerificationModel
from resolvers.issued_access import Issued, PatientAccessData
from resolvers.partner_input import PatientData, ReportData, SeriesData, StudyData
from schema.ids import to_global_id
from schema.types.studies import ReportStatus

PatientVerification = strawberry.enum(PatientVerificationModel, name="PatientVerification")
PatientScope = strawberry.enum(PatientScopeModel, name="PatientScope")


@strawberry.input
class PatientInput:
    name: str = strawberry.field(description='DICOM PN "Doe^Jane" accepted')
    birth_date: date
    sex: str | None = None
    patient_id: str | None = None


@strawberry.input
class SeriesInput:
    series_instance_uid: str
    modality: str
    number_of_instances: int
    description: str | None = None
    body_part: str | None = None


@strawberry.input
class StudyInput:
    study_instance_uid: str
    study_date: date
    modalities: list[str]
    patient: PatientInput
    accession_number: str | None = None
    description: str | None = None
    referring_physician_username: str | None = None
    copy_to_usernames: list[str] | None = strawberry.field(
        default=None, description="Replaces the copy-to list when given; left out keeps it.")
    series: list[SeriesInput] | None = strawberry.field(
        default=None, description="Replaces the series when given; left out keeps them.")
    available_for_patient_at: datetime | None = None

    def to_data(self) -> StudyData:
        p = self.patient
        return StudyData(
            study_instance_uid=self.study_instance_uid, study_date=self.study_date,
            modalities=list(self.modalities),
            patient=PatientData(name=p.name, birth_date=p.birth_date, sex=p.sex,
                                patient_id=p.patient_id),
            accession_number=self.accession_number, description=self.description,
            referring_physician_username=self.referring_physician_username,
            copy_to_usernames=(list(self.copy_to_usernames)
                               if self.copy_to_usernames is not None else None),
            series=None if self.series is None else [
                SeriesData(series_instance_uid=s.series_instance_uid, modality=s.modality,
                           number_of_instances=s.number_of_instances,
                           description=s.description, body_part=s.body_part)
                for s in self.series],
            available_for_patient_at=self.available_for_patient_at,
        )


@strawberry.input
class ReportInput:
    study_instance_uid: str
    status: ReportStatus
    text: str
    author: str
    signed_at: datetime | None = None

    def to_data(self) -> ReportData:
        return ReportData(study_instance_uid=self.study_instance_uid, status=self.status,
                          text=self.text, author=self.author, signed_at=self.signed_at)


@strawberry.input
class PatientAccessInput:
    study_instance_uids: list[str]
    verification: PatientVerification
    scope: PatientScope
    phone_number: str | None = strawberry.field(default=None, description="E.164, for SMS")
    email: str | None = strawberry.field(default=None, description="For EMAIL")
    payment_required: bool | None = False
    valid_from: datetime | None = None
    valid_until: datetime | None = strawberry.field(
        default=None, description="Default: one calendar month after issue (L4).")

    def to_data(self) -> PatientAccessData:
        return PatientAccessData(
            study_instance_uids=list(self.study_instance_uids),
            verification=PatientVerificationModel(self.verification.value),
            scope=PatientScopeModel(self.scope.value), phone_number=self.phone_number,
            email=self.email, payment_required=bool(self.payment_required),
            valid_from=self.valid_from, valid_until=self.valid_until,
        )


@strawberry.type
class IssuedPatientAccess:
    id: strawberry.ID
    access_code: str = strawberry.field(description="Shown once; stored hashed.")
    totp_provisioning_uri: str | None
    valid_until: datetime

    @staticmethod
    def from_issued(issued: Issued) -> IssuedPatientAccess:
        return IssuedPatientAccess(
            id=strawberry.ID(to_global_id("PatientAccess", issued.access.id)),
            access_code=issued.access_code,
            totp_provisioning_uri=issued.totp_provisioning_uri,
            valid_until=issued.access.valid_until,
        )
