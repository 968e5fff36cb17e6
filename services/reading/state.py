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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from services.accounts.contracts import ContractInfo, get_contract, get_contracts
from services.domain.dates import DateRange, local_date
from services.domain.errors import UnknownTeam, WrongMode
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


def _marks(conn: BaseDBAsyncClient, params: list[object], values: Iterable[object]) -> str:
    """Bind ``values`` (appended to ``params``) and return their markers, comma-separated."""
    marks = []
    for value in values:
        params.append(value)
        marks.append(database.mark(conn, len(params)))
    return ', '.join(marks)


async def _holders(conn: BaseDBAsyncClient, wanted: Wanted, read: _Read) -> None:
    params: list[object] = []
    whole = [contract for contract, holders in wanted.items() if holders is None]
    some = sorted({holder for holders in wanted.values() if holders is not None for holder in holders})
    where = []
    if whole:
        where.append(f'holder.contract_id IN ({_marks(conn, params, sorted(whole))})')
    if some:
        where.append(f'holder.id IN ({_marks(conn, params, some)})')
    if not where:
        return
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT holder.id AS holder, holder.contract_id AS contract, holder.team_id AS team, team.name AS name '  # noqa: S608
        f'FROM holder LEFT JOIN team ON team.id = holder.team_id WHERE {" OR ".join(where)}',
        params,
    )
    for row in rows:
        if row['contract'] in wanted:
            read.rows[int(row['holder'])] = (int(row['contract']), row['team'], row['name'])


async def _lots(conn: BaseDBAsyncClient, holders: list[int], contracts: list[int], read: _Read) -> None:
    params: list[object] = []
    chosen = _marks(conn, params, holders)
    in_contracts = _marks(conn, params, contracts)
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT holder_id AS holder, id, original, remaining, purchased_at, expires_at, origin, 0 AS moved '  # noqa: S608
        f'FROM lot WHERE holder_id IN ({chosen}) '
        'UNION ALL SELECT holder.id, 0, 0, 0, NULL, NULL, '
        "CASE WHEN transfer.undoes_id IS NULL THEN 'out' ELSE 'undo_out' END, transfer.quantity FROM transfer "
        'JOIN holder ON holder.team_id = transfer.from_team_id '
        f'WHERE transfer.contract_id IN ({in_contracts}) AND holder.id IN ({chosen}) '
        # what undoings gave back to a team: netted out of its breakdown with what it had assigned
        "UNION ALL SELECT holder.id, 0, 0, 0, NULL, NULL, 'undo_in', transfer.quantity FROM transfer "
        'JOIN holder ON holder.team_id = transfer.to_team_id '
        f'WHERE transfer.undoes_id IS NOT NULL AND transfer.contract_id IN ({in_contracts}) '
        f'AND holder.id IN ({chosen})',
        params,
    )
    for row in rows:
        holder = int(row['holder'])
        if row['origin'] in ('out', 'undo_out', 'undo_in'):
            moved = read.moved[row['origin']]
            moved[holder] = moved.get(holder, 0) + int(row['moved'])
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


async def _usage_counts(conn: BaseDBAsyncClient, holders: list[int], now: datetime, read: _Read) -> None:
    """Distinct (products, users) per holder among events whose ``occurred_at`` lies in (now − 90 days, now], and the
    next instant those counts move: the oldest key in the window leaving it, or usage dated ahead arriving."""
    params: list[object] = [database.micros(now - WINDOW), database.micros(now)]
    chosen = _marks(conn, params, holders)
    start, end = database.mark(conn, 1), database.mark(conn, 2)
    ahead = f'FROM usage_ahead WHERE holder_id IN ({chosen}) AND occurred_at > {start} AND occurred_at <= {end}'
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT holder_id, kind, COUNT(*) AS n FROM ('  # noqa: S608
        f'SELECT holder_id, kind, key FROM usage_seen WHERE holder_id IN ({chosen}) '
        f'AND last_at > {start} AND last_at <= {end} '
        f"UNION SELECT holder_id, 'p', product {ahead} UNION SELECT holder_id, 'u', user_name {ahead}"
        ') AS seen GROUP BY holder_id, kind '
        f"UNION ALL SELECT holder_id, 'leaves', MIN(last_at) FROM usage_seen WHERE holder_id IN ({chosen}) "
        f'AND last_at > {start} GROUP BY holder_id '
        f"UNION ALL SELECT holder_id, 'arrives', MIN(occurred_at) FROM usage_ahead WHERE holder_id IN ({chosen}) "
        f'AND occurred_at > {end} GROUP BY holder_id',
        params,
    )
    window = database.micros(now) - database.micros(now - WINDOW)
    for row in rows:
        holder, kind, n = int(row['holder_id']), row['kind'], int(row['n'])
        if kind in ('p', 'u'):
            read.counts[holder][0 if kind == 'p' else 1] = n
        else:
            at = n + window if kind == 'leaves' else n
            read.usage_changes[holder] = min(at, read.usage_changes.get(holder, at))


async def _trend(
    conn: BaseDBAsyncClient, contracts: Mapping[int, ContractInfo], read: _Read, first: date, last: date
) -> None:
    """Usage per (contract, team tag) and day: a Flex holder's own tag, or every tag of a cloud-credit contract."""
    params: list[object] = [DAY, first, last]
    span = f'grain = {database.mark(conn, 1)} AND day BETWEEN {database.mark(conn, 2)} AND {database.mark(conn, 3)}'
    pairs = sorted({(contract, team) for contract, team, _ in read.rows.values() if team is not None})
    pairs = [(c, t) for c, t in pairs if contracts[c].is_flex]
    pools = sorted({contract for contract, _, _ in read.rows.values() if not contracts[contract].is_flex})
    parts = []
    if pairs:
        cast = 'CAST({} AS BIGINT)'
        values = ', '.join(
            f'({cast.format(_marks(conn, params, [c]))}, {cast.format(_marks(conn, params, [t]))})' for c, t in pairs
        )
        parts.append(
            # S608: the identifiers and parameter marks are the code's own; every value is bound
            'SELECT u.contract_id AS contract, u.team_key AS team, u.day AS day, u.quantity AS units '  # noqa: S608
            f'FROM (VALUES {values}) AS wanted JOIN usage_total AS u '
            f'ON u.contract_id = wanted.column1 AND u.team_key = wanted.column2 WHERE u.{span}'
        )
    if pools:
        parts.append(
            # S608: the identifiers and parameter marks are the code's own; every value is bound
            'SELECT contract_id AS contract, team_key AS team, day, quantity AS units FROM usage_total '  # noqa: S608
            f'WHERE contract_id IN ({_marks(conn, params, pools)}) AND {span}'
        )
    if not parts:
        return
    for row in await conn.execute_query_dict(' UNION ALL '.join(parts), params):
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
