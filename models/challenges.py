from enum import Enum

from tortoise import fields
from tortoise.models import Model


class ChallengeMethod(str, Enum):
    TOTP = "TOTP"
    SMS = "SMS"
    EMAIL = "EMAIL"


class LoginChallenge(Model):
    # A login half-way: the first factor passed, a payment (L6) or second factor (L5, L12) is due.
    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=64, unique=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="login_challenges")
    user = fields.ForeignKeyField("models.User", related_name="login_challenges", null=True)
    patient_access = fields.ForeignKeyField(
        "models.PatientAccess", related_name="login_challenges", null=True
    )
    method = fields.CharEnumField(ChallengeMethod)
    code_hash = fields.CharField(max_length=64, null=True)  # the last code sent, keyed hash
    code_sent_at = fields.DatetimeField(null=True)
    sends = fields.IntField(default=0)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_challenge"


class PaymentEvent(Model):
    # One payment provider callback, kept once per paymentId (L6: replays change nothing).
    id = fields.IntField(primary_key=True)
    payment_id = fields.CharField(max_length=100, unique=True)
    challenge = fields.ForeignKeyField("models.LoginChallenge", related_name="payments", null=True)
    status = fields.CharField(max_length=20)
    amount = fields.CharField(max_length=20)
    currency = fields.CharField(max_length=3)
    received_at = fields.DatetimeField()

    class Meta:
        table = "payment_event"


class EmailTokenPurpose(str, Enum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"


class EmailToken(Model):
    # A single-use link sent by e-mail (L9 verification, L10 reset); only its keyed hash is kept.
    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("models.User", related_name="email_tokens")
    purpose = fields.CharEnumField(EmailTokenPurpose)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_token"


class PendingTotpEnrollment(Model):
    # A TOTP secret offered by startTotpEnrollment, waiting for its first valid code (L12).
    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("models.User", related_name="pending_totp")
    secret_encrypted = fields.CharField(max_length=500)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "pending_totp_enrollment"


class EidLoginState(Model):
    # One OpenID Connect authorization request (L7): state, nonce and PKCE verifier, used once.
    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="eid_states")
    state_hash = fields.CharField(max_length=64, unique=True)
    nonce = fields.CharField(max_length=128)
    code_verifier_encrypted = fields.CharField(max_length=500)
    purpose = fields.CharField(max_length=10)  # LOGIN or LINK
    user = fields.ForeignKeyField("models.User", related_name="eid_states", null=True)
    return_to = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "eid_login_state"


class ThrottleCounter(Model):
    # Shared failure counters and lockouts (L3, L4) when no Redis is configured.
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    count = fields.IntField(default=0)
    window_ends_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "throttle_counter"
