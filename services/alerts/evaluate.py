"""Evaluating rules: a crossing is recorded, with its deliveries, in one transaction, once

For each (rule, holder) the database keeps whether the condition held at the last evaluation (``alert_state``). An
evaluation reads the holders' numbers, and, for each pair whose condition changed, flips that row, records the
crossing (``firing`` or ``resolved``) and queues one delivery per e-mail address and webhook (the outbox), all in
one transaction whose rows are locked first: two evaluators — two processes, a sweep and a change — can never
record the same crossing twice. Nothing here sends anything.
"""

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

from pypika_tortoise import Table
from pypika_tortoise import functions as fn
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import Admin, AdminGrant, Alert, AlertDelivery, AlertRule
from services.accounts.contracts import ContractInfo
from services.alerts.messages import Crossing, summary
from services.alerts.rules import RuleInfo, info
from services.domain import regions
from services.domain.dates import local_date
from services.domain.quantity import SCALE
from services.infrastructure import bus, database
from services.infrastructure.clock import resolve
from services.reading.balances import ALERT_DAYS, expiring_within
from services.reading.state import ContractState, HolderState, Wanted, read_states

log = logging.getLogger('balances.alerts')


@dataclass(frozen=True)
class HolderNumbers:
    """What the rules look at for one holder, in integer units."""

    holder: int
    team: int | None
    name: str
    available: int
    total: int
    by_expiry: tuple[tuple[date, int], ...]  # what usable lots hold, by expiry date (contract time zone)
    runs_out_on: date | None

    def expiring_within(self, days: int, today: date) -> tuple[int, date | None]:
        """Units in usable lots expiring within ``days`` days of today, and the first of those dates."""
        return expiring_within(self.by_expiry, days, today)


def holds(rule: RuleInfo, numbers: HolderNumbers, today: date) -> bool:
    """Whether the rule's condition is true for these numbers."""
    threshold = int(rule.threshold * SCALE)
    if rule.kind == 'available_below_percent':
        return numbers.available * 100 * SCALE < threshold * numbers.total
    if rule.kind == 'available_below':
        return numbers.available < threshold
    if rule.kind == 'expiring_within_days':
        return numbers.expiring_within(rule.days, today)[0] > 0
    days_left = (numbers.runs_out_on - today).days if numbers.runs_out_on else None
    return days_left is not None and days_left <= rule.days


def numbers_of(state: HolderState, contract: ContractInfo) -> HolderNumbers:
    """What the rules look at, from a holder's state."""
    balance = state.balance
    return HolderNumbers(
        holder=balance.holder,
        team=balance.team,
        name=balance.team_name or contract.name,
        available=int(balance.available * SCALE),
        total=int(balance.total * SCALE),
        by_expiry=balance.by_expiry,
        runs_out_on=state.forecast.runs_out_on,
    )


