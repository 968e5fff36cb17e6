"""Usage events as received, and the rollups every usage read is served from

Reads never touch the events: a breakdown over a range reads rows of the right grain (days, and calendar months
for the whole months inside a long range), keyed by team tag so that a team's reads scan only its own rows; the
90-day distinct counts read the last time each product and user was seen per holder. Each rollup also has an index
holding its whole row after the key, so that a read is a range scan of that index alone, with no lookup per row.
"""

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


class UsageTotal(Model):
    """Usage summed per team tag and period: a day (grain 1) or a calendar month (grain 2, ``day`` its first day).

    Days are calendar dates in the contract's time zone; ``team_key`` is the team's id, or 0 for usage tagged with
    no team (cloud credits). Written in the same transaction as the events.
    """

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_totals', on_delete=fields.RESTRICT
    )
    team_key = fields.IntField()
    grain = fields.SmallIntField()
    day = fields.DateField()
    quantity = fields.BigIntField()
    events = fields.IntField()

    class Meta:
        table = 'usage_total'
        unique_together = (('contract', 'team_key', 'grain', 'day'),)
        indexes = (('contract_id', 'team_key', 'grain', 'day', 'quantity', 'events'),)


class UsageByProduct(Model):
    """Usage per team tag, period and product (grains as in ``UsageTotal``)."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_by_product', on_delete=fields.RESTRICT
    )
    team_key = fields.IntField()
    grain = fields.SmallIntField()
    day = fields.DateField()
    product = fields.CharField(max_length=100)
    quantity = fields.BigIntField()

    class Meta:
        table = 'usage_by_product'
        unique_together = (('contract', 'team_key', 'grain', 'day', 'product'),)
        indexes = (('contract_id', 'team_key', 'grain', 'day', 'product', 'quantity'),)


class UsageByUser(Model):
    """Usage per team tag, period and user (grains as in ``UsageTotal``)."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_by_user', on_delete=fields.RESTRICT
    )
    team_key = fields.IntField()
    grain = fields.SmallIntField()
    day = fields.DateField()
    user = fields.CharField(max_length=200, source_field='user_name')
    quantity = fields.BigIntField()

    class Meta:
        table = 'usage_by_user'
        unique_together = (('contract', 'team_key', 'grain', 'day', 'user'),)
        indexes = (('contract_id', 'team_key', 'grain', 'day', 'user_name', 'quantity'),)


class UsageByUserProduct(Model):
    """Usage per team tag, period, user and product (grains as in ``UsageTotal``): what a cap on a user and a product
    counts, whatever else it names."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_by_user_product', on_delete=fields.RESTRICT
    )
    team_key = fields.IntField()
    grain = fields.SmallIntField()
    day = fields.DateField()
    user = fields.CharField(max_length=200, source_field='user_name')
    product = fields.CharField(max_length=100)
    quantity = fields.BigIntField()

    class Meta:
        table = 'usage_by_user_product'
        unique_together = (('contract', 'team_key', 'grain', 'day', 'user', 'product'),)
        indexes = (('contract_id', 'team_key', 'grain', 'day', 'user_name', 'product', 'quantity'),)


class UsageSeen(Model):
    """The latest ``occurred_at`` of each product (kind ``p``) and user (kind ``u``) per holder, in microseconds
    since the epoch, among events that had occurred when they were received.

    A holder's distinct products or users of the last 90 days are the keys seen after the window's start: O(keys)
    rows, whatever the number of events.
    """

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_seen', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='usage_seen', on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=1)
    key = fields.CharField(max_length=200)
    last_at = fields.BigIntField()

    class Meta:
        table = 'usage_seen'
        unique_together = (('holder', 'kind', 'key'),)


class UsageAhead(Model):
    """An event dated after it was received (the clock of its feed ahead, by at most 5 minutes): it joins the 90-day
    distinct counts only once its time has come, so it is kept apart from ``UsageSeen``."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_ahead', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='usage_ahead', on_delete=fields.RESTRICT
    )
    product = fields.CharField(max_length=100)
    user = fields.CharField(max_length=200, source_field='user_name')
    occurred_at = fields.BigIntField()

    class Meta:
        table = 'usage_ahead'
        indexes = (('holder_id', 'occurred_at'),)
