"""Balances per holder: the one place a balance is computed

From a holder's lots and the transfers it made (few rows, whatever the volume of usage):

- ``available`` = what remains in unexpired lots; ``expired`` = what remained in lots when they expired;
- ``total`` = purchased + transferred in − transferred out = Σ lot originals − Σ transferred out;
- ``used`` = total − available − expired, which the ledger check proves equal to Σ consume entries.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise.functions import Sum

from models import Lot, Team, Transfer
from services import regions
from services.clock import resolve
from services.contracts import ContractInfo, get_contract
from services.dates import local_date
from services.quantity import from_units
from services.usage import distinct_usage_90_days

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

    @property
    def available_share(self) -> Decimal:
        """Available as a share of the total (0 when the total is 0)."""
        return self.available / self.total if self.total else Decimal(0)


@dataclass(frozen=True)
class ContractBalances:
    contract: ContractInfo
    as_of: datetime
    balances: tuple[HolderBalance, ...]


def health(available: int, total: int) -> str:
    """Green when available is above 20 % of the total; red otherwise, and when the total is 0."""
    return 'green' if total > 0 and available > HEALTHY_SHARE * total else 'red'


@dataclass
class _Tally:
    original: int = 0
    remaining_open: int = 0
    remaining_expired: int = 0
    moved_out: int = 0
    by_expiry: dict[date, int] = field(default_factory=dict)


async def contract_balances(contract_id: int, *, now: datetime | None = None) -> ContractBalances:
    """One balance per team (Flex, sorted by team name) or exactly one for the contract (cloud credits)."""
    now = resolve(now)
    contract = await get_contract(contract_id)
    today = local_date(now, contract.timezone)
    lots = await Lot.filter(contract_id=contract_id).values_list(
        'holder__team_id', 'original', 'remaining', 'expires_at'
    )
    moved_out = (
        await Transfer.filter(contract_id=contract_id)
        .annotate(units=Sum('quantity'))
        .group_by('from_team_id')
        .values_list('from_team_id', 'units')
    )
    tallies: dict[int | None, _Tally] = defaultdict(_Tally)
    for team_id, original, remaining, expires_at in lots:
        tally = tallies[team_id]
        tally.original += original
        if expires_at > now:
            tally.remaining_open += remaining
            if remaining:
                day = local_date(expires_at, contract.timezone)
                tally.by_expiry[day] = tally.by_expiry.get(day, 0) + remaining
        else:
            tally.remaining_expired += remaining
    for team_id, units in moved_out:
        tallies[team_id].moved_out += int(units)

    if contract.mode == regions.FLEX:
        holders = [
            (team_id, name)
            for team_id, name in await Team.filter(contract_id=contract_id)
            .order_by('name', 'id')
            .values_list('id', 'name')
        ]
    else:
        holders = [(None, None)]
    usage = await distinct_usage_90_days(contract, now)
    balances = tuple(_balance(team, name, tallies[team], usage.get(team, (0, 0)), today) for team, name in holders)
    return ContractBalances(contract, now, balances)


def _balance(team: int | None, name: str | None, tally: _Tally, usage: tuple[int, int], today: date) -> HolderBalance:
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
    )