async def evaluate(
    contract_id: int,
    *,
    holders: Collection[int] | None = None,
    rules: Collection[int] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Evaluate the contract's rules (``rules`` only) for its holders (``holders`` only); record each crossing and
    queue its deliveries. Returns the ids of the alerts recorded."""
    return await evaluate_many({contract_id: holders}, rules=rules, now=now)


async def evaluate_many(
    wanted: Wanted,
    *,
    rules: Collection[int] | None = None,
    now: datetime | None = None,
    noted: Callable[[ContractState], None] | None = None,
) -> list[int]:
    """Evaluate the rules of several contracts for their holders (contract id → holder ids, ``None``: all of them)
    in a fixed number of statements, whatever their number; record each crossing with its deliveries in one
    transaction. Returns the ids of the alerts recorded. ``noted`` is told of each contract's read (its holders'
    next moments)."""
    now = resolve(now)
    query = AlertRule.filter(contract_id__in=list(wanted), deleted_at=None, paused_at=None)
    if rules is not None:
        query = query.filter(id__in=list(rules))
    active: dict[int, list[RuleInfo]] = defaultdict(list)
    for row in await query.order_by('id'):
        active[row.contract_id].append(info(row, secret=False))
    if not active:
        return []
    forecasting = {c for c, kinds in active.items() if any(r.kind == 'runs_out_within_days' for r in kinds)}
    states = {}
    for with_trend in (True, False):
        chosen = {c: wanted[c] for c in active if (c in forecasting) == with_trend}
        if chosen:
            states.update(await read_states(chosen, now=now, trend=with_trend))
    wanted_pairs: dict[tuple[int, int], bool] = {}
    numbers: dict[int, tuple[ContractInfo, HolderNumbers]] = {}
    for contract_id, state in states.items():
        if noted is not None:
            noted(state)
        today = local_date(now, state.contract.timezone)
        for holder in state.holders:
            found = numbers_of(holder, state.contract)
            numbers[found.holder] = state.contract, found
            for rule in active[contract_id]:
                if rule.team is None or rule.team == found.team:
                    wanted_pairs[rule.id, found.holder] = holds(rule, found, today)
    if not wanted_pairs:
        return []
    by_id = {rule.id: rule for kinds in active.values() for rule in kinds}
    recorded: dict[int, list[int]] = defaultdict(list)
    since: dict[tuple[int, int], datetime] = {}
    async with in_transaction('default') as conn:
        for (rule_id, holder_id), firing in await _flip(conn, wanted_pairs, now, since):
            contract, found = numbers[holder_id]
            today = local_date(now, contract.timezone)
            crossing = _crossing(by_id[rule_id], found, contract, firing, today, now)
            if not firing and crossing.kind == 'expiring_within_days' and (rule_id, holder_id) in since:
                expired = await _expired_between(conn, holder_id, since[rule_id, holder_id], now)
                crossing = dataclasses.replace(crossing, expired=expired)
            recorded[contract.id].append(await _record(conn, contract, by_id[rule_id], crossing))
        for contract_id in recorded:
            await bus.announce_alerts(conn, contract_id)
    for contract_id, ids in recorded.items():
        bus.publish_alerts(contract_id)
        log.info('contract %s: %d alert(s) recorded', contract_id, len(ids))
    return [alert for ids in recorded.values() for alert in ids]


STATE = Table('alert_state')


@database.shaped
def _known_sql(marks: database.Marks, rules: int) -> database.Built:
    """The states of these rules' holders, locked in key order (PostgreSQL), so that evaluators queue up."""
    known = (
        marks.query.from_(STATE)
        .select(STATE.rule_id, STATE.holder_id, STATE.firing, STATE.changed_at)
        .where(STATE.rule_id.isin(marks.many(rules)))
    )
    return known.orderby(STATE.rule_id, STATE.holder_id).for_update() if marks.postgres else known


@database.shaped
def _new_state_sql(marks: database.Marks) -> database.Built:
    new_state = (
        marks.query.into(STATE)
        .columns(STATE.rule_id, STATE.holder_id, STATE.firing, STATE.changed_at)
        .insert(*marks.many(4))
        .on_conflict(STATE.rule_id, STATE.holder_id)
        .do_nothing()
    )
    return database.returning(new_state, STATE.id)


@database.shaped
def _flipped_sql(marks: database.Marks) -> database.Built:
    firing, at, rule, holder = marks.many(4)
    chosen = (STATE.rule_id == rule) & (STATE.holder_id == holder)
    return marks.query.update(STATE).set(STATE.firing, firing).set(STATE.changed_at, at).where(chosen)


async def _flip(
    conn: BaseDBAsyncClient,
    wanted: dict[tuple[int, int], bool],
    now: datetime,
    since: dict[tuple[int, int], datetime],
) -> list[tuple[tuple[int, int], bool]]:
    """Set each (rule, holder) state to what its condition is now; the pairs that changed (or that are new and
    true), with their new state; ``since`` gets when each known pair last changed. Rows are locked in key order
    first (PostgreSQL), so evaluators queue up."""
    rule_ids = sorted({rule for rule, _ in wanted})
    rows = await database.fetch_shaped(conn, _known_sql, rule_ids, len(rule_ids))
    known = {(row['rule_id'], row['holder_id']): bool(row['firing']) for row in rows}
    since.update({(row['rule_id'], row['holder_id']): database.to_datetime(row['changed_at']) for row in rows})
    changed = []
    for key, firing in sorted(wanted.items()):
        if key not in known:
            inserted = await database.fetch_shaped(conn, _new_state_sql, [key[0], key[1], firing, now])
            if inserted and firing:  # a rule created while its condition holds fires once
                changed.append((key, True))
        elif known[key] != firing:
            await database.fetch_shaped(conn, _flipped_sql, [firing, now, key[0], key[1]])
            changed.append((key, firing))
    return changed


