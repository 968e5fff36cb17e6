"""Holder states: everything a holder's numbers derive from, for any set of holders of any contracts, in one snapshot

One read serves the balances, the forecast, the alerts and the live pages of as many holders of as many contracts as
asked, in a fixed number of set-based statements (whatever their number): the holders, their lots and transfers out,
their 90-day distinct counts with the next instant those change, and — when asked — their daily usage over the last
90 days (the trend line, and the forecast's rate from its last 28 complete days). From these, each holder's
``HolderState``: its balance, its usable lots and rate (the forecast's input), its forecast, its trend, and the next
instant time alone changes its numbers (a lot expiring, usage leaving the 90-day window, usage dated ahead arriving).
"""

from array import array
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pypika_tortoise import Case, Criterion, Field, Table
from pypika_tortoise import functions as fn
from pypika_tortoise.queries import QueryBuilder
from pypika_tortoise.terms import LiteralValue, Term
from tortoise.backends.base.client import BaseDBAsyncClient

from services.accounts.contracts import ContractInfo, get_contract, get_contracts
from services.domain.dates import DateRange, local_date
from services.domain.errors import UnknownTeam, WrongMode
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.ingest.rollups import DAY
from services.ledger.allocation import LotState, usable
from services.reading.balances import ContractBalances, HolderBalance, Tally, balance_of
from services.reading.forecast import (
    WINDOW_DAYS,
    ContractForecast,
    HolderForecast,
    HolderInput,
    daily_rate,
    holder_forecast,
    suggestions,
)
from services.reading.usage import WINDOW

TREND_DAYS = 90
Wanted = Mapping[int, Collection[int] | None]  # contract id → its holder ids (None: every holder of it)


@dataclass(frozen=True, slots=True)
class HolderState:
    """One holder's numbers and what they derive from, at ``as_of``; ``trend`` (units a day over the last 90 days,
    today last) only when it was asked for."""

    balance: HolderBalance
    input: HolderInput  # usable lots in consumption order, and the daily rate: the forecast's and suggestions' input
    forecast: HolderForecast
    trend: 'array[int] | None'  # compact: an open contract keeps it for its pages
    changes_at: datetime | None  # the next instant time alone changes these numbers

    @property
    def holder(self) -> int:
        return self.balance.holder

    @property
    def trend_total(self) -> Decimal:
        """What the trend's days used in all."""
        return from_units(sum(self.trend or ()))

    @property
    def team(self) -> int | None:
        return self.balance.team


@dataclass(frozen=True)
class ContractState:
    """The holders read of one contract (all of them when ``complete``), in the order of the page."""

    contract: ContractInfo
    as_of: datetime
    holders: tuple[HolderState, ...]
    complete: bool
    days: tuple[date, ...] = ()  # the trend's days, when read

    @property
    def changes_at(self) -> datetime | None:
        return min((h.changes_at for h in self.holders if h.changes_at), default=None)


@dataclass
class _Read:
    """Rows of one snapshot, by holder."""

    rows: dict[int, tuple[int, int | None, str | None]] = field(default_factory=dict)  # holder → contract, team, name
    lots: dict[int, list[tuple[LotState, str]]] = field(default_factory=lambda: defaultdict(list))
    # holder → units moved: 'out' (assigned to another team), 'undo_out' (given back by undoing an assignment it
    # received), 'undo_in' (given back to it)
    moved: dict[str, dict[int, int]] = field(default_factory=lambda: {'out': {}, 'undo_out': {}, 'undo_in': {}})
    counts: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    usage_changes: dict[int, int] = field(default_factory=dict)  # holder → next instant (µs) its 90-day counts move
    trend: dict[tuple[int, int], dict[date, int]] = field(default_factory=lambda: defaultdict(dict))


HOLDER, TEAM, LOT, TRANSFER = Table('holder'), Table('team'), Table('lot'), Table('transfer')
SEEN, AHEAD, TOTAL = Table('usage_seen'), Table('usage_ahead'), Table('usage_total')


def _kind(name: str) -> LiteralValue:
    """A constant tag of the rows of one part of a ``UNION`` (the code's own word, never a value)."""
    return LiteralValue(f"'{name}'")


