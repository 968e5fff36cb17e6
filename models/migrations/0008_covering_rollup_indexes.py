"""Rollup reads served by their index alone

Each rollup gets an index of its key followed by the quantities it holds: a breakdown then scans one index range
without fetching every row from the table (on SQLite a B-tree search per row: 31,000 rows of a 30-day contract-wide
breakdown by user took 39 ms, 8 ms from the index alone). The unique indexes stay, as the upserts' conflict targets.

PostgreSQL answers from an index alone only for the table pages its visibility map marks all-visible, which VACUUM
sets: the rollups are vacuumed after 1 % of their rows changed or arrived (the default is 20 %, which leaves the
newest rows — those most reads ask for — to be fetched from the table until a fifth of it is new).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

ROLLUPS = ('usage_total', 'usage_by_product', 'usage_by_user')
VACUUM_SOON = (
    'autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, '
    'autovacuum_analyze_scale_factor = 0.02'
)


async def vacuum_soon(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == 'postgres':
        for table in ROLLUPS:
            await client.execute_query(f'ALTER TABLE {table} SET ({VACUUM_SOON})')


class Migration(migrations.Migration):
    dependencies = [('balances', '0007_alerts')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='UsageTotal',
            index=Index(fields=['contract_id', 'team_key', 'grain', 'day', 'quantity', 'events']),
        ),
        ops.AddIndex(
            model_name='UsageByProduct',
            index=Index(fields=['contract_id', 'team_key', 'grain', 'day', 'product', 'quantity']),
        ),
        ops.AddIndex(
            model_name='UsageByUser',
            index=Index(fields=['contract_id', 'team_key', 'grain', 'day', 'user_name', 'quantity']),
        ),
        ops.RunPython(vacuum_soon),
    ]
