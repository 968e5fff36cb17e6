"""Administrators who sign in to the web UI, and the contracts they were granted."""

from tortoise import fields
from tortoise.models import Model

from models.contract import Contract


class Admin(Model):
    """An administrator, whose password is kept only as an argon2 hash."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=200)
    language = fields.CharField(max_length=8, null=True)  # the page's and the e-mails' language, once chosen
    region = fields.CharField(max_length=8, null=True)  # the region last chosen on the page (contracts in several)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = 'admin'


class AdminGrant(Model):
    """An administrator may see and act on this contract."""

    id = fields.IntField(primary_key=True)
    admin: fields.ForeignKeyRelation[Admin] = fields.ForeignKeyField(
        'balances.Admin', related_name='grants', on_delete=fields.CASCADE
    )
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='grants', on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = 'admin_grant'
        unique_together = (('admin', 'contract'),)


class ApiKey(Model):
    """An API key of one contract: a public prefix to find it, and only a SHA-256 digest of its secret part."""

    id = fields.IntField(primary_key=True)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        'balances.Contract', related_name='api_keys', on_delete=fields.RESTRICT
    )
    contract_id: int
    prefix = fields.CharField(max_length=16, unique=True)
    secret_hash = fields.CharField(max_length=64)
    scopes = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'api_key'


class AdminSession(Model):
    """A signed-in browser: the digest of the token its session cookie carries, and when it was last active.

    Created at sign-in with a one-time ticket (its digest) that the browser exchanges, within seconds, for the
    token; ended at sign-out, after an idle spell, or at its absolute limit. Every page request and every action of
    an open page checks it.
    """

    id = fields.BigIntField(primary_key=True)
    admin: fields.ForeignKeyRelation[Admin] = fields.ForeignKeyField(
        'balances.Admin', related_name='sessions', on_delete=fields.CASCADE
    )
    admin_id: int
    ticket_hash = fields.CharField(max_length=64, null=True, unique=True)
    browser = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'admin_session'


class SignInFailure(Model):
    """Failed sign-ins of one account (key ``email:…``) or one client address (``address:…``), for throttling."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, unique=True)
    failures = fields.IntField()
    last_failure_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = 'sign_in_failure'
