"""An alert may come from the ledger's scheduled check (kind ``ledger_check``): neither a rule's nor a cap's"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SOURCE = (
    "(kind = 'ledger_check' AND rule_id IS NULL AND cap_id IS NULL) "
    "OR (kind <> 'ledger_check' AND (rule_id IS NULL) <> (cap_id IS NULL))"
)


async def books_alerts(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == 'postgres':
        await client.execute_query('ALTER TABLE alert DROP CONSTRAINT ck_alert_source')
        await client.execute_query(f'ALTER TABLE alert ADD CONSTRAINT ck_alert_source CHECK ({SOURCE})')
        return
    row_source = SOURCE.replace('kind', 'NEW.kind').replace('rule_id', 'NEW.rule_id').replace('cap_id', 'NEW.cap_id')
    await client.execute_query('DROP TRIGGER ck_alert_source_insert')
    await client.execute_query(
        f"CREATE TRIGGER ck_alert_source_insert BEFORE INSERT ON alert WHEN NOT ({row_source}) "
        "BEGIN SELECT RAISE(ABORT, 'ck_alert_source'); END"
    )


class Migration(migrations.Migration):
    dependencies = [('balances', '0013_remaining_kept_by_the_database')]

    initial = False

    operations = [ops.RunPython(books_alerts)]
