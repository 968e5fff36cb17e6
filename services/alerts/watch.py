"""When rules are evaluated: after every ledger change of a holder, and at the moments time alone changes its numbers

One process of a deployment evaluates (the holder of an advisory lock on PostgreSQL; another takes over when it
dies, asking again every ``LEADERSHIP_RETRY`` seconds): it hears every committed change through the bus (PostgreSQL's
NOTIFY carries the holders), lets a burst settle for a moment, and evaluates the holders it touched, of every
contract at once (``evaluate.evaluate_many``: a fixed number of statements). Time moves expiries and forecasts: each
evaluation schedules the holders' next moments (a lot expiring) and their contracts' next day (a threshold of days
crossed, a run-out date nearer), and those are evaluated then (``reading.moments``). On taking the lead, it
evaluates every contract with rules once, ``CHUNK`` contracts at a time: a change whose process died before it was
evaluated is evaluated now, and every moment is scheduled. The caps of the contracts evaluated are looked at too: a
notify stage reached sends its notice once (``caps.notify_caps``). Writes never wait for any of this.

An administrator's assignment settles first: the two teams an assignment made on the page touched are evaluated
``ASSIGNMENT_SETTLE`` after it, not at once, so that one undone within that time (the page offers "Undo" right after
it) makes no alert fire or resolve — the assignment and its undoing are one change that changed nothing. Other changes
of those teams meanwhile are evaluated with them, at the end of the settle. A transfer through the API (which has no
undo) is evaluated at once, as any other change.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from models import AlertRule, Cap, Holder, Transfer
from services.alerts.caps import notify_caps
from services.alerts.delivery import Sender
from services.alerts.evaluate import evaluate_many
from services.infrastructure import bus, coordination, tasks
from services.infrastructure.clock import Clock
from services.reading.moments import Marks, Moments, add_mark

SETTLE = 0.1  # seconds a burst of changes may take to arrive before it is evaluated
ASSIGNMENT_SETTLE = timedelta(seconds=30)  # how long an assignment may be undone before the alerts look at it
LEADERSHIP_RETRY = 5.0  # seconds between two attempts to take the lead, while another process has it
CHUNK = 200  # contracts per evaluation, when evaluating them all
log = logging.getLogger('balances.alerts')


class AlertWatch:
    """This process's evaluator (active while it leads)."""

    def __init__(self, db_url: str, sender: Sender, clock: Clock | None = None) -> None:
        self.leadership = coordination.Leadership(db_url, coordination.ALERTS)
        self.sender = sender
        self.clock = clock or Clock()
        self.evaluations = 0
        self.leading = False
        self._dirty: Marks = {}
        self._everything = True  # the first evaluation as leader covers every contract
        self._moments = Moments()
        self._settling: dict[tuple[int, int], datetime] = {}  # (contract, holder) → when its assignment has settled
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._unsubscribe = bus.ledger_changed.subscribe(self.on_change)
        self._task = asyncio.create_task(self._run(), name='alert evaluation')

    async def stop(self) -> None:
        self._unsubscribe()
        await tasks.cancel(self._task)
        await self.leadership.release()

    @property
    def idle(self) -> bool:
        """Whether every change it was told of has been evaluated (or is another process's to evaluate)."""
        return not self._wake.is_set() and not (self.leading and (self._dirty or self._everything))

    def on_change(self, change: bus.Change) -> None:
        if change.contract_id == bus.EVERYTHING:
            self._everything = True
        else:
            add_mark(self._dirty, change.contract_id, change.holders)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            # followers ask again for the lead now and then: a single advisory-lock attempt
            retry = self.clock.now() + timedelta(seconds=LEADERSHIP_RETRY)
            await self.clock.wait(self._next() if self.leading else retry, self._wake)
            await asyncio.sleep(SETTLE)
            self._wake.clear()
            try:
                await self.round()
            except Exception:  # the next change or moment tries again
                log.exception('alert evaluation failed')

    async def round(self) -> None:
        """Evaluate what changed and what time changed — everything, on taking the lead (only while it leads)."""
        dirty, self._dirty = self._dirty, {}
        self.leading = await self.leadership.holds()
        if not self.leading:
            self._everything = True  # whoever leads evaluates these; this process will start afresh if it leads
            return
        if self._everything:
            self._everything = False
            running = AlertRule.filter(deleted_at=None, paused_at=None)
            ruled = await running.distinct().values_list('contract_id', flat=True)
            capped = await Cap.filter(deleted_at=None).distinct().values_list('contract_id', flat=True)
            contracts = [*ruled, *capped]
            ids = sorted({int(str(contract)) for contract in contracts})
            for start in range(0, len(ids), CHUNK):
                await self._evaluate(dict.fromkeys(ids[start : start + CHUNK]), None)
            return
        now = self.clock.now()
        marks, due = self._moments.due(now)
        for contract_id, holders in marks.items():
            add_mark(dirty, contract_id, holders)
        for (contract_id, holder), settled in list(self._settling.items()):
            if settled <= now:
                del self._settling[contract_id, holder]
                add_mark(dirty, contract_id, {holder})
        await self._hold_assigned(dirty, now)
        if dirty:
            await self._evaluate(dirty, due)

    def _next(self) -> datetime | None:
        """The next moment, or the next assignment settled, whichever comes first."""
        moments = [when for when in (self._moments.next(), min(self._settling.values(), default=None)) if when]
        return min(moments, default=None)

    async def _hold_assigned(self, dirty: Marks, now: datetime) -> None:
        """Take out of ``dirty`` the holders of teams assigned to or from within the settle, until it ends."""
        named = [contract for contract, holders in dirty.items() if holders]
        if not named:
            return
        since = now - ASSIGNMENT_SETTLE
        # the page's assignments: made by an administrator, named by e-mail (the API's by a key or the operator)
        pages = Transfer.filter(contract_id__in=named, created_at__gt=since, made_by__contains='@')
        recent = await pages.values_list('from_team_id', 'to_team_id', 'created_at')
        if not recent:
            return
        settles: dict[int, datetime] = {}
        for from_team, to_team, created_at in recent:
            for team in (from_team, to_team):
                settles[team] = max(settles.get(team, created_at), created_at)
        teams = await Holder.filter(team_id__in=list(settles), contract_id__in=named).values_list(
            'id', 'team_id', 'contract_id'
        )
        for holder, team, contract_id in teams:
            holders = dirty.get(contract_id)
            if holders and holder in holders:
                holders.discard(holder)
                self._settling[contract_id, holder] = settles[team] + ASSIGNMENT_SETTLE
        for contract_id in named:
            if not dirty[contract_id]:
                del dirty[contract_id]

    async def _evaluate(self, marks: Marks, due: datetime | None) -> None:
        now = max(self.clock.now(), due) if due else self.clock.now()
        recorded = await evaluate_many(marks, now=now, noted=self._moments.note)
        recorded += await notify_caps(list(marks), now=now)
        self.evaluations += 1
        if recorded:
            self.sender.wake()  # also told through the bus; this saves the round trip
