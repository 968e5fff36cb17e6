from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Admin',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'admin', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'An administrator, whose password is kept only as an argon2 hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contract',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('region', fields.CharField(max_length=2)),
                ('mode', fields.CharField(max_length=16)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contract', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'A customer contract: its region fixes its mode (Flex tokens per team, or one pool of cloud credits).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AdminGrant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admin', fields.ForeignKeyField('balances.Admin', source_field='admin_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'admin_grant', 'app': 'balances', 'unique_together': (('admin', 'contract'),), 'pk_attr': 'id', 'table_description': 'An administrator may see and act on this contract.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Team',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'team', 'app': 'balances', 'unique_together': (('contract', 'name'),), 'pk_attr': 'id', 'table_description': 'A team of a contract: in Flex mode it holds tokens, in cloud-credit mode it only groups usage.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Holder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='holders', on_delete=OnDelete.RESTRICT)),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='holders', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'holder', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'Who holds lots: a team (Flex) or the pool of the contract (``team`` null, cloud credits).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Transfer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='transfers', on_delete=OnDelete.RESTRICT)),
                ('client_id', fields.CharField(max_length=128)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('from_team', fields.ForeignKeyField('balances.Team', source_field='from_team_id', db_constraint=True, to_field='id', related_name='transfers_out', on_delete=OnDelete.RESTRICT)),
                ('to_team', fields.ForeignKeyField('balances.Team', source_field='to_team_id', db_constraint=True, to_field='id', related_name='transfers_in', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'transfer', 'app': 'balances', 'unique_together': (('contract', 'client_id'),), 'pk_attr': 'id', 'table_description': 'Tokens a Flex team assigned to another team of its contract.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Lot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('origin', fields.CharField(max_length=16)),
                ('client_id', fields.CharField(null=True, max_length=128)),
                ('fingerprint', fields.CharField(null=True, max_length=64)),
                ('transfer', fields.ForeignKeyField('balances.Transfer', source_field='transfer_id', null=True, db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('source_lot', fields.ForeignKeyField('balances.Lot', source_field='source_lot_id', null=True, db_constraint=True, to_field='id', related_name='moved_to', on_delete=OnDelete.RESTRICT)),
                ('original', fields.BigIntField()),
                ('remaining', fields.BigIntField()),
                ('purchased_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lot', 'app': 'balances', 'unique_together': (('contract', 'client_id'),), 'indexes': [Index(fields=['holder_id', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'Tokens with one expiry date held by one holder: a purchase, or the part of a lot a transfer moved.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.RESTRICT)),
                ('lot', fields.ForeignKeyField('balances.Lot', source_field='lot_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('quantity', fields.BigIntField()),
                ('usage_event_id', fields.UUIDField(null=True, db_index=True)),
                ('transfer', fields.ForeignKeyField('balances.Transfer', source_field='transfer_id', null=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entry', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'One signed movement of one lot. Append-only: the database refuses to update or delete a row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageDaily',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_days', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='usage_days', on_delete=OnDelete.RESTRICT)),
                ('team_key', fields.IntField()),
                ('day', fields.DateField()),
                ('product', fields.CharField(max_length=100)),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('quantity', fields.BigIntField()),
                ('events', fields.IntField()),
            ],
            options={'table': 'usage_daily', 'app': 'balances', 'unique_together': (('holder', 'team_key', 'day', 'product', 'user'),), 'indexes': [Index(fields=['contract_id', 'day'])], 'pk_attr': 'id', 'table_description': 'Usage summed per day (in the time zone of the contract) × holder × team tag × product × user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_events', on_delete=OnDelete.RESTRICT)),
                ('client_id', fields.CharField(max_length=128)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='usage_events', on_delete=OnDelete.RESTRICT)),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='usage_events', on_delete=OnDelete.RESTRICT)),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('product', fields.CharField(max_length=100)),
                ('quantity', fields.BigIntField()),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'usage_event', 'app': 'balances', 'unique_together': (('contract', 'client_id'),), 'indexes': [Index(fields=['holder_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One consumption reported by a usage feed, charged to its holder when received.'},
            bases=['Model'],
        ),
    ]
