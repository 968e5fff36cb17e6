"""Usage analytics: breakdowns and chart series over date ranges, daily trends, and the 90-day distinct counts

Everything reads rollups (``services.ingest.rollups``), never events: a range is covered by the calendar months that lie
wholly inside it (month rows) and the days at its edges (day rows), so a 366-day breakdown reads about 12 + 60
periods × keys rows. A team's reads use its own ``team_key``; a contract's, the keys of all its teams and of the
usage tagged with none, so that every read is a prefix scan of one index.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from services.accounts.contracts import ContractInfo, get_contract, team_ids
from services.domain.dates import DateRange, local_date, start_of_day
from services.domain.errors import InvalidInput, UnknownTeam
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.ingest.rollups import DAY, MONTH, NO_TEAM

By = Literal['product', 'user', 'day', 'team']
BY_VALUES: tuple[By, ...] = ('product', 'user', 'day', 'team')
MAX_ROWS = 10_000
WINDOW = timedelta(days=90)
OTHERS = 'other'
DAILY_BARS_UP_TO = 92  # days; longer ranges chart one bar per month


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
    """Period × key quantities for a stacked bar chart: one series per key, one value per period of the range.

    ``days`` holds the first day of each period: every day of the range, or (``bucket == 'month'``, for ranges
    over 92 days) the range's start and the first day of each later month.
    """

    range: DateRange
    by: By
    days: tuple[date, ...]
    series: tuple[Series, ...]
    bucket: Literal['day', 'month'] = 'day'


@dataclass(frozen=True)
class _Source:
    table: str
    column: str


SOURCES: dict[By, _Source] = {
    'product': _Source('usage_by_product', 'product'),
    'user': _Source('usage_by_user', 'user_name'),
    'day': _Source('usage_total', 'day'),
    'team': _Source('usage_total', 'team_key'),
}
TOTALS = _Source('usage_total', "''")


def periods(date_range: DateRange, *, months: bool = True) -> list[tuple[int, date, date]]:
    """Cover an inclusive range with (grain, first, last) spans: whole calendar months, and days at the edges."""
    start, end = date_range.start, date_range.end
    first_month = start if start.day == 1 else _next_month(start)
    after_last_month = _next_month(end) if _next_month(end) - timedelta(days=1) == end else end.replace(day=1)
    if not months or first_month >= after_last_month:
        return [(DAY, start, end)]
    spans = [(MONTH, first_month, after_last_month - timedelta(days=1))]
    if start < first_month:
        spans.append((DAY, start, first_month - timedelta(days=1)))
    if after_last_month <= end:
        spans.append((DAY, after_last_month, end))
    return spans


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class _Query:
    """A statement over the spans of a range, with numbered parameters (``$1`` is the contract)."""

    def __init__(self, conn: BaseDBAsyncClient, contract_id: int, team_keys: Collection[int]) -> None:
        self.conn, self.params = conn, list[object]([contract_id])
        self.teams = ', '.join(self.mark(key) for key in team_keys)

    def mark(self, value: object) -> str:
        self.params.append(value)
        return database.mark(self.conn, len(self.params))

    def union(self, source: _Source, spans: Iterable[tuple[int, date, date]], select: str, where: str = '') -> str:
        contract = database.mark(self.conn, 1)
        return ' UNION ALL '.join(
            # S608: the identifiers and parameter marks are the code's own; every value is bound
            f'SELECT {select} FROM {source.table} WHERE contract_id = {contract} AND team_key IN ({self.teams}) '  # noqa: S608
            f'AND grain = {grain} AND day BETWEEN {self.mark(first)} AND {self.mark(last)}{where}'
            for grain, first, last in spans
        )

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        return await self.conn.execute_query_dict(sql, self.params)


async def _team_keys(contract: ContractInfo, team: int | None) -> list[int]:
    """The team tags a read covers: one team, or every team of the contract and the untagged usage."""
    keys = await team_ids(contract.id)
    if team is not None:
        if team not in keys:
            raise UnknownTeam(team)
        return [team]
    return [NO_TEAM, *sorted(keys)]


def _default_range(contract: ContractInfo, date_range: DateRange | None, now: datetime | None) -> DateRange:
    return date_range or DateRange.last_days(local_date(resolve(now), contract.timezone))


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
    contract = await get_contract(contract_id)
    date_range = _default_range(contract, date_range, now)
    keys = await _team_keys(contract, team)
    source = SOURCES[by]
    query = _Query(database.connection(), contract_id, keys)
    spans = periods(date_range, months=by != 'day')
    union = query.union(source, spans, f'{source.column} AS key, quantity')
    # S608: the identifiers and parameter marks are the code's own; every value is bound
    grouped = await query.rows(f'SELECT key, SUM(quantity) AS units FROM ({union}) AS spans GROUP BY key')  # noqa: S608
    rows = [(_key(by, row['key']), int(row['units'])) for row in grouped]
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


def _key(by: By, value: object) -> str | date | int | None:
    if by == 'day':
        return database.to_date(value)
    if by == 'team':
        return None if value == NO_TEAM else int(value)  # type: ignore[call-overload]
    return str(value)


async def usage_series(
    contract_id: int,
    date_range: DateRange | None = None,
    *,
    by: Literal['product', 'user'] = 'product',
    team: int | None = None,
    top: int = 8,
    now: datetime | None = None,
) -> UsageSeries:
    """Period × product (or user) for a stacked bar chart; keys beyond the ``top`` largest merge into 'other'.

    Up to 92 days, one period per day; longer ranges, one per calendar month (the first and last may be partial).
    Reads the ranked keys, the top keys per period, and the totals per period: O(periods × top) rows besides the
    ranking.
    """
    if by not in ('product', 'user'):
        raise InvalidInput('by', 'must be product or user')
    breakdown = await usage_breakdown(contract_id, date_range, by=by, team=team, now=now)
    date_range = breakdown.range
    kept = [str(row.key) for row in breakdown.rows[:top]]
    monthly = date_range.days > DAILY_BARS_UP_TO
    starts = _period_starts(date_range, monthly)
    keys = await _team_keys(await get_contract(contract_id), team)
    source = SOURCES[by]
    cells: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    if kept:
        query = _Query(database.connection(), contract_id, keys)
        names = ', '.join(query.mark(name) for name in kept)
        where = f' AND {source.column} IN ({names})'
        union = query.union(
            source, periods(date_range, months=monthly), f'day, {source.column} AS key, quantity', where
        )
        for row in await query.rows(union):
            cells[row['key']][_bucket(database.to_date(row['day']), date_range, monthly)] += int(row['quantity'])
    if len(breakdown.rows) > top:
        query = _Query(database.connection(), contract_id, keys)
        union = query.union(TOTALS, periods(date_range, months=monthly), 'day, quantity')
        for row in await query.rows(union):
            cells[OTHERS][_bucket(database.to_date(row['day']), date_range, monthly)] += int(row['quantity'])
        for name in kept:
            for start, units in cells[name].items():
                cells[OTHERS][start] -= units
    shown = kept + ([OTHERS] if len(breakdown.rows) > top else [])
    series = tuple(Series(name, tuple(from_units(cells[name][start]) for start in starts)) for name in shown)
    return UsageSeries(date_range, by, tuple(starts), series, 'month' if monthly else 'day')


def _period_starts(date_range: DateRange, monthly: bool) -> list[date]:
    if not monthly:
        return date_range.dates()
    starts = [date_range.start]
    while (following := _next_month(starts[-1])) <= date_range.end:
        starts.append(following)
    return starts


def _bucket(day: date, date_range: DateRange, monthly: bool) -> date:
    if not monthly:
        return day
    return max(day.replace(day=1), date_range.start)


async def user_days(contract_id: int, date_range: DateRange, *, team: int | None = None) -> dict[str, int]:
    """Per product, the 24-hour windows rated sessions opened in the range (contract time zone): user-days."""
    contract = await get_contract(contract_id)
    conn = database.connection()
    params: list[object] = [
        contract_id,
        start_of_day(date_range.start, contract.timezone),
        start_of_day(date_range.end + timedelta(days=1), contract.timezone),
    ]
    where = ''
    if team is not None:
        params.append(team)
        where = f' AND team_id = {database.mark(conn, 4)}'
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT product, COUNT(*) AS windows FROM product_session '  # noqa: S608
        f'WHERE contract_id = {database.mark(conn, 1)} AND window_start >= {database.mark(conn, 2)} '
        f'AND window_start < {database.mark(conn, 3)}{where} GROUP BY product',
        params,
    )
    return {str(row['product']): int(row['windows']) for row in rows}
