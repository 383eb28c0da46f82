from enum import Enum

from tortoise import fields
from tortoise.models import Model


class ReportStatus(str, Enum):
    NONE = "NONE"
    PRELIMINARY = "PRELIMINARY"
    FINAL = "FINAL"
    AMENDED = "AMENDED"


class Study(Model):
    # A radiology study; series and report counts are kept on the row for the list.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="studies")
    institution = fields.ForeignKeyField("models.Institution", related_name="studies")
    study_instance_uid = fields.CharField(max_length=64)
    accession_number = fields.CharField(max_length=64, null=True)
    study_date = fields.DateField()
    description = fields.CharField(max_length=300, null=True)
    # "|CT|MR|": one column, filterable by "|CT|" on SQLite and PostgreSQL alike.
    modalities_key = fields.CharField(max_length=100)
    patient_name = fields.CharField(max_length=200)
    patient_birth_date = fields.DateField(null=True)
    patient_sex = fields.CharField(max_length=1, null=True)
    patient_id = fields.CharField(max_length=64, null=True)
    referring_physician = fields.ForeignKeyField(
        "models.User", related_name="referred_studies", null=True
    )
    available_for_patient_at = fields.DatetimeField(null=True)
    number_of_series = fields.IntField(default=0)
    number_of_instances = fields.IntField(default=0)
    report_status = fields.CharEnumField(ReportStatus, default=ReportStatus.NONE)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "study"
        unique_together = (("institution", "study_instance_uid"),)
        indexes = (
            ("environment_id", "study_date", "id"),
            ("environment_id", "updated_at", "id"),
            ("institution_id", "updated_at", "id"),
            ("referring_physician_id", "study_date"),
        )

    @property
    def modalities(self) -> list[str]:
        return [m for m in self.modalities_key.split("|") if m]


class StudyCopyTo(Model):
    # A physician on the study's copy-to list (A1: OWN).

    id = fields.IntField(primary_key=True)
    study = fields.ForeignKeyField("models.Study", related_name="copy_to")
    user = fields.ForeignKeyField("models.User", related_name="copied_studies")

    class Meta:
        table = "study_copy_to"
        unique_together = (("study", "user"),)
        indexes = (("user_id", "study_id"),)


class Series(Model):
    id = fields.IntField(primary_key=True)
    study = fields.ForeignKeyField("models.Study", related_name="series")
    series_instance_uid = fields.CharField(max_length=64)
    modality = fields.CharField(max_length=16)
    description = fields.CharField(max_length=300, null=True)
    body_part = fields.CharField(max_length=64, null=True)
    number_of_instances = fields.IntField(default=0)

    class Meta:
        table = "series"
        unique_together = (("study", "series_instance_uid"),)


class ReportVersion(Model):
    # One version of a study's report; the newest (highest `version`) is the report.

    id = fields.IntField(primary_key=True)
    study = fields.ForeignKeyField("models.Study", related_name="report_versions")
    version = fields.IntField()
    status = fields.CharEnumField(ReportStatus)
    text = fields.TextField()
    author = fields.CharField(max_length=200)
    signed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "report_version"
        unique_together = (("study", "version"),)
