"""The invariants the database holds itself

Tortoise's schema editors do not apply ``Meta.constraints``, and SQLite cannot add a CHECK to an existing table.
So this migration writes them by dialect: CHECK constraints on PostgreSQL, ``BEFORE INSERT/UPDATE`` triggers that
abort on SQLite; partial unique indexes on both; and triggers that make ledger entries and usage events
append-only on both. The expressions are frozen here, as a migration must be.
"""

import re

from tortoise import migrations
from tortoise.migrations import operations as ops

CHECKS = [
    ('contract', 'ck_contract_mode', "mode IN ('flex', 'cloud_credits')"),
    ('transfer', 'ck_transfer_quantity', 'quantity > 0'),
    ('transfer', 'ck_transfer_teams', 'from_team_id <> to_team_id'),
    ('lot', 'ck_lot_original', 'original > 0'),
    ('lot', 'ck_lot_remaining', 'remaining >= 0 AND remaining <= original'),
    ('lot', 'ck_lot_dates', 'expires_at > purchased_at'),
    (
        'lot',
        'ck_lot_provenance',
        "(origin = 'purchase' AND client_id IS NOT NULL AND transfer_id IS NULL AND source_lot_id IS NULL) OR "
        "(origin = 'transfer' AND client_id IS NULL AND transfer_id IS NOT NULL AND source_lot_id IS NOT NULL)",
    ),
    (
        'ledger_entry',
        'ck_entry_sign',
        "(kind IN ('purchase', 'transfer_in') AND quantity > 0) OR (kind IN ('consume', 'transfer_out') AND quantity < 0)",
    ),
    (
        'ledger_entry',
        'ck_entry_reference',
        "(kind = 'consume') = (usage_event_id IS NOT NULL) AND "
        "(kind IN ('transfer_in', 'transfer_out')) = (transfer_id IS NOT NULL)",
    ),
    ('usage_event', 'ck_usage_quantity', 'quantity > 0'),
    ('usage_daily', 'ck_usage_daily_positive', 'quantity > 0 AND events > 0'),
]
COLUMNS = {
    'contract': ['mode'],
    'transfer': ['quantity', 'from_team_id', 'to_team_id'],
    'lot': ['original', 'remaining', 'expires_at', 'purchased_at', 'origin', 'client_id', 'transfer_id', 'source_lot_id'],
    'ledger_entry': ['kind', 'quantity', 'usage_event_id', 'transfer_id'],
    'usage_event': ['quantity'],
    'usage_daily': ['quantity', 'events'],
}
PARTIAL_UNIQUE = [
    ('uq_holder_team', 'holder', 'team_id', 'team_id IS NOT NULL'),
    ('uq_holder_pool', 'holder', 'contract_id', 'team_id IS NULL'),
]
APPEND_ONLY = ['ledger_entry', 'usage_event']


def _sqlite_row(table: str, expression: str) -> str:
    return re.sub(r'\b(' + '|'.join(COLUMNS[table]) + r')\b', r'NEW.\1', expression)


def _statements(dialect: str) -> list[str]:
    statements = [f'CREATE UNIQUE INDEX {name} ON {table} ({column}) WHERE {where}'
                  for name, table, column, where in PARTIAL_UNIQUE]
    if dialect == 'postgres':
        statements += [f'ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({expression})'
                       for table, name, expression in CHECKS]
        statements.append(
            'CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation'; "
            'END $$'
        )
        statements += [f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                       'FOR EACH ROW EXECUTE FUNCTION refuse_change()' for table in APPEND_ONLY]
    else:
        for table, name, expression in CHECKS:
            for event in ('INSERT', 'UPDATE'):
                statements.append(
                    f'CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} '
                    f"WHEN NOT ({_sqlite_row(table, expression)}) BEGIN SELECT RAISE(ABORT, '{name}'); END"
                )
        for table in APPEND_ONLY:
            for event in ('UPDATE', 'DELETE'):
                statements.append(
                    f'CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} '
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    return statements


async def add_constraints(apps, schema_editor) -> None:
    client = schema_editor.client
    for statement in _statements(client.capabilities.dialect):
        await client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('balances', '0001_initial')]

    operations = [ops.RunPython(add_constraints)]
