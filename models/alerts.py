"""Alert rules, the state of each rule for each holder, the crossings recorded, and their deliveries (the outbox)."""

from tortoise import fields
from tortoise.models import Model

from models.access import Admin
from models.contract import Contract, Holder, Team
from models.controls import Cap


class AlertRule(Model):
    """A condition on a holder's numbers (one team, or every holder of the contract), and who hears of it.

    ``threshold`` is in integer ten-thousandths whatever the kind (a percentage, a quantity or a number of days).
    ``to_admins``: also e-mailed to the contract's administrators, whoever they are when it fires (the seed's rule).
    A deleted rule keeps its row, for the alerts that name it. A paused one (``paused_at``) is kept and shown, and not
    evaluated until it is resumed.
    """

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='alert_rules', on_delete=fields.RESTRICT
    )
    contract_id: int
    kind = fields.CharField(max_length=32)
    threshold = fields.BigIntField()
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='alert_rules', null=True, on_delete=fields.RESTRICT
    )
    team_id: int | None
    emails = fields.TextField(default='[]')
    to_admins = fields.BooleanField(default=False)
    webhook_url = fields.CharField(max_length=2048, null=True)
    webhook_secret = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)
    paused_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'alert_rule'


class AlertState(Model):
    """Whether a rule's condition held for a holder when last evaluated: a crossing is a change of this row."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[AlertRule] = fields.ForeignKeyField(
        'balances.AlertRule', related_name='states', on_delete=fields.RESTRICT
    )
    holder: fields.ForeignKeyRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='alert_states', on_delete=fields.RESTRICT
    )
    firing = fields.BooleanField()
    changed_at = fields.DatetimeField()

    class Meta:
        table = 'alert_state'
        unique_together = (('rule', 'holder'),)


class Alert(Model):
    """One crossing of a rule for a holder (``firing`` or ``resolved``), with the numbers of that moment.

    Quantities in integer ten-thousandths; ``expiring`` is what expires within the rule's days (or 90).
    """

    id = fields.BigIntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='alerts', on_delete=fields.RESTRICT
    )
    rule: fields.ForeignKeyNullableRelation[AlertRule] = fields.ForeignKeyField(
        'balances.AlertRule', related_name='alerts', null=True, on_delete=fields.RESTRICT
    )  # a rule's crossing, or (null) a cap's notice
    holder: fields.ForeignKeyNullableRelation[Holder] = fields.ForeignKeyField(
        'balances.Holder', related_name='alerts', null=True, on_delete=fields.RESTRICT
    )  # null: a cap over the whole contract
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        'balances.Team', related_name='alerts', null=True, on_delete=fields.RESTRICT
    )
    cap: fields.ForeignKeyNullableRelation['Cap'] = fields.ForeignKeyField(
        'balances.Cap', related_name='alerts', null=True, on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=32)
    threshold = fields.BigIntField()
    state = fields.CharField(max_length=16)
    at = fields.DatetimeField()
    available = fields.BigIntField()
    total = fields.BigIntField()
    expiring = fields.BigIntField()
    next_expiry = fields.DateField(null=True)
    runs_out_on = fields.DateField(null=True)
    message = fields.TextField()
    # an expiry rule resolved because its tokens expired: the units that expired unused since it fired
    expired = fields.BigIntField(null=True)

    class Meta:
        table = 'alert'
        indexes = (('contract_id', 'at'),)


class AlertDelivery(Model):
    """One notice of one crossing to one target: the outbox the senders work off, written with the crossing.

    ``claimed_until``: a sender took it and is sending it; past that instant another sender may take it again.
    """

    id = fields.BigIntField(primary_key=True)
    alert: fields.ForeignKeyRelation[Alert] = fields.ForeignKeyField(
        'balances.Alert', related_name='deliveries', on_delete=fields.RESTRICT
    )
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='alert_deliveries', on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=8)
    target = fields.CharField(max_length=2048)
    language = fields.CharField(max_length=8, default='en')
    status = fields.CharField(max_length=8)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'alert_delivery'
        indexes = (('status', 'next_attempt_at'),)


class AlertSeen(Model):
    """The newest alert of a contract that an administrator has seen (the bell counts what came after)."""

    id = fields.IntField(primary_key=True)
    admin: fields.ForeignKeyRelation[Admin] = fields.ForeignKeyField(
        'balances.Admin', related_name='alerts_seen', on_delete=fields.CASCADE
    )
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='alerts_seen', on_delete=fields.RESTRICT
    )
    last_alert = fields.BigIntField()

    class Meta:
        table = 'alert_seen'
        unique_together = (('admin', 'contract'),)
