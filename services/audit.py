"""The ledger check: every cached or derived number reconciled with the append-only entries

Run by the tests after every step; cheap enough to run on a live database too. Returns the discrepancies found,
an empty list when the books balance.
"""

from collections import defaultdict
from datetime import datetime

from tortoise.functions import Sum

from models import LedgerEntry, Lot, UsageDaily, UsageEvent
from services.balances import contract_balances
from services.quantity import to_units


async def check_ledger(contract_id: int, *, now: datetime | None = None) -> list[str]:
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

    raw = await _sums(UsageEvent, contract_id)
    rolled = await _sums(UsageDaily, contract_id)
    if raw != rolled:
        problems.append(f'usage events per holder {raw} differ from the daily rollup {rolled}')
    if sum(raw.values()) != sum(consumed.values()):
        problems.append('usage events and consume entries disagree')
    return problems


async def _sums(model: type[UsageEvent] | type[UsageDaily], contract_id: int) -> dict[int, int]:
    rows = (
        await model.filter(contract_id=contract_id)
        .annotate(units=Sum('quantity'))
        .group_by('holder_id')
        .values_list('holder_id', 'units')
    )
    return {holder_id: int(units) for holder_id, units in rows}
