"""Lots, transfers and the append-only ledger entries every balance is derived from."""

from tortoise import fields
from tortoise.models import Model

from models.contract import Contract, Holder, Team


class Transfer(Model):
    """Tokens a Flex team assigned to another team of its contract."""

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='transfers', on_delete=fields.RESTRICT
    )
    client_id = fields.CharField(max_length=128)
    fingerprint = fields.CharField(max_length=64)
    from_team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='transfers_out', on_delete=fields.RESTRICT
    )
    to_team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='transfers_in', on_delete=fields.RESTRICT
    )
    quantity = fields.BigIntField()
    created_at = fields.DatetimeField()
    made_by = fields.CharField(max_length=300, null=True)  # an administrator's e-mail, or the API key that asked
    undoes: fields.ForeignKeyNullableRelation['Transfer'] = fields.ForeignKeyField(
        'balances.Transfer', related_name='undone_by', null=True, on_delete=fields.RESTRICT
    )
    undoes_id: int | None

    class Meta:
        table = 'transfer'
        unique_together = (('contract', 'client_id'),)


class Lot(Model):
    """Tokens with one expiry date held by one holder: a purchase, or the part of a lot a transfer moved.

    ``remaining`` is the sum of the lot's ledger entries, kept by the database: a lot is created with 0 remaining,
    each entry inserted adds its quantity, and any other change is refused (migration 0013); ``last_entry_id`` is
    the last entry counted. The ledger check still reconciles them, in case.
    Quantities are integer ten-thousandths (see ``services.domain.quantity``).
    """

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='lots', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='lots', on_delete=fields.RESTRICT
    )
    holder_id: int
    origin = fields.CharField(max_length=16)
    client_id = fields.CharField(max_length=128, null=True)
    fingerprint = fields.CharField(max_length=64, null=True)
    transfer: fields.ForeignKeyNullableRelation[Transfer] = fields.ForeignKeyField(
        'balances.Transfer', related_name='lots', null=True, on_delete=fields.RESTRICT
    )
    source_lot: fields.ForeignKeyNullableRelation['Lot'] = fields.ForeignKeyField(
        'balances.Lot', related_name='moved_to', null=True, on_delete=fields.RESTRICT
    )
    original = fields.BigIntField()
    remaining = fields.BigIntField()
    last_entry_id = fields.BigIntField(null=True)
    purchased_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = 'lot'
        unique_together = (('contract', 'client_id'),)
        indexes = (('holder_id', 'expires_at'),)


class LedgerEntry(Model):
    """One signed movement of one lot. Append-only: the database refuses to update or delete a row."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='ledger_entries', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='ledger_entries', on_delete=fields.RESTRICT
    )
    lot: fields.ForeignKeyRelation[Lot] = fields.ForeignKeyField(
        'balances.Lot', related_name='entries', on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)
    quantity = fields.BigIntField()
    usage_event_id = fields.UUIDField(null=True, db_index=True)
    transfer: fields.ForeignKeyNullableRelation[Transfer] = fields.ForeignKeyField(
        'balances.Transfer', related_name='entries', null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = 'ledger_entry'
