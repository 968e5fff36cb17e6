"""Rates, product sessions, the entitlement check's refusals and the administrators' controls

New tables: products and their daily rates, product sessions and the 24-hour windows they charged, caps with their
notices, refusals counted per day, team, user, product and reason; a rollup of usage per user and product (what a cap
on both counts); a team's product list; an alert may be a cap's notice (``alert.cap``: 0010 lets ``rule`` be null).
The database holds the checks (by dialect, as 0005 and 0007 do), and the new rollup is filled from the events.
"""

from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

CHECKS = [
    ('product_rate', 'ck_product_rate', 'daily_rate > 0'),
    ('product_session', 'ck_product_session', 'minutes BETWEEN 0 AND 1440 AND charged >= 0'),
    ('usage_window', 'ck_usage_window', 'daily_rate > 0 AND ends_at > starts_at'),
    ('cap', 'ck_cap', "period IN ('day', 'month') AND cap_limit > 0"),
    ('cap_notice', 'ck_cap_notice', 'at_percent > 0 AND at_percent <= 200'),
    ('refusal', 'ck_refusal', "count > 0 AND reason IN ('unknown_product', 'product_not_allowed', 'cap_reached', "
     "'insufficient_balance')"),
    ('usage_by_user_product', 'ck_usage_by_user_product', 'quantity > 0 AND grain IN (1, 2)'),
]
COLUMNS = {
    'product_rate': ['daily_rate'],
    'product_session': ['minutes', 'charged'],
    'usage_window': ['daily_rate', 'ends_at', 'starts_at'],
    'cap': ['period', 'cap_limit'],
    'cap_notice': ['at_percent'],
    'refusal': ['count', 'reason'],
    'usage_by_user_product': ['quantity', 'grain'],
}
CHUNK = 50_000


def _statements(dialect: str) -> list[str]:
    if dialect == 'postgres':
        return [f'ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({expression})' for table, name, expression in CHECKS]
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
    return statements


