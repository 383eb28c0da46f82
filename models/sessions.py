from tortoise import fields
from tortoise.models import Model


class Session(Model):
    # A signed-in browser (L8): only the token's keyed hash is stored.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="sessions")
    token_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", null=True)
    patient_access = fields.ForeignKeyField(
        "models.PatientAccess", related_name="sessions", null=True
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()  # absolute end: login time + 4 hours
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class LoginAttempt(Model):
    # Every login attempt on an account (L11) and the input of the L3 counters.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="login_attempts")
    user = fields.ForeignKeyField("models.User", related_name="login_attempts", null=True)
    username_key = fields.CharField(max_length=254, null=True)
    method = fields.CharField(max_length=20)
    succeeded = fields.BooleanField()
    ip_address = fields.CharField(max_length=45, null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "login_attempt"
        indexes = (("user_id", "at"), ("environment_id", "username_key", "at"))
