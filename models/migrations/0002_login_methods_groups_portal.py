from tortoise import migrations
from tortoise.migrations import operations as ops
from models.challenges import ChallengeMethod, EmailTokenPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EidLoginState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('environment', fields.ForeignKeyField('models.Environment', source_field='environment_id', db_constraint=True, to_field='id', related_name='eid_states', on_delete=OnDelete.CASCADE)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('nonce', fields.CharField(max_length=128)),
                ('code_verifier_encrypted', fields.CharField(max_length=500)),
                ('purpose', fields.CharField(max_length=10)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='eid_states', on_delete=OnDelete.CASCADE)),
                ('return_to', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'eid_login_state', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='email_tokens', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharEnumField(description='VERIFY_EMAIL: VERIFY_EMAIL\nRESET_PASSWORD: RESET_PASSWORD', enum_type=EmailTokenPurpose, max_length=14)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_token', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='group_changes_made', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=40)),
                ('subject', fields.ForeignKeyField('models.User', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='group_changes_about', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('details', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'group_change', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginChallenge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=64)),
                ('environment', fields.ForeignKeyField('models.Environment', source_field='environment_id', db_constraint=True, to_field='id', related_name='login_challenges', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='login_challenges', on_delete=OnDelete.CASCADE)),
                ('patient_access', fields.ForeignKeyField('models.PatientAccess', source_field='patient_access_id', null=True, db_constraint=True, to_field='id', related_name='login_challenges', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='TOTP: TOTP\nSMS: SMS\nEMAIL: EMAIL', enum_type=ChallengeMethod, max_length=5)),
                ('code_hash', fields.CharField(null=True, max_length=64)),
                ('code_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sends', fields.IntField(default=0)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_challenge', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment_id', fields.CharField(unique=True, max_length=100)),
                ('challenge', fields.ForeignKeyField('models.LoginChallenge', source_field='challenge_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=20)),
                ('amount', fields.CharField(max_length=20)),
                ('currency', fields.CharField(max_length=3)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_event', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PendingTotpEnrollment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='pending_totp', on_delete=OnDelete.CASCADE)),
                ('secret_encrypted', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pending_totp_enrollment', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThrottleCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('count', fields.IntField(default=0)),
                ('window_ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'throttle_counter', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='cookie_notice_acknowledged_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
