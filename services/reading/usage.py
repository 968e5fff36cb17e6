"""Usage analytics: breakdowns and chart series over date ranges, daily trends, and the 90-day distinct counts

Everything reads rollups (``services.ingest.rollups``), never events: a range is covered by the calendar months that lie
wholly inside it (month rows) and the days at its edges (day rows), so a 366-day breakdown reads about 12 + 60
periods × keys rows. A team's reads use its own ``team_key``; a contract's, the keys of all its teams and of the
usage tagged with none, so that every read is a prefix scan of one index.
"""

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pypika_tortoise import Field, Table
from pypika_tortoise import functions as fn

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
    column: str | None  # the key's column; none for the totals


SOURCES: dict[By, _Source] = {
    'product': _Source('usage_by_product', 'product'),
    'user': _Source('usage_by_user', 'user_name'),
    'day': _Source('usage_total', 'day'),
    'team': _Source('usage_total', 'team_key'),
}
TOTALS = _Source('usage_total', None)


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


@database.shaped
def _spans_sql(
    marks: database.Marks, source: _Source, spans: int, teams: int, keys: int, day: bool, grouped: bool
) -> database.Built:
    """A rollup's rows over ``spans`` spans of a range for some team tags — ``[day,] [key,] quantity``, only those
    of ``keys`` keys when given — one ``SELECT`` a span, joined by ``UNION ALL``; ``grouped``: summed by key.
    Its values: the contract, the team tags, the keys, then each span's grain, first and last day."""
    contract, team_keys, wanted, table = marks.next(), marks.many(teams), marks.many(keys), Table(source.table)
    columns = [table.day] if day else []
    if source.column is not None:
        columns.append(table.field(source.column).as_('key'))
    parts = []
    for _ in range(spans):
        grain, first, last = marks.many(3)
        chosen = (
            (table.contract_id == contract)
            & table.team_key.isin(team_keys)
            & (table.grain == grain)
            & table.day.between(first, last)
        )
        if keys and source.column is not None:
            chosen &= table.field(source.column).isin(wanted)
        parts.append(marks.query.from_(table).select(*columns, table.quantity).where(chosen))
    union: database.Built = parts[0]
    for part in parts[1:]:
        union = union.union_all(part)
    if not grouped:
        return union
    rows = union.as_('spans')
    key = Field('key', table=rows)
    return marks.query.from_(rows).select(key, fn.Sum(Field('quantity', table=rows)).as_('units')).groupby(key)


async def _spans(
    contract_id: int,
    team_keys: Collection[int],
    source: _Source,
    spans: Sequence[tuple[int, date, date]],
    *,
    day: bool = False,
    keys: Collection[str] = (),
    grouped: bool = False,
) -> list[dict[str, Any]]:
    """The rows of ``_spans_sql`` for these values."""
    values = [contract_id, *team_keys, *keys, *(value for span in spans for value in span)]
    shape = (source, len(spans), len(team_keys), len(keys), day, grouped)
    return await database.fetch_shaped(database.connection(), _spans_sql, values, *shape)


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
    grouped = await _spans(contract_id, keys, source, periods(date_range, months=by != 'day'), grouped=True)
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
        spans = periods(date_range, months=monthly)
        for row in await _spans(contract_id, keys, source, spans, day=True, keys=kept):
            cells[row['key']][_bucket(database.to_date(row['day']), date_range, monthly)] += int(row['quantity'])
    if len(breakdown.rows) > top:
        for row in await _spans(contract_id, keys, TOTALS, periods(date_range, months=monthly), day=True):
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


@database.shaped
def _user_days_sql(marks: database.Marks, of_team: bool) -> database.Built:
    session = Table('product_session')
    contract, start, end = marks.many(3)
    chosen = (session.contract_id == contract) & (session.window_start >= start) & (session.window_start < end)
    if of_team:
        chosen &= session.team_id == marks.next()
    return (
        marks.query.from_(session)
        .select(session.product, fn.Count('*').as_('windows'))
        .where(chosen)
        .groupby(session.product)
    )


async def user_days(contract_id: int, date_range: DateRange, *, team: int | None = None) -> dict[str, int]:
    """Per product, the 24-hour windows rated sessions opened in the range (contract time zone): user-days."""
    contract = await get_contract(contract_id)
    values = [
        contract_id,
        start_of_day(date_range.start, contract.timezone),
        start_of_day(date_range.end + timedelta(days=1), contract.timezone),
        *([team] if team is not None else []),
    ]
    rows = await database.fetch_shaped(database.connection(), _user_days_sql, values, team is not None)
    return {str(row['product']): int(row['windows']) for row in rows}
