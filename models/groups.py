from tortoise import fields
from tortoise.models import Model


class Group(Model):
    # A group practice (G1-G7); `primary_contact` is always an administrator member.

    id = fields.IntField(primary_key=True)
    environment = fields.ForeignKeyField("models.Environment", related_name="groups")
    name = fields.CharField(max_length=200)
    primary_contact = fields.ForeignKeyField("models.User", related_name="primary_contact_of")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "practice_group"


class GroupMembership(Model):
    # One practitioner in one group; `confirmed_at` starts at creation (G2, G4).

    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("models.Group", related_name="memberships")
    user = fields.ForeignKeyField("models.User", related_name="memberships")
    is_administrator = fields.BooleanField(default=False)
    confirmed_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_membership"
        unique_together = (("group", "user"),)
        indexes = (("user_id", "confirmed_at"),)


class GroupChange(Model):
    # Every change to a group's composition: who did what to whom, when (issue: My Groups).
    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("models.Group", related_name="changes")
    actor = fields.ForeignKeyField("models.User", related_name="group_changes_made")
    action = fields.CharField(max_length=40)
    subject = fields.ForeignKeyField("models.User", related_name="group_changes_about", null=True)
    at = fields.DatetimeField()
    details = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "group_change"
