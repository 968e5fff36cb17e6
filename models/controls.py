"""How the vendor charges (products and their daily rates, product sessions rated into 24-hour windows) and what
administrators control (caps with staged actions, the refusals of the entitlement check).

A team's product list is a column of ``team`` (``allowed_products``); the checks of these tables are in
``models/migrations/0009_rates_and_controls.py``.
"""

from tortoise import fields
from tortoise.models import Model

from models.contract import Contract, Holder, Team


class Product(Model):
    """A product or service that usage calls by its ``code``, with a history of daily rates."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()

    class Meta:
        table = 'product'


class ProductRate(Model):
    """Tokens charged once per user per 24-hour window of the product, for windows opening from ``effective_from``
    (integer ten-thousandths)."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        'balances.Product', related_name='rates', on_delete=fields.RESTRICT
    )
    daily_rate = fields.BigIntField()
    effective_from = fields.DatetimeField()

    class Meta:
        table = 'product_rate'
        unique_together = (('product', 'effective_from'),)


class ProductSession(Model):
    """A session of a product a user ran, as the licensing system reported it, and what it was charged."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='product_sessions', on_delete=fields.RESTRICT
    )
    client_id = fields.CharField(max_length=128)
    fingerprint = fields.CharField(max_length=64)
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='product_sessions', on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='product_sessions', null=True, on_delete=fields.RESTRICT
    )
    user = fields.CharField(max_length=200, source_field='user_name')
    product = fields.CharField(max_length=100)
    started_at = fields.DatetimeField()
    minutes = fields.IntField()
    charged = fields.BigIntField()  # units; 0 when it cost nothing
    window_start = fields.DatetimeField(null=True)  # the window it opened, when it opened one
    received_at = fields.DatetimeField()

    class Meta:
        table = 'product_session'
        unique_together = (('contract', 'client_id'),)
        indexes = (('contract_id', 'window_start'),)


class UsageWindow(Model):
    """A charged 24-hour window of a user's product: sessions starting inside it cost nothing more."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='usage_windows', on_delete=fields.RESTRICT
    )
    user = fields.CharField(max_length=200, source_field='user_name')
    product = fields.CharField(max_length=100)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    daily_rate = fields.BigIntField()

    class Meta:
        table = 'usage_window'
        unique_together = (('contract', 'user', 'product', 'starts_at'),)


class Cap(Model):
    """A limit on usage per calendar day or month (contract time zone) of a team, a user, a product or any
    combination (an empty one matches all), with stages: notify, deny."""

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='caps', on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='caps', null=True, on_delete=fields.RESTRICT
    )
    user = fields.CharField(max_length=200, null=True, source_field='user_name')
    product = fields.CharField(max_length=100, null=True)
    period = fields.CharField(max_length=8)
    limit = fields.BigIntField(source_field='cap_limit')
    stages = fields.TextField()  # JSON: [[at_percent, action], ...], ascending
    created_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'cap'


class CapNotice(Model):
    """A notify stage of a cap reached in one period: written once, with its alert and deliveries."""

    id = fields.BigIntField(primary_key=True)
    cap: fields.ForeignKeyRelation[Cap] = fields.ForeignKeyField(
        'balances.Cap', related_name='notices', on_delete=fields.RESTRICT
    )
    period_start = fields.DateField()
    at_percent = fields.IntField()

    class Meta:
        table = 'cap_notice'
        unique_together = (('cap', 'period_start', 'at_percent'),)


class Refusal(Model):
    """How many times the entitlement check refused a user a product, per day (contract time zone), team and
    reason: one row a key, counted up."""

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='refusals', on_delete=fields.RESTRICT
    )
    day = fields.DateField()
    team_key = fields.IntField()  # the team, or 0 for none
    user = fields.CharField(max_length=200, source_field='user_name')
    product = fields.CharField(max_length=100)
    reason = fields.CharField(max_length=32)
    count = fields.BigIntField()

    class Meta:
        table = 'refusal'
        unique_together = (('contract', 'day', 'team_key', 'user', 'product', 'reason'),)
