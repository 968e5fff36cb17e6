"""The consumption order, as a pure function

Usage and transfers draw from a holder's unexpired lots: earliest ``expires_at`` first; on equal expiry the lot
with the smaller original quantity; then the earlier ``purchased_at``; then creation order. One draw may span
lots. Quantities are integer units.

What makes a lot usable — something left, not expired — is said here once, in the three forms the code asks it in:
of a lot in memory (``is_usable``), to the ORM (``usable_filter``) and in a built statement (``usable_where``).
"""

from dataclasses import dataclass
from datetime import datetime

from pypika_tortoise import Criterion, Table
from pypika_tortoise.terms import Term
from tortoise.expressions import Q


@dataclass
class LotState:
    """A lot as the allocator sees it; ``remaining`` changes as draws are taken in a batch."""

    id: int
    holder_id: int
    original: int
    remaining: int
    purchased_at: datetime
    expires_at: datetime


def consumption_order(lot: LotState) -> tuple[datetime, int, datetime, int]:
    """The sort key of the consumption order: expiry, then smaller original, then older purchase, then creation."""
    return (lot.expires_at, lot.original, lot.purchased_at, lot.id)


def is_usable(lot: LotState, now: datetime) -> bool:
    """Whether a lot can be drawn from at ``now``: something left, and not expired."""
    return lot.remaining > 0 and lot.expires_at > now


def usable_filter(now: datetime) -> Q:
    """``is_usable`` as an ORM filter of lots."""
    return Q(remaining__gt=0, expires_at__gt=now)


def usable_where(lot: Table, now: datetime | Term) -> Criterion:
    """``is_usable`` as a condition on the ``lot`` table of a built statement."""
    return (lot.remaining > 0) & (lot.expires_at > now)


def usable(lots: list[LotState], now: datetime) -> list[LotState]:
    """The lots that can be drawn from at ``now``, in consumption order."""
    return sorted((lot for lot in lots if is_usable(lot, now)), key=consumption_order)


def available(lots: list[LotState], now: datetime) -> int:
    """Integer units remaining in the lots still usable at ``now``."""
    return sum(lot.remaining for lot in usable(lots, now))


def allocate(lots: list[LotState], units: int, now: datetime) -> list[tuple[LotState, int]] | None:
    """Take ``units`` from ``lots`` in consumption order, or ``None`` (and take nothing) if they cannot cover it."""
    draws: list[tuple[LotState, int]] = []
    needed = units
    for lot in usable(lots, now):
        take = min(lot.remaining, needed)
        draws.append((lot, take))
        needed -= take
        if needed == 0:
            break
    if needed > 0:
        return None
    for lot, take in draws:
        lot.remaining -= take
    return draws
