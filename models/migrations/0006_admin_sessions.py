from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('balances', '0005_usage_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AdminSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admin', fields.ForeignKeyField('balances.Admin', source_field='admin_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('ticket_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('browser', fields.CharField(max_length=64)),
                ('token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'admin_session', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'A signed-in browser: the digest of the token its session cookie carries, and when it was last active.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=300)),
                ('failures', fields.IntField()),
                ('last_failure_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_failure', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'Failed sign-ins of one account (key ``email:…``) or one client address (``address:…``), for throttling.'},
            bases=['Model'],
        ),
    ]
