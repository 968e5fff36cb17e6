"""Balances per holder: the one place a balance is computed

From a holder's lots and the transfers it made (few rows, whatever the volume of usage; read by
``services.reading.state``):

- ``available`` = what remains in unexpired lots; ``expired`` = what remained in lots when they expired;
- ``total`` = purchased + transferred in − transferred out = Σ lot originals − Σ transferred out;
- ``used`` = total − available − expired, which the ledger check proves equal to Σ consume entries.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.accounts.contracts import ContractInfo
from services.domain.dates import local_date
from services.domain.quantity import from_units
from services.ledger.allocation import LotState

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
    by_expiry: tuple[tuple[date, int], ...] = ()  # units in usable lots by expiry date (contract time zone)

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
class Tally:
    """What a holder's lots add up to, in integer units, as they are read."""

    original: int = 0
    moved_in: int = 0
    remaining_open: int = 0
    remaining_expired: int = 0
    moved_out: int = 0
    undone_out: int = 0  # given back by undoing assignments it received (part of moved_out)
    undone_in: int = 0  # given back to it by undoings (part of moved_in: the lots they created)
    by_expiry: dict[date, int] = field(default_factory=dict)
    next_expiry_at: datetime | None = None

    def add(self, lot: LotState, origin: str, now: datetime, timezone: str) -> None:
        """Count one of the holder's lots (``origin``: ``purchase`` or ``transfer``) as it stands at ``now``."""
        self.original += lot.original
        if origin == 'transfer':
            self.moved_in += lot.original
        if lot.expires_at > now:
            self.remaining_open += lot.remaining
            if lot.remaining:
                day = local_date(lot.expires_at, timezone)
                self.by_expiry[day] = self.by_expiry.get(day, 0) + lot.remaining
                self.next_expiry_at = min(lot.expires_at, self.next_expiry_at or lot.expires_at)
        else:
            self.remaining_expired += lot.remaining


def expiring_within(by_expiry: Iterable[tuple[date, int]], days: int, today: date) -> tuple[int, date | None]:
    """Units in usable lots expiring within ``days`` days of today (by expiry date, in order), and the first of
    those dates: what the card's 90 days and an expiry rule's days both count."""
    horizon = today + timedelta(days=days)
    within = [(day, units) for day, units in by_expiry if day <= horizon]
    return sum(units for _, units in within), (within[0][0] if within else None)


def balance_of(
    holder: int, team: int | None, name: str | None, tally: Tally, usage: tuple[int, int], today: date
) -> HolderBalance:
    """A holder's balance from its tally and its 90-day distinct (products, users)."""
    total = tally.original - tally.moved_out
    used = total - tally.remaining_open - tally.remaining_expired
    by_expiry = tuple(sorted(tally.by_expiry.items()))
    next_expiry = None
    if by_expiry:
        day, units = by_expiry[0]
        next_expiry = NextExpiry(day, (day - today).days, from_units(units))
    expiring, _ = expiring_within(by_expiry, ALERT_DAYS, today)
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
        # an undone assignment and its undoing cancel out: what stays is what was used before the undoing
        assigned_in=from_units(tally.moved_in - tally.undone_in - tally.undone_out),
        assigned_out=from_units(tally.moved_out - tally.undone_out - tally.undone_in),
        by_expiry=by_expiry,
    )


@dataclass(frozen=True)
class ContractTotals:
    """A contract's holders added up: what its summary shows."""

    available: Decimal
    used: Decimal
    total: Decimal
    expiring_within_90_days: Decimal
    teams: int
    red: tuple[str, ...]  # the names of the holders at 20 % or less (with something purchased)


def contract_totals(balances: Iterable[HolderBalance], contract_name: str) -> ContractTotals:
    """The sums of a contract's balances, its teams, and which holders are in the red."""
    found = list(balances)
    return ContractTotals(
        available=sum((b.available for b in found), Decimal(0)),
        used=sum((b.used for b in found), Decimal(0)),
        total=sum((b.total for b in found), Decimal(0)),
        expiring_within_90_days=sum((b.expiring_within_90_days for b in found), Decimal(0)),
        teams=sum(1 for b in found if b.team is not None),
        red=tuple(b.team_name or contract_name for b in found if b.health == 'red' and b.total),
    )