@database.shaped
def _holders_sql(marks: database.Marks, whole: int, some: int) -> database.Built:
    chosen = [HOLDER.contract_id.isin(marks.many(whole))] if whole else []
    chosen += [HOLDER.id.isin(marks.many(some))] if some else []
    return (
        marks.query.from_(HOLDER)
        .left_join(TEAM)
        .on(TEAM.id == HOLDER.team_id)
        .select(HOLDER.id.as_('holder'), HOLDER.contract_id.as_('contract'), HOLDER.team_id.as_('team'), TEAM.name)
        .where(Criterion.any(chosen))
    )


async def _holders(conn: BaseDBAsyncClient, wanted: Wanted, read: _Read) -> None:
    whole = sorted(contract for contract, holders in wanted.items() if holders is None)
    some = sorted({holder for holders in wanted.values() if holders is not None for holder in holders})
    if not whole and not some:
        return
    for row in await database.fetch_shaped(conn, _holders_sql, [*whole, *some], len(whole), len(some)):
        if row['contract'] in wanted:
            read.rows[int(row['holder'])] = (int(row['contract']), row['team'], row['name'])


@database.shaped
def _lots_sql(marks: database.Marks, holders: int, contracts: int) -> database.Built:
    chosen, in_contracts = marks.many(holders), marks.many(contracts)
    zero, none = LiteralValue('0'), LiteralValue('NULL')  # typed by the first part's columns
    lots = (
        marks.query.from_(LOT)
        .select(
            LOT.holder_id.as_('holder'),
            LOT.id,
            LOT.original,
            LOT.remaining,
            LOT.purchased_at,
            LOT.expires_at,
            LOT.origin,
            zero.as_('moved'),
        )
        .where(LOT.holder_id.isin(chosen))
    )

    def moved(to: Field, kind: Term, *also: Criterion) -> QueryBuilder:
        return (
            marks.query.from_(TRANSFER)
            .join(HOLDER)
            .on(HOLDER.team_id == to)
            .select(HOLDER.id, zero, zero, zero, none, none, kind, TRANSFER.quantity)
            .where(Criterion.all([TRANSFER.contract_id.isin(in_contracts), HOLDER.id.isin(chosen), *also]))
        )

    given = Case().when(TRANSFER.undoes_id.isnull(), _kind('out')).else_(_kind('undo_out'))
    # what undoings gave back to a team: netted out of its breakdown with what it had assigned
    undone = moved(TRANSFER.to_team_id, _kind('undo_in'), TRANSFER.undoes_id.notnull())
    return lots.union_all(moved(TRANSFER.from_team_id, given)).union_all(undone)


async def _lots(conn: BaseDBAsyncClient, holders: list[int], contracts: list[int], read: _Read) -> None:
    for row in await database.fetch_shaped(conn, _lots_sql, [*holders, *contracts], len(holders), len(contracts)):
        holder = int(row['holder'])
        if row['origin'] in ('out', 'undo_out', 'undo_in'):
            moved_units = read.moved[row['origin']]
            moved_units[holder] = moved_units.get(holder, 0) + int(row['moved'])
            continue
        lot = LotState(
            int(row['id']),
            holder,
            int(row['original']),
            int(row['remaining']),
            database.to_datetime(row['purchased_at']),
            database.to_datetime(row['expires_at']),
        )
        read.lots[holder].append((lot, str(row['origin'])))


@database.shaped
def _usage_counts_sql(marks: database.Marks, holders: int) -> database.Built:
    start, end, chosen, build = marks.next(), marks.next(), marks.many(holders), marks.query
    ahead = AHEAD.holder_id.isin(chosen) & (AHEAD.occurred_at > start) & (AHEAD.occurred_at <= end)
    seen = (
        build.from_(SEEN)
        .select(SEEN.holder_id, SEEN.kind, SEEN.key)
        .where(SEEN.holder_id.isin(chosen) & (SEEN.last_at > start) & (SEEN.last_at <= end))
        .union(build.from_(AHEAD).select(AHEAD.holder_id, _kind('p'), AHEAD.product).where(ahead))
        .union(build.from_(AHEAD).select(AHEAD.holder_id, _kind('u'), AHEAD.user_name).where(ahead))
        .as_('seen')
    )
    counts = (
        build.from_(seen).select(seen.holder_id, seen.kind, fn.Count('*').as_('n')).groupby(seen.holder_id, seen.kind)
    )
    leaves = (
        build.from_(SEEN)
        .select(SEEN.holder_id, _kind('leaves'), fn.Min(SEEN.last_at))
        .where(SEEN.holder_id.isin(chosen) & (SEEN.last_at > start))
        .groupby(SEEN.holder_id)
    )
    arrives = (
        build.from_(AHEAD)
        .select(AHEAD.holder_id, _kind('arrives'), fn.Min(AHEAD.occurred_at))
        .where(AHEAD.holder_id.isin(chosen) & (AHEAD.occurred_at > end))
        .groupby(AHEAD.holder_id)
    )
    return counts.union_all(leaves).union_all(arrives)


