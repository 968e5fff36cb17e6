"""A lot's ``remaining`` is kept by the database from its ledger entries, and cannot be written any other way

A lot is created with nothing remaining; every ledger entry inserted adds its quantity to its lot's ``remaining``
and records itself as the lot's last counted entry (``last_entry_id``). A change of ``remaining`` (or of
``last_entry_id``) is refused unless it moves ``last_entry_id`` forward and adds exactly the entries of the lot
between the two; ``original`` never changes. With the entries append-only (0002), ``remaining`` is the sum of the
lot's entries at every commit, whatever code writes — the ledger's check keeps watching for it all the same.

PostgreSQL applies an ``INSERT``'s entries once per statement (one update per lot, however many entries a batch
writes to it); SQLite once per entry. The expressions are frozen here, as a migration must be.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

REFUSED = 'lot.remaining is kept from its ledger entries'

POSTGRES = [
    'CREATE INDEX ledger_entry_lot_id ON ledger_entry (lot_id, id)',
    'UPDATE lot SET last_entry_id = (SELECT MAX(id) FROM ledger_entry WHERE ledger_entry.lot_id = lot.id)',
    'CREATE FUNCTION apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
    'UPDATE lot SET remaining = lot.remaining + applied.quantity, last_entry_id = applied.last '
    'FROM (SELECT lot_id, SUM(quantity) AS quantity, MAX(id) AS last FROM new_entries GROUP BY lot_id) AS applied '
    'WHERE lot.id = applied.lot_id; RETURN NULL; END $$',
    'CREATE TRIGGER ledger_entry_applied AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS new_entries '
    'FOR EACH STATEMENT EXECUTE FUNCTION apply_entries()',
    'CREATE FUNCTION guard_remaining() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
    'IF TG_OP = \'INSERT\' THEN '
    '  IF NEW.remaining <> 0 OR NEW.last_entry_id IS NOT NULL THEN '
    f"    RAISE EXCEPTION '{REFUSED}: a new lot starts at 0' USING ERRCODE = 'check_violation'; END IF; "
    'ELSIF NEW.original <> OLD.original THEN '
    "  RAISE EXCEPTION 'lot.original never changes' USING ERRCODE = 'check_violation'; "
    'ELSIF NEW.remaining <> OLD.remaining OR NEW.last_entry_id IS DISTINCT FROM OLD.last_entry_id THEN '
    '  IF NEW.last_entry_id IS NULL OR NEW.last_entry_id <= COALESCE(OLD.last_entry_id, 0) '
    '     OR NEW.remaining - OLD.remaining <> (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry '
    '       WHERE lot_id = NEW.id AND id > COALESCE(OLD.last_entry_id, 0) AND id <= NEW.last_entry_id) THEN '
    f"    RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'check_violation'; END IF; "
    'END IF; RETURN NEW; END $$',
    'CREATE TRIGGER lot_remaining_guarded BEFORE INSERT OR UPDATE ON lot FOR EACH ROW EXECUTE FUNCTION guard_remaining()',
]

# 0002's row checks of a lot, each now fired only by an update of the columns it reads (on SQLite a trigger without
# ``OF`` runs on every update, and every ledger entry now updates its lot's ``remaining``)
LOT_CHECKS = {
    'ck_lot_original': ('original', 'NEW.original > 0'),
    'ck_lot_remaining': ('remaining, original', 'NEW.remaining >= 0 AND NEW.remaining <= NEW.original'),
    'ck_lot_dates': ('expires_at, purchased_at', 'NEW.expires_at > NEW.purchased_at'),
    'ck_lot_provenance': (
        'origin, client_id, transfer_id, source_lot_id',
        "(NEW.origin = 'purchase' AND NEW.client_id IS NOT NULL AND NEW.transfer_id IS NULL AND NEW.source_lot_id IS NULL)"
        " OR (NEW.origin = 'transfer' AND NEW.client_id IS NULL AND NEW.transfer_id IS NOT NULL"
        ' AND NEW.source_lot_id IS NOT NULL)',
    ),
}

SQLITE = [
    *(f'DROP TRIGGER {name}_update' for name in LOT_CHECKS),
    *(
        f'CREATE TRIGGER {name}_update BEFORE UPDATE OF {columns} ON lot WHEN NOT ({check}) '
        f"BEGIN SELECT RAISE(ABORT, '{name}'); END"
        for name, (columns, check) in LOT_CHECKS.items()
    ),
    'CREATE INDEX ledger_entry_lot_id ON ledger_entry (lot_id, id)',
    'UPDATE lot SET last_entry_id = (SELECT MAX(id) FROM ledger_entry WHERE ledger_entry.lot_id = lot.id)',
    'CREATE TRIGGER ledger_entry_applied AFTER INSERT ON ledger_entry BEGIN '
    'UPDATE lot SET remaining = remaining + NEW.quantity, last_entry_id = NEW.id WHERE id = NEW.lot_id; END',
    'CREATE TRIGGER lot_remaining_starts_at_zero BEFORE INSERT ON lot '
    f"WHEN NEW.remaining <> 0 OR NEW.last_entry_id IS NOT NULL BEGIN SELECT RAISE(ABORT, '{REFUSED}: a new lot "
    "starts at 0'); END",
    'CREATE TRIGGER lot_original_never_changes BEFORE UPDATE OF original ON lot WHEN NEW.original <> OLD.original '
    "BEGIN SELECT RAISE(ABORT, 'lot.original never changes'); END",
    'CREATE TRIGGER lot_remaining_guarded BEFORE UPDATE OF remaining, last_entry_id ON lot '
    'WHEN (NEW.remaining <> OLD.remaining OR NEW.last_entry_id IS NOT OLD.last_entry_id) AND ('
    'NEW.last_entry_id IS NULL OR NEW.last_entry_id <= IFNULL(OLD.last_entry_id, 0) '
    'OR NEW.remaining - OLD.remaining <> (SELECT IFNULL(SUM(quantity), 0) FROM ledger_entry '
    'WHERE lot_id = NEW.id AND id > IFNULL(OLD.last_entry_id, 0) AND id <= NEW.last_entry_id)) '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
]


async def keep_remaining(apps, schema_editor) -> None:
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == 'postgres' else SQLITE:
        await client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('balances', '0012_paused_rules_and_regions')]

    initial = False

    operations = [
        ops.AddField(model_name='Lot', name='last_entry_id', field=fields.BigIntField(null=True)),
        ops.RunPython(keep_remaining),
    ]
