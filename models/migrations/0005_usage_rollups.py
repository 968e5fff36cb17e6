"""Usage rollups of the right grain, and the last time each product and user was seen

Replaces ``usage_daily`` (one row per day x holder x team x product x user, barely fewer rows than events) with
rollups per team tag by day and by calendar month: totals, products, users; and ``usage_seen`` for the 90-day
distinct counts. The new tables are filled from the old rollup and the events, in the dialect of the database, and
get the same kind of database-held checks as the tables of 0002. The events' (contract, occurred_at) index served
only the reads these tables replace, and is dropped.
"""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


MONTH = {'sqlite': "date(day, 'start of month')", 'postgres': "date_trunc('month', day)::date"}
CHECKS = [
    ('usage_total', 'ck_usage_total_positive', 'quantity > 0 AND events > 0 AND grain IN (1, 2)'),
    ('usage_by_product', 'ck_usage_by_product_positive', 'quantity > 0 AND grain IN (1, 2)'),
    ('usage_by_user', 'ck_usage_by_user_positive', 'quantity > 0 AND grain IN (1, 2)'),
    ('usage_seen', 'ck_usage_seen_kind', "kind IN ('p', 'u')"),
]
COLUMNS = {
    'usage_total': ['quantity', 'events', 'grain'],
    'usage_by_product': ['quantity', 'grain'],
    'usage_by_user': ['quantity', 'grain'],
    'usage_seen': ['kind'],
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _checks(dialect: str) -> list[str]:
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


def _micros(value: object) -> int:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


async def fill_rollups(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    month = MONTH[dialect]
    for statement in _checks(dialect):
        await client.execute_query(statement)
    for grain, period in ((1, 'day'), (2, month)):
        await client.execute_query(
            'INSERT INTO usage_total (contract_id, team_key, grain, day, quantity, events) '
            f'SELECT contract_id, team_key, {grain}, {period}, SUM(quantity), SUM(events) FROM usage_daily '
            f'GROUP BY contract_id, team_key, {period}'
        )
        for table, column in (('usage_by_product', 'product'), ('usage_by_user', 'user_name')):
            await client.execute_query(
                f'INSERT INTO {table} (contract_id, team_key, grain, day, {column}, quantity) '
                f'SELECT contract_id, team_key, {grain}, {period}, {column}, SUM(quantity) FROM usage_daily '
                f'GROUP BY contract_id, team_key, {period}, {column}'
            )
    marks = ', '.join(['?'] * 5 if dialect == 'sqlite' else [f'${n}' for n in range(1, 6)])
    for kind, column in (('p', 'product'), ('u', 'user_name')):
        rows = await client.execute_query_dict(
            f'SELECT contract_id, holder_id, {column} AS key, MAX(occurred_at) AS last FROM usage_event '
            f'WHERE occurred_at <= received_at GROUP BY contract_id, holder_id, {column}'
        )
        for row in rows:
            await client.execute_query(
                f'INSERT INTO usage_seen (contract_id, holder_id, kind, key, last_at) VALUES ({marks})',
                [row['contract_id'], row['holder_id'], kind, row['key'], _micros(row['last'])],
            )
    ahead = await client.execute_query_dict(
        'SELECT contract_id, holder_id, product, user_name, occurred_at FROM usage_event WHERE occurred_at > received_at'
    )
    for row in ahead:
        await client.execute_query(
            f'INSERT INTO usage_ahead (contract_id, holder_id, product, user_name, occurred_at) VALUES ({marks})',
            [row['contract_id'], row['holder_id'], row['product'], row['user_name'], _micros(row['occurred_at'])],
        )

class Migration(migrations.Migration):
    dependencies = [('balances', '0004_usage_event_by_contract_and_time')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UsageAhead',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_ahead', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='usage_ahead', on_delete=OnDelete.RESTRICT)),
                ('product', fields.CharField(max_length=100)),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('occurred_at', fields.BigIntField()),
            ],
            options={'table': 'usage_ahead', 'app': 'balances', 'indexes': [Index(fields=['holder_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': "An event dated after it was received (the clock of its feed ahead, by at most 5 minutes): it joins the 90-day"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageByProduct',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_by_product', on_delete=OnDelete.RESTRICT)),
                ('team_key', fields.IntField()),
                ('grain', fields.SmallIntField()),
                ('day', fields.DateField()),
                ('product', fields.CharField(max_length=100)),
                ('quantity', fields.BigIntField()),
            ],
            options={'table': 'usage_by_product', 'app': 'balances', 'unique_together': (('contract', 'team_key', 'grain', 'day', 'product'),), 'pk_attr': 'id', 'table_description': 'Usage per team tag, period and product (grains as in ``UsageTotal``).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageByUser',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_by_user', on_delete=OnDelete.RESTRICT)),
                ('team_key', fields.IntField()),
                ('grain', fields.SmallIntField()),
                ('day', fields.DateField()),
                ('user', fields.CharField(source_field='user_name', max_length=200)),
                ('quantity', fields.BigIntField()),
            ],
            options={'table': 'usage_by_user', 'app': 'balances', 'unique_together': (('contract', 'team_key', 'grain', 'day', 'user'),), 'pk_attr': 'id', 'table_description': 'Usage per team tag, period and user (grains as in ``UsageTotal``).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageSeen',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_seen', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('balances.Holder', source_field='holder_id', db_constraint=True, to_field='id', related_name='usage_seen', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=1)),
                ('key', fields.CharField(max_length=200)),
                ('last_at', fields.BigIntField()),
            ],
            options={'table': 'usage_seen', 'app': 'balances', 'unique_together': (('holder', 'kind', 'key'),), 'pk_attr': 'id', 'table_description': 'The latest ``occurred_at`` of each product (kind ``p``) and user (kind ``u``) per holder, in microseconds'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageTotal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('balances.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='usage_totals', on_delete=OnDelete.RESTRICT)),
                ('team_key', fields.IntField()),
                ('grain', fields.SmallIntField()),
                ('day', fields.DateField()),
                ('quantity', fields.BigIntField()),
                ('events', fields.IntField()),
            ],
            options={'table': 'usage_total', 'app': 'balances', 'unique_together': (('contract', 'team_key', 'grain', 'day'),), 'pk_attr': 'id', 'table_description': 'Usage summed per team tag and period: a day (grain 1) or a calendar month (grain 2, ``day`` its first day).'},
            bases=['Model'],
        ),
        ops.RunPython(fill_rollups),
        ops.RemoveIndex(
            model_name='UsageEvent',
            name=None,
            fields=['contract_id', 'occurred_at'],
        ),
        ops.DeleteModel(name='UsageDaily'),
    ]
