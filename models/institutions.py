from tortoise import fields
from tortoise.models import Model


class Institution(Model):
    # A hospital or practice; its columns `practitioner_*`/`patient_*` are its access policy.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="institutions")
    code = fields.CharField(max_length=50)
    name = fields.CharField(max_length=200)
    practitioner_images = fields.BooleanField(default=True)
    practitioner_report = fields.BooleanField(default=True)
    patient_images = fields.BooleanField(default=True)
    patient_report = fields.BooleanField(default=True)
    patient_report_delay_hours = fields.IntField(default=0)
    patient_fee_amount = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
    patient_fee_currency = fields.CharField(max_length=3, null=True)

    class Meta:
        table = "institution"
        unique_together = (("environment", "code"),)
