"""Balances per holder: the one place a balance is computed

From a holder's lots and the transfers it made (few rows, whatever the volume of usage):

- ``available`` = what remains in unexpired lots; ``expired`` = what remained in lots when they expired;
- ``total`` = purchased + transferred in − transferred out = Σ lot originals − Σ transferred out;
- ``used`` = total − available − expired, which the ledger check proves equal to Σ consume entries.

Lots and transfers are read in one statement, and with the 90-day counts inside one snapshot: a transfer that
commits meanwhile is seen whole or not at all.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from services.accounts.contracts import ContractInfo, get_contract
from services.domain.dates import local_date
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.reading.usage import distinct_usage_90_days

ALERT_DAYS = 90
HEALTHY_SHARE = Decimal('0.2')


@dataclass(frozen=True)
class NextExpiry:
    date: date
    days_left: int
    quantity: Decimal


@dataclass(frozen=True)
class HolderBalance:
    team: int | None
    team_name: str | None
    available: Decimal
    used: Decimal
    expired: Decimal
    total: Decimal
    health: str
    next_expiry: NextExpiry | None
    expiring_within_90_days: Decimal
    alert: bool
    products_90_days: int
    users_90_days: int
    holder: int = 0
    purchased: Decimal = Decimal(0)  # total = purchased + assigned_in − assigned_out
    assigned_in: Decimal = Decimal(0)
    assigned_out: Decimal = Decimal(0)

    @property
    def available_share(self) -> Decimal:
        """Available as a share of the total (0 when the total is 0)."""
        return self.available / self.total if self.total else Decimal(0)


@dataclass(frozen=True)
class ContractBalances:
    contract: ContractInfo
    as_of: datetime
    balances: tuple[HolderBalance, ...]
    next_expiry_at: datetime | None = None  # the next instant a lot of these holders expires with tokens left


def health(available: int, total: int) -> str:
    """Green when available is above 20 % of the total; red otherwise, and when the total is 0."""
    return 'green' if total > 0 and available > HEALTHY_SHARE * total else 'red'


@dataclass
class _Tally:
    original: int = 0
    moved_in: int = 0
    remaining_open: int = 0
    remaining_expired: int = 0
    moved_out: int = 0
    by_expiry: dict[date, int] = field(default_factory=dict)
    next_expiry_at: datetime | None = None


async def contract_balances(
    contract_id: int, *, now: datetime | None = None, holders: Collection[int] | None = None
) -> ContractBalances:
    """One balance per team (Flex, sorted by team name) or exactly one for the contract (cloud credits).

    ``holders`` limits the read to those holder ids (the live pages recompute only what a change touched).
    """
    now = resolve(now)
    contract = await get_contract(contract_id)
    async with database.snapshot() as conn:
        cards = await holder_rows(conn, contract, holders)
        tallies = await _tallies(conn, contract, [holder for holder, _, _ in cards], now)
        usage = await distinct_usage_90_days(contract, now, None if holders is None else [h for h, _, _ in cards])
    today = local_date(now, contract.timezone)
    balances = tuple(
        _balance(holder, team, name, tallies[holder], usage.get(holder, (0, 0)), today) for holder, team, name in cards
    )
    instants = [tally.next_expiry_at for tally in tallies.values() if tally.next_expiry_at]
    return ContractBalances(contract, now, balances, min(instants, default=None))


async def holder_rows(
    conn: BaseDBAsyncClient, contract: ContractInfo, only: Collection[int] | None
) -> list[tuple[int, int | None, str | None]]:
    """(holder id, team id, team name) in the order of the page: by team name, or the pool alone."""
    if only is not None and not only:
        return []
    marks = [database.mark(conn, 1)]
    params: list[object] = [contract.id]
    where = ''
    if only is not None:
        marks = [database.mark(conn, n) for n in range(1, len(only) + 2)]
        params += sorted(only)
        where = f' AND holder.id IN ({", ".join(marks[1:])})'
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT holder.id AS holder, holder.team_id AS team, team.name AS name FROM holder '  # noqa: S608
        f'LEFT JOIN team ON team.id = holder.team_id WHERE holder.contract_id = {marks[0]}{where}',
        params,
    )
    ordered = sorted(rows, key=lambda row: (row['name'] or '', row['team'] or 0))
    return [(row['holder'], row['team'], row['name']) for row in ordered]


async def _tallies(
    conn: BaseDBAsyncClient, contract: ContractInfo, holders: list[int], now: datetime
) -> dict[int, _Tally]:
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    if not holders:
        return tallies
    chosen = ', '.join(database.mark(conn, n) for n in range(2, len(holders) + 2))
    contract_mark = database.mark(conn, 1)
    rows = await conn.execute_query_dict(
        # S608: the identifiers and parameter marks are the code's own; every value is bound
        'SELECT holder_id AS holder, original, remaining, expires_at, 0 AS moved, origin FROM lot '  # noqa: S608
        f'WHERE contract_id = {contract_mark} AND holder_id IN ({chosen}) '
        "UNION ALL SELECT holder.id, 0, 0, NULL, transfer.quantity, 'out' FROM transfer "
        'JOIN holder ON holder.team_id = transfer.from_team_id '
        f'WHERE transfer.contract_id = {contract_mark} AND holder.id IN ({chosen})',
        [contract.id, *holders],
    )
    for row in rows:
        tally = tallies[row['holder']]
        if row['moved']:
            tally.moved_out += int(row['moved'])
            continue
        original, remaining = int(row['original']), int(row['remaining'])
        tally.original += original
        if row['origin'] == 'transfer':
            tally.moved_in += original
        expires_at = database.to_datetime(row['expires_at'])
        if expires_at > now:
            tally.remaining_open += remaining
            if remaining:
                day = local_date(expires_at, contract.timezone)
                tally.by_expiry[day] = tally.by_expiry.get(day, 0) + remaining
                tally.next_expiry_at = min(expires_at, tally.next_expiry_at or expires_at)
        else:
            tally.remaining_expired += remaining
    return tallies


def _balance(
    holder: int, team: int | None, name: str | None, tally: _Tally, usage: tuple[int, int], today: date
) -> HolderBalance:
    total = tally.original - tally.moved_out
    used = total - tally.remaining_open - tally.remaining_expired
    by_expiry = tally.by_expiry
    next_expiry = None
    if by_expiry:
        day = min(by_expiry)
        next_expiry = NextExpiry(day, (day - today).days, from_units(by_expiry[day]))
    horizon = today + timedelta(days=ALERT_DAYS)
    expiring = sum(units for day, units in by_expiry.items() if day <= horizon)
    return HolderBalance(
        team=team,
        team_name=name,
        available=from_units(tally.remaining_open),
        used=from_units(used),
        expired=from_units(tally.remaining_expired),
        total=from_units(total),
        health=health(tally.remaining_open, total),
        next_expiry=next_expiry,
        expiring_within_90_days=from_units(expiring),
        alert=expiring > 0,
        products_90_days=usage[0],
        users_90_days=usage[1],
        holder=holder,
        purchased=from_units(tally.original - tally.moved_in),
        assigned_in=from_units(tally.moved_in),
        assigned_out=from_units(tally.moved_out),
    )
