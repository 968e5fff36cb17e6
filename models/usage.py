"""Usage events as received, and their daily rollup."""

from tortoise import fields
from tortoise.models import Model

from models.contract import Contract, Holder, Team


class UsageEvent(Model):
    """One consumption reported by a usage feed, charged to its holder when received."""

    id = fields.UUIDField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_events', on_delete=fields.RESTRICT
    )
    client_id = fields.CharField(max_length=128)
    fingerprint = fields.CharField(max_length=64)
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='usage_events', on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='usage_events', null=True, on_delete=fields.RESTRICT
    )
    user = fields.CharField(max_length=200, source_field='user_name')
    product = fields.CharField(max_length=100)
    quantity = fields.BigIntField()
    occurred_at = fields.DatetimeField()
    received_at = fields.DatetimeField()

    class Meta:
        table = 'usage_event'
        unique_together = (('contract', 'client_id'),)
        indexes = (('contract_id', 'occurred_at'),)


class UsageDaily(Model):
    """Usage summed per day (in the time zone of the contract) × holder × team tag × product × user.

    Written in the same transaction as the events, so reports read O(days) rows, not O(events).
    ``team_key`` is the team's id, or 0 for usage tagged with no team.
    """

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_days', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='usage_days', on_delete=fields.RESTRICT
    )
    team_key = fields.IntField()
    day = fields.DateField()
    product = fields.CharField(max_length=100)
    user = fields.CharField(max_length=200, source_field='user_name')
    quantity = fields.BigIntField()
    events = fields.IntField()

    class Meta:
        table = 'usage_daily'
        unique_together = (('holder', 'team_key', 'day', 'product', 'user'),)
        indexes = (('contract_id', 'day'),)
