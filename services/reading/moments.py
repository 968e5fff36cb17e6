"""Moments: when time alone will change what was read, scheduled rather than found by sweeping

After a read, each holder says the next instant its numbers move without a ledger change (``HolderState.changes_at``:
a lot expiring, usage leaving the 90-day window, usage dated ahead arriving), and each contract the instant its day
turns in its time zone (a new trend day, new days left, a new forecast). ``Moments`` keeps the next such instant per
(contract, holder) — the contract's day under ``DAY`` — and gives, when asked, those that are due, as marks of what
to read again. A later read replaces a holder's moment; a contract that is let go is forgotten.
"""

import heapq
import itertools
from datetime import datetime, timedelta

from services.domain.dates import local_date, start_of_day
from services.reading.state import ContractState

DAY = None  # a contract's next day, among its holders' moments
Marks = dict[int, set[int] | None]  # contract id → holder ids to read again (None: every holder)


def add_mark(marks: Marks, contract_id: int, holders: frozenset[int] | set[int] | None) -> None:
    """Add holders of a contract to ``marks`` (``None``: every holder of it)."""
    known = marks.get(contract_id, set())
    marks[contract_id] = None if holders is None or known is None else known | holders


class Moments:
    """The next moment of each holder (and day) of the contracts read, in time order."""

    def __init__(self) -> None:
        self._next: dict[int, dict[int | None, datetime]] = {}  # contract → holder (or DAY) → when
        self._queue: list[tuple[datetime, int, int, int | None]] = []  # (when, order, contract, holder)
        self._order = itertools.count()

    def note(self, read: ContractState) -> None:
        """Schedule what ``read`` says: each holder's next moment and (after a whole contract, or the first read of
        one) its next day."""
        contract = read.contract
        scheduled = self._next.setdefault(contract.id, {})
        moments: dict[int | None, datetime | None] = {state.holder: state.changes_at for state in read.holders}
        if read.complete or DAY not in scheduled:
            today = local_date(read.as_of, contract.timezone)
            moments[DAY] = start_of_day(today + timedelta(days=1), contract.timezone)
        for holder, when in moments.items():
            if when is None:
                scheduled.pop(holder, None)
            elif scheduled.get(holder) != when:
                scheduled[holder] = when
                heapq.heappush(self._queue, (when, next(self._order), contract.id, holder))

    def forget(self, contract_id: int) -> None:
        """A contract no longer followed: its moments are dropped (their queue entries as they come up)."""
        self._next.pop(contract_id, None)

    def _current(self, entry: tuple[datetime, int, int, int | None]) -> bool:
        when, _, contract_id, holder = entry
        return self._next.get(contract_id, {}).get(holder) == when

    def next(self) -> datetime | None:
        """The earliest moment still scheduled."""
        while self._queue and not self._current(self._queue[0]):
            heapq.heappop(self._queue)
        return self._queue[0][0] if self._queue else None

    def due(self, now: datetime) -> tuple[Marks, datetime | None]:
        """Take the moments at or before ``now``: what they change (a day: the whole contract), and the latest."""
        marks: Marks = {}
        latest = None
        while (when := self.next()) is not None and when <= now:
            _, _, contract_id, holder = heapq.heappop(self._queue)
            del self._next[contract_id][holder]
            add_mark(marks, contract_id, None if holder is DAY else {holder})
            latest = when
        return marks, latest
