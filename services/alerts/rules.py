"""Alert rules: what a contract's administrators want to hear of, and where

A rule is one of four kinds with a threshold, for one team or every holder of the contract, sent to e-mail
addresses, to a signed webhook, or shown in the page only. Every contract starts with the seed's rule. A rule just
created is evaluated at once: if its condition already holds, it fires (once).
"""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from models import AlertRule, Contract
from services.accounts.contracts import contract_row, team_ids
from services.alerts.targets import email_list, webhook_url
from services.domain.alerting import DAY_KINDS, KINDS, MAX_DAYS, Kind
from services.domain.errors import InvalidInput, UnknownRule, UnknownTeam, WrongMode
from services.domain.quantity import SCALE, QuantityError, from_units, to_units
from services.infrastructure.clock import resolve

SECRET_PREFIX = 'whsec_'  # noqa: S105 - the marker of a webhook secret, not a secret


@dataclass(frozen=True)
class RuleInfo:
    id: int
    contract: int
    kind: Kind
    threshold: Decimal  # a percentage, a quantity, or whole days
    team: int | None
    emails: tuple[str, ...]
    to_admins: bool
    webhook_url: str | None
    created_at: datetime
    webhook_secret: str | None = None  # in the answer to its creation only
    paused: bool = False

    @property
    def days(self) -> int:
        """The threshold of a kind counted in days."""
        return int(self.threshold)


def info(rule: AlertRule, *, secret: bool = False) -> RuleInfo:
    """A rule's row as plain values (its webhook secret only when asked: the answer to its creation)."""
    kind: Kind = next(k for k in KINDS if k == rule.kind)
    return RuleInfo(
        id=rule.id,
        contract=rule.contract_id,
        kind=kind,
        threshold=from_units(rule.threshold),
        team=rule.team_id,
        emails=tuple(json.loads(rule.emails)),
        to_admins=rule.to_admins,
        webhook_url=rule.webhook_url,
        created_at=rule.created_at,
        webhook_secret=rule.webhook_secret if secret else None,
        paused=rule.paused_at is not None,
    )


def threshold_units(kind: str, value: object) -> int:
    """A threshold in integer ten-thousandths: a percentage in (0, 100], a quantity > 0, or whole days 1–3650.

    ``InvalidInput`` (``threshold``) otherwise."""
    try:
        units = to_units(value)
    except QuantityError as error:
        raise InvalidInput('threshold', str(error)) from None
    if kind == 'available_below_percent' and units > 100 * SCALE:
        raise InvalidInput('threshold', 'a percentage must lie in (0, 100]')
    if kind in DAY_KINDS and (units % SCALE or units > MAX_DAYS * SCALE):
        raise InvalidInput('threshold', f'must be a whole number of days from 1 to {MAX_DAYS}')
    return units


async def _team(contract: Contract, team: object) -> int | None:
    """A rule's team: one of the contract's (Flex), or none."""
    if team is None:
        return None
    if contract.mode != 'flex':
        raise WrongMode('team', 'must be omitted: shared cloud credits are held by the contract')
    if not isinstance(team, int) or isinstance(team, bool) or team not in await team_ids(contract.id):
        raise UnknownTeam(team)
    return team


async def create_rule(
    contract_id: int,
    *,
    kind: object,
    threshold: object,
    team: object = None,
    emails: object = None,
    webhook: object = None,
    allow_private: bool = False,
    now: datetime | None = None,
) -> RuleInfo:
    """Add a rule to a contract; the answer carries the webhook's secret (the only time it is shown).

    Refuses with ``UnknownContract`` or ``InvalidInput`` naming ``kind``, ``threshold``, ``team`` (not a team of
    the contract, or given for cloud credits), ``emails`` or ``webhook_url`` (not http(s), or a private target),
    writing nothing."""
    contract = await contract_row(contract_id)
    if kind not in KINDS:
        raise InvalidInput('kind', f'must be one of {", ".join(KINDS)}')
    units = threshold_units(str(kind), threshold)
    team = await _team(contract, team)
    addresses = email_list(emails)
    url = await webhook_url(webhook, allow_private=allow_private)
    async with in_transaction('default') as conn:
        rule = await AlertRule.create(
            contract_id=contract.id,
            kind=kind,
            threshold=units,
            team_id=team,
            emails=json.dumps(list(addresses)),
            webhook_url=url,
            webhook_secret=SECRET_PREFIX + secrets.token_urlsafe(32) if url else None,
            created_at=resolve(now),
            using_db=conn,
        )
    return info(rule, secret=True)