async def _usage_counts(conn: BaseDBAsyncClient, holders: list[int], now: datetime, read: _Read) -> None:
    """Distinct (products, users) per holder among events whose ``occurred_at`` lies in (now − 90 days, now], and the
    next instant those counts move: the oldest key in the window leaving it, or usage dated ahead arriving."""
    window = database.micros(now) - database.micros(now - WINDOW)
    values = [database.micros(now - WINDOW), database.micros(now), *holders]
    for row in await database.fetch_shaped(conn, _usage_counts_sql, values, len(holders)):
        holder, kind, n = int(row['holder_id']), row['kind'], int(row['n'])
        if kind in ('p', 'u'):
            read.counts[holder][0 if kind == 'p' else 1] = n
        else:
            at = n + window if kind == 'leaves' else n
            read.usage_changes[holder] = min(at, read.usage_changes.get(holder, at))


@database.shaped
def _trend_sql(marks: database.Marks, flex: int, teams: int, pools: int) -> database.Built:
    grain, first, last = marks.next(), marks.next(), marks.next()
    span = (TOTAL.grain == grain) & TOTAL.day.between(first, last)
    columns = (TOTAL.contract_id.as_('contract'), TOTAL.team_key.as_('team'), TOTAL.day, TOTAL.quantity.as_('units'))
    parts = []
    if teams:  # a team's tag is its id: it names one contract's usage, so the two lists pick exactly these pairs
        chosen = TOTAL.contract_id.isin(marks.many(flex)) & TOTAL.team_key.isin(marks.many(teams))
        parts.append(marks.query.from_(TOTAL).select(*columns).where(chosen & span))
    if pools:
        pooled = TOTAL.contract_id.isin(marks.many(pools))
        parts.append(marks.query.from_(TOTAL).select(*columns).where(pooled & span))
    union: database.Built = parts[0]
    for part in parts[1:]:
        union = union.union_all(part)
    return union


async def _trend(
    conn: BaseDBAsyncClient, contracts: Mapping[int, ContractInfo], read: _Read, first: date, last: date
) -> None:
    """Usage per (contract, team tag) and day: a Flex holder's own tag, or every tag of a cloud-credit contract."""
    flex_rows = [(contract, team) for contract, team, _ in read.rows.values() if contracts[contract].is_flex]
    teams = sorted({team for _, team in flex_rows if team is not None})
    flex = sorted({contract for contract, team in flex_rows if team is not None})
    pools = sorted({contract for contract, _, _ in read.rows.values() if not contracts[contract].is_flex})
    if not teams and not pools:
        return
    shape = len(flex) if teams else 0, len(teams), len(pools)
    values = [DAY, first, last, *(flex if teams else []), *teams, *pools]
    for row in await database.fetch_shaped(conn, _trend_sql, values, *shape):
        contract = int(row['contract'])
        key = (contract, int(row['team']) if contracts[contract].is_flex else 0)
        day = database.to_date(row['day'])
        read.trend[key][day] = read.trend[key].get(day, 0) + int(row['units'])


def _state(
    holder: int, contract: ContractInfo, read: _Read, now: datetime, days: tuple[date, ...] | None
) -> HolderState:
    _, team, name = read.rows[holder]
    undone_out = read.moved['undo_out'].get(holder, 0)
    tally = Tally(
        moved_out=read.moved['out'].get(holder, 0) + undone_out,
        undone_out=undone_out,
        undone_in=read.moved['undo_in'].get(holder, 0),
    )
    lots = []
    for lot, origin in read.lots.get(holder, []):
        tally.add(lot, origin, now, contract.timezone)
        lots.append(lot)
    products, users = read.counts.get(holder, (0, 0))
    today = local_date(now, contract.timezone)
    balance = balance_of(holder, team, name, tally, (products, users), today)
    trend = None
    rate = 0
    if days is not None:
        by_day = read.trend.get((contract.id, team if contract.is_flex and team is not None else 0), {})
        trend = array('q', (by_day.get(day, 0) for day in days))
        rate = daily_rate(sum(trend[-WINDOW_DAYS - 1 : -1]))
    used = tuple(usable(lots, now))
    holder_input = HolderInput(holder, team, name, used, rate)
    changes = [tally.next_expiry_at]
    if holder in read.usage_changes:
        changes.append(database.from_micros(read.usage_changes[holder]))
    return HolderState(
        balance,
        holder_input,
        holder_forecast(holder_input, today, contract.timezone),
        trend,
        min((at for at in changes if at is not None), default=None),
    )


