"""Run-out forecast, tokens that will expire unused, and transfers that would save them

The projection is the spec's, deliberately simple so that every number can be checked by hand:

- ``daily_rate``: the holder's usage that occurred in the last 28 complete days (contract time zone, today
  excluded), divided by 28, rounded half-even to 4 decimals;
- from tomorrow on, each day first loses the lots whose expiry date it is (what they still hold *expires unused*
  on that date), then consumes ``daily_rate`` from the remaining lots in consumption order;
- ``runs_out_on`` is the first day the lots cannot cover in full (``None`` at rate 0, or beyond 365 days).

It runs from expiry to expiry rather than day by day — O(lots), exact in integer units. A suggestion moves tokens
a team will let expire to a team that would use them before they do; each is checked by projecting both teams
after exactly the transfer the ledger would make (same draws, same consumption order), so that what it says it
recovers is what the projection then shows.
"""

import copy
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from services.accounts.contracts import ContractInfo
from services.domain.dates import local_date
from services.domain.quantity import SCALE, from_units, to_units
from services.ledger.allocation import LotState, allocate, consumption_order, usable

WINDOW_DAYS = 28
HORIZON_DAYS = 365
MAX_SUGGESTIONS = 20
ONE_TOKEN = SCALE


@dataclass(frozen=True)
class Projection:
    """What a holder's lots become at a daily rate: the first day it runs short (``None`` if never, at any
    distance), and what expires unused, by date; ``leftover`` by lot id."""

    runs_out_on: date | None
    expires_unused: tuple[tuple[date, int], ...]
    leftover: dict[int, int]

    @property
    def unused_total(self) -> int:
        return sum(units for _, units in self.expires_unused)


