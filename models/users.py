from enum import Enum

from tortoise import fields
from tortoise.models import Model


class Profession(str, Enum):
    PHYSICIAN = "PHYSICIAN"
    DENTIST = "DENTIST"
    SPECIALIST = "SPECIALIST"


class AccountRole(str, Enum):
    PRACTITIONER = "PRACTITIONER"
    SERVICE_DESK = "SERVICE_DESK"


class AccountStatus(str, Enum):
    PENDING_EMAIL_VERIFICATION = "PENDING_EMAIL_VERIFICATION"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class User(Model):
    # A practitioner or service-desk account; usernames are unique per environment (A6).

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="users")
    username = fields.CharField(max_length=254)
    # Lower-cased username: the login key (L1 is case-insensitive).
    username_key = fields.CharField(max_length=254)
    email = fields.CharField(max_length=254, null=True)
    password_hash = fields.CharField(max_length=200)
    display_name = fields.CharField(max_length=200)
    profession = fields.CharEnumField(Profession, null=True)
    role = fields.CharEnumField(AccountRole, default=AccountRole.PRACTITIONER)
    status = fields.CharEnumField(AccountStatus, default=AccountStatus.ACTIVE)
    phone_number = fields.CharField(max_length=20, null=True)
    practitioner_number = fields.CharField(max_length=50, null=True)
    eid_subject = fields.CharField(max_length=50, null=True)
    cookie_notice_acknowledged_at = fields.DatetimeField(null=True)  # C1, C2
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_account"
        unique_together = (("environment", "username_key"), ("environment", "eid_subject"))


class Authenticator(Model):
    # An enrolled TOTP device (L12); the secret is encrypted with the server key (S5).

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="authenticators")
    label = fields.CharField(max_length=100)
    secret_encrypted = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    # Last accepted TOTP time step: a code is accepted once (L5, L12).
    last_used_step = fields.BigIntField(null=True)

    class Meta:
        table = "authenticator"
