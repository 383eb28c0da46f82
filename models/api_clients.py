from tortoise import fields
from tortoise.models import Model

SCOPES = ("studies:read", "studies:write", "reports:read", "patient-access:write")


class ApiClient(Model):
    # A partner system (P1): one institution, scopes, and the keyed hash of its token.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="api_clients")
    institution = fields.ForeignKeyField("models.Institution", related_name="api_clients")
    name = fields.CharField(max_length=200)
    token_hash = fields.CharField(max_length=64, unique=True)
    scopes_text = fields.CharField(max_length=200)  # comma-separated, from SCOPES
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_client"

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.scopes_text.split(",") if s]
