from enum import Enum

from tortoise import fields
from tortoise.models import Model


class PatientVerification(str, Enum):
    DATE_OF_BIRTH_ONLY = "DATE_OF_BIRTH_ONLY"
    TOTP = "TOTP"
    SMS = "SMS"
    EMAIL = "EMAIL"


class PatientScope(str, Enum):
    IMAGES = "IMAGES"
    IMAGES_AND_REPORT = "IMAGES_AND_REPORT"


class PatientAccess(Model):
    # A patient's access code (L4-L6); only the code's keyed hash is stored.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="patient_accesses")
    institution = fields.ForeignKeyField("models.Institution", related_name="patient_accesses")
    code_hash = fields.CharField(max_length=64, unique=True)
    date_of_birth = fields.DateField()
    patient_name = fields.CharField(max_length=200)
    verification = fields.CharEnumField(PatientVerification)
    scope = fields.CharEnumField(PatientScope)
    phone_number = fields.CharField(max_length=20, null=True)
    email = fields.CharField(max_length=254, null=True)
    totp_secret_encrypted = fields.CharField(max_length=500, null=True)
    totp_last_step = fields.BigIntField(null=True)
    payment_required = fields.BooleanField(default=False)
    paid = fields.BooleanField(default=False)
    valid_from = fields.DatetimeField(null=True)
    valid_until = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "patient_access"


class PatientAccessStudy(Model):
    id = fields.IntField(primary_key=True)
    patient_access = fields.ForeignKeyField("models.PatientAccess", related_name="study_links")
    study = fields.ForeignKeyField("models.Study", related_name="patient_links")

    class Meta:
        table = "patient_access_study"
        unique_together = (("patient_access", "study"),)
