"""Usage analytics: breakdowns and chart series over date ranges, and the 90-day distinct counts

Everything reads the daily rollup (O(days) rows), except the two partial days at the edges of the rolling
90-day window, which read the raw events of those days only.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from models import Holder, Team, UsageDaily, UsageEvent
from services.clock import resolve
from services.contracts import ContractInfo, get_contract
from services.dates import DateRange, local_date, start_of_day
from services.errors import InvalidInput, UnknownTeam
from services.quantity import from_units

By = Literal['product', 'user', 'day', 'team']
BY_VALUES: tuple[By, ...] = ('product', 'user', 'day', 'team')
MAX_ROWS = 10_000
WINDOW = timedelta(days=90)
NO_TEAM = 0
OTHERS = 'other'


@dataclass(frozen=True)
class UsageRow:
    key: str | date | int | None
    quantity: Decimal


@dataclass(frozen=True)
class UsageBreakdown:
    range: DateRange
    by: By
    total: Decimal
    rows: tuple[UsageRow, ...]
    truncated: bool = False


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Decimal, ...]


@dataclass(frozen=True)
class UsageSeries:
    """Day × key quantities for a stacked bar chart: one series per key, one value per day of the range."""

    range: DateRange
    by: By
    days: tuple[date, ...]
    series: tuple[Series, ...]


@dataclass(frozen=True)
class _Scope:
    contract: ContractInfo
    range: DateRange
    rows: QuerySet[UsageDaily]


async def _scope(contract_id: int, date_range: DateRange | None, team: int | None, now: datetime | None) -> _Scope:
    """The rollup rows of a contract (and team) over a range, the last 90 days by default."""
    contract = await get_contract(contract_id)
    date_range = date_range or DateRange.last_days(local_date(resolve(now), contract.timezone))
    query = UsageDaily.filter(contract_id=contract_id, day__gte=date_range.start, day__lte=date_range.end)
    if team is not None:
        if not await Team.exists(id=team, contract_id=contract_id):
            raise UnknownTeam(team)
        query = query.filter(team_key=team)
    return _Scope(contract, date_range, query)


_COLUMN = {'product': 'product', 'user': 'user', 'day': 'day', 'team': 'team_key'}


async def usage_breakdown(
    contract_id: int,
    date_range: DateRange | None = None,
    *,
    by: By = 'product',
    team: int | None = None,
    now: datetime | None = None,
) -> UsageBreakdown:
    """Usage summed by product, user, day or team over an inclusive range (default: the last 90 days).

    Rows are sorted by quantity, largest first (by day: oldest first); keys of ``team`` are team ids, ``None``
    for usage tagged with no team.
    """
    if by not in BY_VALUES:
        raise InvalidInput('by', f'must be one of {", ".join(BY_VALUES)}')
    scope = await _scope(contract_id, date_range, team, now)
    date_range, query = scope.range, scope.rows
    column = _COLUMN[by]
    grouped = await query.annotate(units=Sum('quantity')).group_by(column).values_list(column, 'units')
    rows = [(None if by == 'team' and key == NO_TEAM else key, int(units)) for key, units in grouped]
    if by == 'day':
        rows.sort(key=lambda row: str(row[0]))
    else:
        rows.sort(key=lambda row: (-row[1], str(row[0])))
    total = sum(units for _, units in rows)
    return UsageBreakdown(
        range=date_range,
        by=by,
        total=from_units(total),
        rows=tuple(UsageRow(key, from_units(units)) for key, units in rows[:MAX_ROWS]),
        truncated=len(rows) > MAX_ROWS,
    )


async def usage_series(
    contract_id: int,
    date_range: DateRange | None = None,
    *,
    by: Literal['product', 'user'] = 'product',
    team: int | None = None,
    top: int = 8,
    now: datetime | None = None,
) -> UsageSeries:
    """Day × product (or day × user) for a stacked bar chart; keys beyond the ``top`` largest merge into 'other'."""
    if by not in ('product', 'user'):
        raise InvalidInput('by', 'must be product or user')
    scope = await _scope(contract_id, date_range, team, now)
    date_range, query = scope.range, scope.rows
    grouped = await query.annotate(units=Sum('quantity')).group_by('day', by).values_list('day', by, 'units')
    totals: dict[str, int] = defaultdict(int)
    for _, key, units in grouped:
        totals[key] += int(units)
    ranked = sorted(totals, key=lambda key: (-totals[key], key))
    kept = set(ranked[:top])
    cells: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, key, units in grouped:
        cells[key if key in kept else OTHERS][day] += int(units)
    names = ranked[:top] + ([OTHERS] if len(ranked) > top else [])
    days = date_range.dates()
    series = tuple(Series(name, tuple(from_units(cells[name][day]) for day in days)) for name in names)
    return UsageSeries(date_range, by, tuple(days), series)


async def distinct_usage_90_days(contract: ContractInfo, now: datetime) -> dict[int | None, tuple[int, int]]:
    """Distinct (products, users) per holder's team (``None``: the pool) among events of (now − 90 days, now].

    Whole days inside the window come from the rollup; the window's first and last (partial) days from raw events.
    """
    start = now - WINDOW
    first_day, today = local_date(start, contract.timezone), local_date(now, contract.timezone)
    seen: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    whole_days = UsageDaily.filter(contract_id=contract.id, day__gt=first_day, day__lt=today)
    for holder_id, product, user in await whole_days.distinct().values_list('holder_id', 'product', 'user'):
        seen[holder_id][0].add(product)
        seen[holder_id][1].add(user)
    events = UsageEvent.filter(contract_id=contract.id)
    first_edge = events.filter(
        occurred_at__gt=start, occurred_at__lt=start_of_day(first_day + timedelta(days=1), contract.timezone)
    )
    last_edge = events.filter(occurred_at__gte=start_of_day(today, contract.timezone), occurred_at__lte=now)
    for edge in (first_edge, last_edge):
        for holder_id, product, user in await edge.values_list('holder_id', 'product', 'user'):
            seen[holder_id][0].add(product)
            seen[holder_id][1].add(user)
    teams = dict(await Holder.filter(contract_id=contract.id).values_list('id', 'team_id'))
    return {teams[holder_id]: (len(products), len(users)) for holder_id, (products, users) in seen.items()}


@dataclass(frozen=True)
class DailyTrend:
    """Daily totals over a range, per team (Flex), or for the whole contract under ``None`` (cloud credits)."""

    days: tuple[date, ...]
    totals: dict[int | None, tuple[Decimal, ...]]

    def of(self, team: int | None) -> tuple[Decimal, ...]:
        return self.totals.get(team, tuple(Decimal(0) for _ in self.days))


async def daily_trend(
    contract_id: int, date_range: DateRange | None = None, *, now: datetime | None = None
) -> DailyTrend:
    """One query for every card's trend line: usage per day and team (or per day, for a cloud-credit pool)."""
    scope = await _scope(contract_id, date_range, None, now)
    contract, date_range, query = scope.contract, scope.range, scope.rows
    rows = (
        await query.annotate(units=Sum('quantity')).group_by('day', 'team_key').values_list('day', 'team_key', 'units')
    )
    cells: dict[int | None, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, team_key, units in rows:
        cells[team_key if contract.is_flex else None][day] += int(units)
    days = date_range.dates()
    totals = {team: tuple(from_units(by_day[d]) for d in days) for team, by_day in cells.items()}
    return DailyTrend(tuple(days), totals)
