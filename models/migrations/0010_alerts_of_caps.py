"""An alert may be a cap's notice: its ``rule`` and ``holder`` may be null (a cap over the whole contract)

SQLite cannot drop a NOT NULL: the table is made again, which it allows only with its foreign keys off — outside a
transaction, so this migration is not atomic — and which drops the table's triggers: they are made again after,
and the foreign keys checked (its index too).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

ALERT_TRIGGERS = [
    "CREATE TRIGGER ck_alert_state_insert BEFORE INSERT ON alert WHEN NOT (NEW.state IN ('firing', 'resolved')) "
    "BEGIN SELECT RAISE(ABORT, 'ck_alert_state'); END",
    "CREATE TRIGGER ck_alert_state_update BEFORE UPDATE ON alert WHEN NOT (NEW.state IN ('firing', 'resolved')) "
    "BEGIN SELECT RAISE(ABORT, 'ck_alert_state'); END",
    "CREATE TRIGGER alert_no_update BEFORE UPDATE ON alert BEGIN SELECT RAISE(ABORT, 'alert is append-only'); END",
    "CREATE TRIGGER alert_no_delete BEFORE DELETE ON alert BEGIN SELECT RAISE(ABORT, 'alert is append-only'); END",
    'CREATE INDEX IF NOT EXISTS "idx_alert_contrac_0fc7ca" ON "alert" ("contract_id", "at")',
    "CREATE TRIGGER ck_alert_source_insert BEFORE INSERT ON alert WHEN (NEW.rule_id IS NULL) = (NEW.cap_id IS NULL) "
    "BEGIN SELECT RAISE(ABORT, 'ck_alert_source'); END",
]


async def foreign_keys_off(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == 'sqlite':
        await schema_editor.client.execute_query('PRAGMA foreign_keys = OFF')


async def triggers_and_foreign_keys(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == 'postgres':
        await client.execute_query(
            'ALTER TABLE alert ADD CONSTRAINT ck_alert_source CHECK ((rule_id IS NULL) <> (cap_id IS NULL))'
        )
        return
    existing = {row['name'] for row in await client.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for statement in ALERT_TRIGGERS:
        if 'IF NOT EXISTS' in statement or statement.split()[2] not in existing:
            await client.execute_query(statement)
    await client.execute_query('PRAGMA foreign_keys = ON')
    broken = await client.execute_query_dict('PRAGMA foreign_key_check')
    if broken:
        raise RuntimeError(f'foreign keys broken by the migration: {broken[:5]}')


class Migration(migrations.Migration):
    dependencies = [('balances', '0009_rates_and_controls')]

    initial = False
    atomic = False

    operations = [
        ops.RunPython(foreign_keys_off, atomic=False),
        ops.AlterField(
            model_name='Alert',
            name='holder',
            field=fields.ForeignKeyField('balances.Holder', source_field='holder_id', null=True, db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Alert',
            name='rule',
            field=fields.ForeignKeyField('balances.AlertRule', source_field='rule_id', null=True, db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(triggers_and_foreign_keys, atomic=False),
    ]