def _crossing(
    rule: RuleInfo, numbers: HolderNumbers, contract: ContractInfo, firing: bool, today: date, now: datetime
) -> Crossing:
    days = rule.days if rule.kind == 'expiring_within_days' else ALERT_DAYS
    expiring, first = numbers.expiring_within(days, today)
    return Crossing(
        rule=rule.id,
        contract=contract.id,
        contract_name=contract.name,
        holder=numbers.holder,
        team=numbers.team,
        name=numbers.name,
        mode=contract.mode,
        kind=rule.kind,
        threshold=rule.threshold,
        state='firing' if firing else 'resolved',
        at=now,
        available=numbers.available,
        total=numbers.total,
        expiring=expiring,
        expiring_days=days,
        next_expiry=first or (numbers.by_expiry[0][0] if numbers.by_expiry else None),
        runs_out_on=numbers.runs_out_on,
        timezone=contract.timezone,
    )


@database.shaped
def _expired_sql(marks: database.Marks) -> database.Built:
    lot = Table('lot')
    holder, start, end = marks.many(3)
    return (
        marks.query.from_(lot)
        .select(fn.Coalesce(fn.Sum(lot.remaining), 0).as_('units'))
        .where((lot.holder_id == holder) & (lot.expires_at > start) & (lot.expires_at <= end) & (lot.remaining > 0))
    )


async def _expired_between(conn: BaseDBAsyncClient, holder_id: int, start: datetime, end: datetime) -> int:
    """Units the holder's lots lost to expiry in ``(start, end]``: what they still held when they expired."""
    rows = await database.fetch_shaped(conn, _expired_sql, [holder_id, start, end])
    return int(rows[0]['units'] or 0) if rows else 0


async def _record(conn: BaseDBAsyncClient, contract: ContractInfo, rule: RuleInfo, crossing: Crossing) -> int:
    alert = await Alert.create(
        contract_id=contract.id,
        rule_id=rule.id,
        holder_id=crossing.holder,
        team_id=crossing.team,
        kind=crossing.kind,
        threshold=int(crossing.threshold * SCALE),
        state=crossing.state,
        at=crossing.at,
        available=crossing.available,
        total=crossing.total,
        expiring=crossing.expiring,
        next_expiry=crossing.next_expiry,
        runs_out_on=crossing.runs_out_on,
        expired=crossing.expired or None,
        message=summary(crossing, 'en'),
        using_db=conn,
    )
    deliveries = [
        AlertDelivery(
            alert_id=alert.id,
            contract_id=contract.id,
            channel='email',
            target=address,
            language=language,
            status='pending',
            next_attempt_at=crossing.at,
        )
        for address, language in (await recipients(conn, contract, rule)).items()
    ]
    if rule.webhook_url:
        deliveries.append(
            AlertDelivery(
                alert_id=alert.id,
                contract_id=contract.id,
                channel='webhook',
                target=rule.webhook_url,
                status='pending',
                next_attempt_at=crossing.at,
            )
        )
    if deliveries:
        await AlertDelivery.bulk_create(deliveries, using_db=conn)
    return int(alert.id)


async def recipients(conn: BaseDBAsyncClient, contract: ContractInfo, rule: RuleInfo) -> dict[str, str]:
    """E-mail address → language of each recipient of a rule: its addresses, and the contract's administrators
    for the seed's rule. An administrator reads in the language they chose; anyone else in the region's."""
    default = regions.language_of_region(contract.region)
    addresses = list(rule.emails)
    if rule.to_admins:
        granted = AdminGrant.filter(contract_id=contract.id).using_db(conn)
        addresses += [str(email) for email in await granted.values_list('admin__email', flat=True)]
    if not addresses:
        return {}
    languages = dict(await Admin.filter(email__in=addresses).using_db(conn).values_list('email', 'language'))
    return {address: str(languages.get(address) or default) for address in dict.fromkeys(addresses)}