async def checks_and_rollup(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for statement in _statements(dialect):
        await client.execute_query(statement)
    if dialect == 'postgres':
        await client.execute_query(
            'ALTER TABLE usage_by_user_product SET (autovacuum_vacuum_scale_factor = 0.01, '
            'autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)'
        )
    # the new rollup from the events already recorded: per contract, a chunk of events at a time in the order of its
    # (contract, occurred_at) index, by day and by month in the contract's time zone
    contracts = await client.execute_query_dict('SELECT id, timezone FROM contract')
    sums: dict[tuple[object, ...], int] = defaultdict(int)
    marks = ['?'] * 4 if dialect == 'sqlite' else [f'${n}' for n in range(1, 5)]
    for contract in contracts:
        zone = ZoneInfo(contract['timezone'])
        last: tuple[object, str] = (datetime(1970, 1, 1, tzinfo=UTC), '')
        while True:
            rows = await client.execute_query_dict(
                'SELECT id, team_id, user_name, product, quantity, occurred_at FROM usage_event '
                f'WHERE contract_id = {marks[0]} AND (occurred_at > {marks[1]} OR (occurred_at = {marks[2]} '
                f'AND CAST(id AS TEXT) > {marks[3]})) ORDER BY occurred_at, CAST(id AS TEXT) LIMIT {CHUNK}',
                [contract['id'], last[0], last[0], last[1]],
            )
            if not rows:
                break
            last = (rows[-1]['occurred_at'], str(rows[-1]['id']))
            for row in rows:
                at = row['occurred_at']
                at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
                day = at.astimezone(zone).date()
                for grain, period in ((1, day), (2, day.replace(day=1))):
                    key = (contract['id'], row['team_id'] or 0, grain, period, row['user_name'], row['product'])
                    sums[key] += int(row['quantity'])
    marks = ', '.join(['?'] * 7 if dialect == 'sqlite' else [f'${n}' for n in range(1, 8)])
    for key, units in sorted(sums.items(), key=str):
        await client.execute_query(
            'INSERT INTO usage_by_user_product (contract_id, team_key, grain, day, user_name, product, quantity) '
            f'VALUES ({marks})',
            [*key, units],
        )


class Migration(migrations.Migration):
    dependencies = [('balances', '0008_covering_rollup_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Cap',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='caps', on_delete=OnDelete.RESTRICT)),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='caps', on_delete=OnDelete.RESTRICT)),
                ('user', fields.CharField(source_field='user_name', null=True, max_length=200)),
                ('product', fields.CharField(null=True, max_length=100)),
                ('period', fields.CharField(max_length=8)),
                ('limit', fields.BigIntField(source_field='cap_limit')),
                ('stages', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cap', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'A limit on usage per calendar day or month (contract time zone) of a team, a user, a product or any'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CapNotice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cap', fields.ForeignKeyField('balances.Cap', source_field='cap_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.RESTRICT)),
                ('period_start', fields.DateField()),
                ('at_percent', fields.IntField()),
            ],
            options={'table': 'cap_notice', 'app': 'balances', 'unique_together': (('cap', 'period_start', 'at_percent'),), 'pk_attr': 'id', 'table_description': 'A notify stage of a cap reached in one period: written once, with its alert and deliveries.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=100)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'product', 'app': 'balances', 'pk_attr': 'id', 'table_description': 'A product or service that usage calls by its ``code``, with a history of daily rates.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('balances.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='rates', on_delete=OnDelete.RESTRICT)),
                ('daily_rate', fields.BigIntField()),
                ('effective_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'product_rate', 'app': 'balances', 'unique_together': (('product', 'effective_from'),), 'pk_attr': 'id', 'table_description': 'Tokens charged once per user per 24-hour window of the product, for windows opening from ``effective_from``'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='product_sessions', on_delete=OnDelete.RESTRICT)),
                ('client_id', fields.CharField(max_length=128)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='product_sessions', on_delete=OnDelete.RESTRICT)),
                ('team', fields.ForeignKeyField('balances.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='product_sessions', on_delete=OnDelete.RESTRICT)),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('product', fields.CharField(max_length=100)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('minutes', fields.IntField()),
                ('charged', fields.BigIntField()),
                ('window_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'product_session', 'app': 'balances', 'unique_together': (('contract', 'client_id'),), 'indexes': [Index(fields=['contract_id', 'window_start'])], 'pk_attr': 'id', 'table_description': 'A session of a product a user ran, as the licensing system reported it, and what it was charged.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refusal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='refusals', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('team_key', fields.IntField()),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('product', fields.CharField(max_length=100)),
                ('reason', fields.CharField(max_length=32)),
                ('count', fields.BigIntField()),
            ],
            options={'table': 'refusal', 'app': 'balances', 'unique_together': (('contract', 'day', 'team_key', 'user', 'product', 'reason'),), 'pk_attr': 'id', 'table_description': 'How many times the entitlement check refused a user a product, per day (contract time zone), team and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageByUserProduct',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_by_user_product', on_delete=OnDelete.RESTRICT)),
                ('team_key', fields.IntField()),
                ('grain', fields.SmallIntField()),
                ('day', fields.DateField()),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('product', fields.CharField(max_length=100)),
                ('quantity', fields.BigIntField()),
            ],
            options={'table': 'usage_by_user_product', 'app': 'balances', 'unique_together': (('contract', 'team_key', 'grain', 'day', 'user', 'product'),), 'indexes': [Index(fields=['contract_id', 'team_key', 'grain', 'day', 'user_name', 'product', 'quantity'])], 'pk_attr': 'id', 'table_description': 'Usage per team tag, period, user and product (grains as in ``UsageTotal``): what a cap on a user and a product'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageWindow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_windows', on_delete=OnDelete.RESTRICT)),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('product', fields.CharField(max_length=100)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('daily_rate', fields.BigIntField()),
            ],
            options={'table': 'usage_window', 'app': 'balances', 'unique_together': (('contract', 'user', 'product', 'starts_at'),), 'pk_attr': 'id', 'table_description': "A charged 24-hour window of a user's product: sessions starting inside it cost nothing more."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Alert',
            name='cap',
            field=fields.ForeignKeyField('balances.Cap', source_field='cap_id', null=True, db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Team',
            name='allowed_products',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.RunPython(checks_and_rollup),
    ]
