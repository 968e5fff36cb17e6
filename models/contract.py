"""Contracts, their teams, and the holders whose lots the ledger moves.

The CHECK constraints and partial unique indexes of every table are in ``models/migrations/0002_constraints.py``:
Tortoise's schema editors do not apply ``Meta.constraints``.
"""

from tortoise import fields
from tortoise.models import Model


class Contract(Model):
    """A customer contract: its region fixes its mode (Flex tokens per team, or one pool of cloud credits)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    region = fields.CharField(max_length=2)
    mode = fields.CharField(max_length=16)
    timezone = fields.CharField(max_length=64, default='UTC')
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = 'contract'


class Team(Model):
    """A team of a contract: in Flex mode it holds tokens, in cloud-credit mode it only groups usage."""

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='teams', on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    allowed_products = fields.TextField(null=True)  # JSON: the product codes it may start (null: every product)

    class Meta:
        table = 'team'
        unique_together = (('contract', 'name'),)


class Holder(Model):
    """Who holds lots: a team (Flex) or the pool of the contract (``team`` null, cloud credits).

    Its row is also the lock that serialises every write to its lots.
    """

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='holders', on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='holders', null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = 'holder'
