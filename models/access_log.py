from tortoise import fields
from tortoise.models import Model


class AccessLogEntry(Model):
    # One allowed resolution of a study's images or report (A7).

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="access_log")
    study = fields.ForeignKeyField("models.Study", related_name="access_log")
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=200)
    actor_kind = fields.CharField(max_length=20)
    action = fields.CharField(max_length=30)
    ip_address = fields.CharField(max_length=45, null=True)
    user = fields.ForeignKeyField("models.User", related_name="access_log", null=True)
    patient_access = fields.ForeignKeyField(
        "models.PatientAccess", related_name="access_log", null=True
    )
    api_client = fields.ForeignKeyField("models.ApiClient", related_name="access_log", null=True)

    class Meta:
        table = "access_log_entry"
        indexes = (("study_id", "at"),)
