"""Alerts: rules, the state of each rule per holder, crossings and their deliveries; who assigned tokens

Adds the database-held checks of the new tables (by dialect, as 0005 does), the administrators' language, who made
a transfer and which transfer it undoes, and gives every existing contract the seed's rule: tokens expiring
within 90 days, every holder, e-mailed to the contract's administrators. The alert history is append-only.
"""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

CHECKS = [
    ('alert_rule', 'ck_alert_rule_kind',
     "kind IN ('available_below_percent', 'available_below', 'expiring_within_days', 'runs_out_within_days') "
     'AND threshold > 0'),
    ('alert', 'ck_alert_state', "state IN ('firing', 'resolved')"),
    ('alert_delivery', 'ck_alert_delivery', "channel IN ('email', 'webhook') AND status IN ('pending', 'sent', 'failed') "
     'AND attempts >= 0'),
]
COLUMNS = {
    'alert_rule': ['kind', 'threshold'],
    'alert': ['state'],
    'alert_delivery': ['channel', 'status', 'attempts'],
}
SEED_KIND, SEED_DAYS = 'expiring_within_days', 90 * 10_000


def _statements(dialect: str) -> list[str]:
    if dialect == 'postgres':
        statements = [f'ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({expression})' for table, name, expression in CHECKS]
        statements.append(
            'CREATE TRIGGER alert_append_only BEFORE UPDATE OR DELETE ON alert FOR EACH ROW EXECUTE FUNCTION refuse_change()'
        )
        return statements
    statements = []
    for table, name, expression in CHECKS:
        row = expression
        for column in COLUMNS[table]:
            row = row.replace(column, f'NEW.{column}')
        for event in ('INSERT', 'UPDATE'):
            statements.append(
                f'CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} '
                f"WHEN NOT ({row}) BEGIN SELECT RAISE(ABORT, '{name}'); END"
            )
    for event in ('UPDATE', 'DELETE'):
        statements.append(
            f"CREATE TRIGGER alert_no_{event.lower()} BEFORE {event} ON alert BEGIN SELECT RAISE(ABORT, 'alert is append-only'); END"
        )
    return statements


async def checks_and_seed_rules(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for statement in _statements(dialect):
        await client.execute_query(statement)
    marks = ', '.join(['?'] * 4 if dialect == 'sqlite' else [f'${n}' for n in range(1, 5)])
    now = datetime.now(UTC)
    for row in await client.execute_query_dict('SELECT id FROM contract'):
        await client.execute_query(
            'INSERT INTO alert_rule (contract_id, kind, threshold, created_at, emails, to_admins) '
            f"VALUES ({marks}, '[]', TRUE)",
            [row['id'], SEED_KIND, SEED_DAYS, now],
        )


class Migration(migrations.Migration):
    dependencies = [('balances', '0006_admin_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='alert_rules', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=32)),
                ('threshold', fields.BigIntField()),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='alert_rules', on_delete=OnDelete.RESTRICT)),
                ('emails', fields.TextField(default='[]', unique=False)),
                ('to_admins', fields.BooleanField(default=False)),
                ('webhook_url', fields.CharField(null=True, max_length=2048)),
                ('webhook_secret', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_rule', 'app': 'balances', 'pk_attr': 'id', 'table_description': "A condition on a holder's numbers (one team, or every holder of the contract), and who hears of it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT)),
                ('rule', fields.ForeignKeyField('balances.AlertRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT)),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=32)),
                ('threshold', fields.BigIntField()),
                ('state', fields.CharField(max_length=16)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('available', fields.BigIntField()),
                ('total', fields.BigIntField()),
                ('expiring', fields.BigIntField()),
                ('next_expiry', fields.DateField(null=True)),
                ('runs_out_on', fields.DateField(null=True)),
                ('message', fields.TextField(unique=False)),
            ],
            options={'table': 'alert', 'app': 'balances', 'indexes': [Index(fields=['contract_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One crossing of a rule for a holder (``firing`` or ``resolved``), with the numbers of that moment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('alert', fields.ForeignKeyField('balances.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.RESTRICT)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='alert_deliveries', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(max_length=8)),
                ('target', fields.CharField(max_length=2048)),
                ('language', fields.CharField(default='en', max_length=8)),
                ('status', fields.CharField(max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_delivery', 'app': 'balances', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One notice of one crossing to one target: the outbox the senders work off, written with the crossing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertSeen',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admin', fields.ForeignKeyField('balances.Admin', source_field='admin_id', db_constraint=True, to_field='id', related_name='alerts_seen', on_delete=OnDelete.CASCADE)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='alerts_seen', on_delete=OnDelete.RESTRICT)),
                ('last_alert', fields.BigIntField()),
            ],
            options={'table': 'alert_seen', 'app': 'balances', 'unique_together': (('admin', 'contract'),), 'pk_attr': 'id', 'table_description': 'The newest alert of a contract that an administrator has seen (the bell counts what came after).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertState',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('balances.AlertRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='states', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='alert_states', on_delete=OnDelete.RESTRICT)),
                ('firing', fields.BooleanField()),
                ('changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_state', 'app': 'balances', 'unique_together': (('rule', 'holder'),), 'pk_attr': 'id', 'table_description': "Whether a rule's condition held for a holder when last evaluated: a crossing is a change of this row."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Admin',
            name='language',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='Transfer',
            name='made_by',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.AddField(
            model_name='Transfer',
            name='undoes',
            field=fields.ForeignKeyField('balances.Transfer', source_field='undoes_id', null=True, db_constraint=True, to_field='id', related_name='undone_by', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(checks_and_seed_rules),
    ]
