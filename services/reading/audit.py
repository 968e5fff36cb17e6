"""The ledger check: every cached or derived number reconciled with the append-only entries and events

Run by the tests after every step, and after a crash; O(events), so it is an audit, not a page read. Returns the
discrepancies found, an empty list when the books balance. In production one process of the deployment runs it on
every contract on a schedule (``services.alerts.books``).
"""

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from pypika_tortoise import Table
from tortoise.functions import Sum

from models import LedgerEntry, Lot
from services.accounts.contracts import get_contract
from services.domain.dates import local_date
from services.domain.quantity import to_units
from services.infrastructure import database
from services.infrastructure.database import micros
from services.ingest.rollups import DAY, MONTH, NO_TEAM
from services.reading.state import contract_balances

Rollup = dict[tuple[object, ...], int]


async def check_ledger(contract_id: int, *, now: datetime | None = None) -> list[str]:
    """Reconcile every cached or derived number of the contract with its entries and events; an empty list
    when the books balance, else one line per discrepancy."""
    problems: list[str] = []
    lots = await Lot.filter(contract_id=contract_id).values_list('id', 'original', 'remaining')
    entries = dict(
        await LedgerEntry.filter(contract_id=contract_id)
        .annotate(units=Sum('quantity'))
        .group_by('lot_id')
        .values_list('lot_id', 'units')
    )
    for lot_id, original, remaining in lots:
        if not 0 <= remaining <= original:
            problems.append(f'lot {lot_id}: remaining {remaining} outside 0..{original}')
        if int(entries.get(lot_id) or 0) != remaining:
            problems.append(f'lot {lot_id}: remaining {remaining} but its entries sum to {entries.get(lot_id)}')

    consumed: dict[int | None, int] = defaultdict(int)
    for team_id, units in (
        await LedgerEntry.filter(contract_id=contract_id, kind='consume')
        .annotate(units=Sum('quantity'))
        .group_by('holder__team_id')
        .values_list('holder__team_id', 'units')
    ):
        consumed[team_id] = -int(units)
    for balance in (await contract_balances(contract_id, now=now)).balances:
        used = to_units(balance.used, allow_zero=True)
        if used != consumed[balance.team]:
            problems.append(f'team {balance.team}: used {used} but consume entries sum to {consumed[balance.team]}')
        if balance.available + balance.used + balance.expired != balance.total:
            problems.append(f'team {balance.team}: available + used + expired != total')
    problems += await check_rollups(contract_id)
    return problems


@database.shaped
def _rows_sql(marks: database.Marks, table: str, columns: tuple[str, ...]) -> database.Built:
    source = Table(table)
    named = [
        source.field(name).as_(alias) if alias else source.field(name)
        for name, _, alias in (column.partition(' AS ') for column in columns)
    ]
    return marks.query.from_(source).select(*named).where(source.contract_id == marks.next())


async def check_rollups(contract_id: int) -> list[str]:
    """Every rollup row, last-seen time and early event equals what the raw events say."""
    contract = await get_contract(contract_id)
    conn = database.connection()

    async def rows(table: str, *columns: str) -> list[dict[str, Any]]:
        """Some columns of a table's rows of the contract (``column AS value`` for the compared one)."""
        return await database.fetch_shaped(conn, _rows_sql, [contract_id], table, columns)

    events = await rows(
        'usage_event', 'holder_id', 'team_id', 'product', 'user_name', 'quantity', 'occurred_at', 'received_at'
    )
    expected: dict[str, Rollup] = {
        name: defaultdict(int) for name in ('total', 'events', 'product', 'user', 'user_product')
    }
    seen: Rollup = {}
    ahead: Counter[tuple[object, ...]] = Counter()
    for event in events:
        occurred = database.to_datetime(event['occurred_at'])
        day = local_date(occurred, contract.timezone)
        team_key = event['team_id'] or NO_TEAM
        units = int(event['quantity'])
        for grain, period in ((DAY, day), (MONTH, day.replace(day=1))):
            expected['total'][team_key, grain, period] += units
            expected['events'][team_key, grain, period] += 1
            expected['product'][team_key, grain, period, event['product']] += units
            expected['user'][team_key, grain, period, event['user_name']] += units
            expected['user_product'][team_key, grain, period, event['user_name'], event['product']] += units
        at = micros(occurred)
        if occurred > database.to_datetime(event['received_at']):
            ahead[event['holder_id'], event['product'], event['user_name'], at] += 1
            continue
        for kind, key in (('p', event['product']), ('u', event['user_name'])):
            seen[event['holder_id'], kind, key] = max(seen.get((event['holder_id'], kind, key), at), at)

    key, value = ('team_key', 'grain', 'day'), 'quantity AS value'
    stored = {
        'total': await rows('usage_total', *key, value),
        'events': await rows('usage_total', *key, 'events AS value'),
        'product': await rows('usage_by_product', *key, 'product', value),
        'user': await rows('usage_by_user', *key, 'user_name', value),
        'user_product': await rows('usage_by_user_product', *key, 'user_name', 'product', value),
    }
    problems = []
    for name, found in stored.items():
        table = {
            tuple(database.to_date(v) if k == 'day' else v for k, v in row.items() if k != 'value'): int(row['value'])
            for row in found
        }
        if table != dict(expected[name]):
            problems.append(f'rollup {name} differs from the events: {_difference(table, expected[name])}')
    stored_seen: Rollup = {
        (row['holder_id'], row['kind'], row['key']): int(row['last_at'])
        for row in await rows('usage_seen', 'holder_id', 'kind', 'key', 'last_at')
    }
    if stored_seen != seen:
        problems.append(f'last-seen times differ from the events: {_difference(stored_seen, seen)}')
    stored_ahead = Counter(
        (row['holder_id'], row['product'], row['user_name'], int(row['occurred_at']))
        for row in await rows('usage_ahead', 'holder_id', 'product', 'user_name', 'occurred_at')
    )
    if stored_ahead != ahead:
        problems.append('events dated ahead of their arrival differ from the events')
    return problems


def _difference(found: Rollup, expected: Rollup) -> str:
    keys = sorted({*found, *expected} - {k for k in found if found.get(k) == expected.get(k)}, key=str)[:3]
    return '; '.join(f'{key}: stored {found.get(key)}, events say {expected.get(key)}' for key in keys)
