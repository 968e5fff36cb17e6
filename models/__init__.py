"""Tortoise models of Balances: tables, fields, indexes and constraints, nothing else."""

from models.access import Admin, AdminGrant, AdminSession, ApiKey, SignInFailure
from models.alerts import Alert, AlertDelivery, AlertRule, AlertSeen, AlertState
from models.contract import Contract, Holder, Team
from models.controls import Cap, CapNotice, Product, ProductRate, ProductSession, Refusal, UsageWindow
from models.ledger import LedgerEntry, Lot, Transfer
from models.usage import UsageAhead, UsageByProduct, UsageByUser, UsageByUserProduct, UsageEvent, UsageSeen, UsageTotal

APP_LABEL = 'balances'
MODEL_MODULES = [
    'models.contract',
    'models.ledger',
    'models.usage',
    'models.access',
    'models.alerts',
    'models.controls',
]

__all__ = [
    'APP_LABEL',
    'MODEL_MODULES',
    'Admin',
    'AdminGrant',
    'AdminSession',
    'Alert',
    'AlertDelivery',
    'AlertRule',
    'AlertSeen',
    'AlertState',
    'ApiKey',
    'Cap',
    'CapNotice',
    'Contract',
    'Holder',
    'LedgerEntry',
    'Lot',
    'Product',
    'ProductRate',
    'ProductSession',
    'Refusal',
    'SignInFailure',
    'Team',
    'Transfer',
    'UsageAhead',
    'UsageByProduct',
    'UsageByUser',
    'UsageByUserProduct',
    'UsageEvent',
    'UsageSeen',
    'UsageTotal',
    'UsageWindow',
]