async def update_rule(
    contract_id: int,
    rule_id: int,
    *,
    threshold: object,
    team: object = None,
    emails: object = None,
    webhook: object = None,
    allow_private: bool = False,
) -> RuleInfo:
    """Change a rule in place: its threshold, team, e-mail addresses and webhook (its kind stays; a webhook given
    where there was none gets a secret, in the answer only — a changed address keeps the secret it had). Its alerts
    stay; the next evaluation judges the new condition against the rule's state (a crossing of the new threshold
    fires once, a condition that no longer holds resolves).

    Refuses as ``create_rule`` does, or with ``UnknownRule``, writing nothing."""
    contract = await contract_row(contract_id)
    async with in_transaction('default') as conn:
        rule = (
            await AlertRule.filter(id=rule_id, contract_id=contract_id, deleted_at=None)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if rule is None:
            raise UnknownRule(rule_id)
        units = threshold_units(rule.kind, threshold)
        chosen = await _team(contract, team)
        addresses = email_list(emails)
        url = await webhook_url(webhook, allow_private=allow_private)
        fresh = url is not None and rule.webhook_secret is None
        rule.threshold, rule.team_id, rule.emails, rule.webhook_url = units, chosen, json.dumps(list(addresses)), url
        if url is None:
            rule.webhook_secret = None
        elif fresh:
            rule.webhook_secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        await rule.save(using_db=conn)
    return info(rule, secret=fresh)


async def pause_rule(contract_id: int, rule_id: int, paused: bool, *, now: datetime | None = None) -> RuleInfo:
    """Pause a rule (kept and shown, not evaluated: nothing fires or resolves meanwhile) or resume it.

    Refuses with ``UnknownRule`` for a rule that is not the contract's, or deleted."""
    rule = await AlertRule.get_or_none(id=rule_id, contract_id=contract_id, deleted_at=None)
    if rule is None:
        raise UnknownRule(rule_id)
    rule.paused_at = (rule.paused_at or resolve(now)) if paused else None
    await rule.save(update_fields=['paused_at'])
    return info(rule)


async def list_rules(contract_id: int) -> tuple[RuleInfo, ...]:
    """The contract's rules (not deleted), oldest first; ``UnknownContract`` when there is none."""
    await contract_row(contract_id)
    rows = await AlertRule.filter(contract_id=contract_id, deleted_at=None).order_by('id')
    return tuple(info(rule) for rule in rows)


async def get_rule(contract_id: int, rule_id: int) -> RuleInfo:
    """One rule of the contract (with its secret, for senders and tests); ``UnknownRule`` otherwise."""
    rule = await AlertRule.get_or_none(id=rule_id, contract_id=contract_id, deleted_at=None)
    if rule is None:
        raise UnknownRule(rule_id)
    return info(rule, secret=True)


async def delete_rule(contract_id: int, rule_id: int, *, now: datetime | None = None) -> None:
    """Stop a rule: it is evaluated no more (its past alerts, and notices already due, stay).

    Refuses with ``UnknownRule`` for a rule that is not the contract's, or already deleted."""
    changed = await AlertRule.filter(id=rule_id, contract_id=contract_id, deleted_at=None).update(
        deleted_at=resolve(now)
    )
    if not changed:
        raise UnknownRule(rule_id)