def project(lots: Iterable[LotState], rate: int, today: date, timezone: str) -> Projection:
    """Project ``lots`` (those usable now) from tomorrow at ``rate`` units a day (see the module's rules)."""
    pending = sorted((lot for lot in lots if lot.remaining > 0), key=consumption_order)
    remaining = {lot.id: lot.remaining for lot in pending}
    expires_on = {lot.id: local_date(lot.expires_at, timezone) for lot in pending}
    unused: dict[date, int] = defaultdict(int)
    leftover: dict[int, int] = {}
    current, runs_out = today, None

    def expire(lot: LotState) -> None:
        if remaining[lot.id]:
            unused[expires_on[lot.id]] += remaining[lot.id]
            leftover[lot.id] = remaining[lot.id]

    while True:
        following = current + timedelta(days=1)
        for lot in pending:
            if expires_on[lot.id] <= following:
                expire(lot)
        pending = [lot for lot in pending if expires_on[lot.id] > following and remaining[lot.id]]
        if rate <= 0:
            for lot in pending:
                expire(lot)
            break
        if not pending:
            runs_out = following
            break
        next_expiry = min(expires_on[lot.id] for lot in pending)
        days = (next_expiry - following).days
        left = sum(remaining[lot.id] for lot in pending)
        if left // rate < days:
            runs_out = following + timedelta(days=left // rate)
            break
        needed = days * rate
        for lot in pending:
            take = min(needed, remaining[lot.id])
            remaining[lot.id] -= take
            needed -= take
            if not needed:
                break
        current = next_expiry - timedelta(days=1)
    return Projection(runs_out, tuple(sorted((day, units) for day, units in unused.items() if units)), leftover)


def within_horizon(runs_out_on: date | None, today: date) -> date | None:
    """The run-out date as the forecast reports it: ``None`` beyond ``HORIZON_DAYS``."""
    return runs_out_on if runs_out_on is not None and (runs_out_on - today).days <= HORIZON_DAYS else None


def daily_rate(units_in_window: int) -> int:
    """Units a day: the window's usage divided by 28, rounded half-even to whole units (4 decimals)."""
    return int((Decimal(units_in_window) / WINDOW_DAYS).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class HolderInput:
    """What a holder's forecast is made of: its lots usable now, and its daily rate (units)."""

    holder: int
    team: int | None
    team_name: str | None
    lots: tuple[LotState, ...]
    rate: int


@dataclass(frozen=True)
class HolderForecast:
    team: int | None
    team_name: str | None
    available: Decimal
    daily_rate: Decimal
    runs_out_on: date | None
    days_left: int | None
    expires_unused: tuple[tuple[date, Decimal], ...]
    expires_unused_total: Decimal
    holder: int = 0

    @property
    def last_unused(self) -> tuple[date | None, Decimal]:
        """The last expiry that leaves tokens unused and how many (``None, 0`` when none does)."""
        return self.expires_unused[-1] if self.expires_unused else (None, Decimal(0))

    @property
    def unused_before_last(self) -> Decimal:
        """What expires unused before the last such expiry."""
        return self.expires_unused_total - self.last_unused[1]

    def covered_days(self, horizon: int) -> int:
        """How many of the next ``horizon`` days the lots cover at the daily rate (0 at rate 0)."""
        if not self.daily_rate:
            return 0
        if self.days_left is None:
            return horizon
        return max(0, min(horizon, self.days_left - 1))


def whole(value: Decimal) -> Decimal:
    """A projected quantity in whole tokens (below one token, as it is): a projection is not exact to the cent."""
    return value if value < 1 else value.quantize(Decimal(1))


@dataclass(frozen=True)
class Suggestion:
    from_team: int
    from_team_name: str
    to_team: int
    to_team_name: str
    quantity: Decimal
    expires_at: datetime
    recovers: Decimal


@dataclass(frozen=True)
class ContractForecast:
    contract: ContractInfo
    as_of: datetime
    holders: tuple[HolderForecast, ...]
    suggestions: tuple[Suggestion, ...]
    window_days: int = WINDOW_DAYS


def holder_forecast(holder: HolderInput, today: date, timezone: str) -> HolderForecast:
    """The forecast of one holder."""
    projection = project(holder.lots, holder.rate, today, timezone)
    runs_out = within_horizon(projection.runs_out_on, today)
    return HolderForecast(
        team=holder.team,
        team_name=holder.team_name,
        available=from_units(sum(lot.remaining for lot in holder.lots)),
        daily_rate=from_units(holder.rate),
        runs_out_on=runs_out,
        days_left=(runs_out - today).days if runs_out else None,
        expires_unused=tuple((day, from_units(units)) for day, units in projection.expires_unused),
        expires_unused_total=from_units(projection.unused_total),
        holder=holder.holder,
    )


def _later_or_same(after: date | None, before: date | None) -> bool:
    """Whether a run-out date is no earlier than another (``None``: never)."""
    return after is None or (before is not None and after >= before)


def _transferred(
    source: HolderInput, target: HolderInput, units: int, now: datetime, next_id: int
) -> tuple[list[LotState], list[LotState]] | None:
    """Both holders' lots after the transfer the ledger would make (same draws, the moved parts created last)."""
    source_lots = [copy.copy(lot) for lot in source.lots]  # the draws lower these; their fields are immutable
    draws = allocate(source_lots, units, now)
    if draws is None:
        return None
    moved = [
        LotState(next_id + n, target.holder, take, take, lot.purchased_at, lot.expires_at)
        for n, (lot, take) in enumerate(draws)
    ]
    return source_lots, [*target.lots, *moved]  # projecting reads lots, never changes them


def suggestions(holders: Sequence[HolderInput], now: datetime, timezone: str) -> tuple[Suggestion, ...]:
    """Transfers between teams that lower the contract's tokens expiring unused, largest recovery first (at most
    20); each leaves its source's run-out date where it was or later."""
    today = local_date(now, timezone)
    teams = [holder for holder in holders if holder.team is not None]
    base = {holder.holder: project(holder.lots, holder.rate, today, timezone) for holder in teams}
    next_id = 1 + max((lot.id for holder in teams for lot in holder.lots), default=0)
    state = {holder.holder: _state(holder) for holder in teams}
    found: list[Suggestion] = []
    for source in teams:
        waste = base[source.holder].unused_total
        drawable = usable(list(source.lots), now)
        if not waste or not drawable:
            continue
        first = drawable[0].expires_at  # a transfer takes these first: the suggestion moves only tokens of this expiry
        if local_date(first, timezone) <= today + timedelta(days=1):
            continue  # gone before anyone's projected tomorrow
        upper = min(waste, sum(lot.remaining for lot in drawable if lot.expires_at == first))
        for target in teams:
            if target is source or target.rate <= 0:
                continue
            key = (state[source.holder], state[target.holder], upper, today, timezone, next_id)
            if key not in _PAIRS:
                if len(_PAIRS) >= PAIRS_KEPT:
                    _PAIRS.clear()
                _PAIRS[key] = _pair(source, target, drawable[0], upper, base, now, today, timezone, next_id)
            if (move := _PAIRS[key]) is not None:
                units, recovers = move
                found.append(
                    Suggestion(
                        source.team or 0,
                        source.team_name or '',
                        target.team or 0,
                        target.team_name or '',
                        from_units(units),
                        first,
                        from_units(recovers),
                    )
                )
    found.sort(key=lambda s: (-s.recovers, s.from_team_name, s.to_team_name, s.from_team, s.to_team))
    return tuple(found[:MAX_SUGGESTIONS])


@dataclass(frozen=True)
class Together:
    """What applying several suggestions recovers, in whole tokens: one after the other, and the sum of each alone."""

    recovered: Decimal
    separately: Decimal


def together(holders: Sequence[HolderInput], chosen: Sequence[Suggestion], now: datetime, timezone: str) -> Together:
    """What applying ``chosen`` one after the other recovers in all, by the same projection: less than the sum of
    their own figures when two draw on the same tokens or fill the same team (one whose tokens are gone by then
    moves what is left of them, or nothing)."""
    today = local_date(now, timezone)
    teams = {holder.team: holder for holder in holders if holder.team is not None}
    before = sum(project(holder.lots, holder.rate, today, timezone).unused_total for holder in teams.values())
    next_id = 1 + max((lot.id for holder in teams.values() for lot in holder.lots), default=0)
    for suggestion in chosen:
        source, target = teams.get(suggestion.from_team), teams.get(suggestion.to_team)
        if source is None or target is None:
            continue
        same_expiry = sum(lot.remaining for lot in source.lots if lot.expires_at == suggestion.expires_at)
        units = min(to_units(suggestion.quantity), same_expiry)
        after = _transferred(source, target, units, now, next_id) if units > 0 else None
        if after is not None:
            teams[suggestion.from_team], teams[suggestion.to_team] = (
                replace(source, lots=tuple(after[0])),
                replace(target, lots=tuple(after[1])),
            )
            next_id += len(after[1]) - len(target.lots)
    after_total = sum(project(holder.lots, holder.rate, today, timezone).unused_total for holder in teams.values())
    separately = sum((whole(suggestion.recovers) for suggestion in chosen), Decimal(0))
    return Together(whole(from_units(before - after_total)), separately)


# What a pair of teams' transfer would recover, by everything it depends on: a change touches a few teams, and the
# live model's next flush projects again only the pairs of those (their cost: docs/PERFORMANCE.md).
# The lots given are usable at ``now`` whatever ``now`` was, so it is not part of the key.
PAIRS_KEPT = 50_000
_PAIRS: dict[tuple[object, ...], tuple[int, int] | None] = {}


def _state(holder: HolderInput) -> tuple[object, ...]:
    lots = tuple((lot.id, lot.original, lot.remaining, lot.purchased_at, lot.expires_at) for lot in holder.lots)
    return holder.holder, holder.rate, lots


def _pair(
    source: HolderInput,
    target: HolderInput,
    first: LotState,
    upper: int,
    base: dict[int, Projection],
    now: datetime,
    today: date,
    timezone: str,
    next_id: int,
) -> tuple[int, int] | None:
    """The units ``source`` should move to ``target`` and what that recovers, or ``None`` if it recovers nothing or
    would make the source run out earlier."""
    units = _absorbable(target, first, upper, today, timezone, next_id)
    if units >= ONE_TOKEN:
        units -= units % ONE_TOKEN  # whole tokens, as a person would move them
    if units <= 0:
        return None
    after = _transferred(source, target, units, now, next_id)
    if after is None:
        return None
    source_after = project(after[0], source.rate, today, timezone)
    target_after = project(after[1], target.rate, today, timezone)
    before = base[source.holder].unused_total + base[target.holder].unused_total
    recovers = before - source_after.unused_total - target_after.unused_total
    if recovers > 0 and _later_or_same(source_after.runs_out_on, base[source.holder].runs_out_on):
        return units, recovers
    return None


def _absorbable(target: HolderInput, like: LotState, units: int, today: date, timezone: str, next_id: int) -> int:
    """How much of ``units`` tokens expiring with ``like`` the target would use before they expire."""
    extra = LotState(next_id, target.holder, units, units, like.purchased_at, like.expires_at)
    projection = project([*target.lots, extra], target.rate, today, timezone)
    return units - projection.leftover.get(extra.id, 0)
