from tortoise import fields
from tortoise.models import Model


class Environment(Model):
    # A country portal (A6): every other record belongs to exactly one.

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=10, unique=True)
    name = fields.CharField(max_length=100)
    country = fields.CharField(max_length=2)
    portal_url = fields.CharField(max_length=300)
    eid_login_enabled = fields.BooleanField(default=False)

    class Meta:
        table = "environment"