async def read_states(
    wanted: Wanted,
    *,
    now: datetime | None = None,
    trend: bool = True,
    contracts: Mapping[int, ContractInfo] | None = None,
) -> dict[int, ContractState]:
    """The states of the ``wanted`` holders (contract id → holder ids, ``None`` for all of a contract's), by contract,
    from one snapshot in a fixed number of statements; ``trend`` reads the last 90 days' usage too (and with it the
    forecast's rate: without it, the rate is 0). ``contracts`` saves reading them when the caller knows them."""
    now = resolve(now)
    known = dict(contracts or {})
    missing = [contract for contract in wanted if contract not in known]
    if missing:
        known.update({info.id: info for info in await get_contracts(missing)})
    wanted = {contract: holders for contract, holders in wanted.items() if contract in known}
    read = _Read()
    spans = {c: DateRange.last_days(local_date(now, known[c].timezone), TREND_DAYS) for c in wanted}
    async with database.snapshot() as conn:
        await _holders(conn, wanted, read)
        holders = sorted(read.rows)
        if holders:
            await _lots(conn, holders, sorted({contract for contract, _, _ in read.rows.values()}), read)
            await _usage_counts(conn, holders, now, read)
            if trend:
                first = min(span.start for span in spans.values())
                await _trend(conn, known, read, first, max(span.end for span in spans.values()))
    by_contract: dict[int, list[int]] = defaultdict(list)
    for holder, (owner, _, _) in read.rows.items():
        by_contract[owner].append(holder)
    states = {}
    for contract_id, holders_wanted in wanted.items():
        contract = known[contract_id]
        days = tuple(spans[contract_id].dates()) if trend else None
        found = [_state(holder, contract, read, now, days) for holder in by_contract.get(contract_id, [])]
        found.sort(key=lambda state: (state.balance.team_name or '', state.balance.team or 0))
        states[contract_id] = ContractState(contract, now, tuple(found), holders_wanted is None, days or ())
    return states


async def contract_balances(
    contract_id: int, *, now: datetime | None = None, holders: Collection[int] | None = None
) -> ContractBalances:
    """One balance per team (Flex, sorted by team name) or exactly one for the contract (cloud credits); ``holders``
    limits the read to those holder ids. Refuses with ``UnknownContract``."""
    contract = await get_contract(contract_id)
    state = (await read_states({contract_id: holders}, now=now, trend=False, contracts={contract_id: contract}))[
        contract_id
    ]
    expiring = [lot.expires_at for h in state.holders for lot in h.input.lots]
    return ContractBalances(contract, state.as_of, tuple(h.balance for h in state.holders), min(expiring, default=None))


async def contract_forecast(
    contract_id: int, *, team: int | None = None, now: datetime | None = None
) -> ContractForecast:
    """Every holder's forecast (one team's with ``team``) and the contract's transfer suggestions (Flex only; with
    ``team``, those from or to it).

    Refuses with ``UnknownContract``, ``UnknownTeam``, or ``WrongMode`` (``team`` given for cloud credits).
    """
    contract = await get_contract(contract_id)
    if team is not None and not contract.is_flex:
        raise WrongMode('team', 'must be omitted: shared cloud credits are held by the contract')
    state = (await read_states({contract_id: None}, now=now, contracts={contract_id: contract}))[contract_id]
    if team is not None and team not in {holder.team for holder in state.holders}:
        raise UnknownTeam(team)
    shown = tuple(h.forecast for h in state.holders if team is None or h.team == team)
    inputs = [h.input for h in state.holders]
    found = suggestions(inputs, state.as_of, contract.timezone) if contract.is_flex else ()
    if team is not None:
        found = tuple(s for s in found if team in (s.from_team, s.to_team))
    return ContractForecast(contract, state.as_of, shown, found)
