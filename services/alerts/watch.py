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
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from models import AlertRule, Cap
from services.alerts.caps import notify_caps
from services.alerts.delivery import Sender
from services.alerts.evaluate import evaluate_many
from services.infrastructure import bus, coordination, tasks
from services.infrastructure.clock import Clock
from services.reading.moments import Marks, Moments, add_mark

SETTLE = 0.1  # seconds a burst of changes may take to arrive before it is evaluated
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
            await self.clock.wait(self._moments.next() if self.leading else retry, self._wake)
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
            ruled = await AlertRule.filter(deleted_at=None).distinct().values_list('contract_id', flat=True)
            capped = await Cap.filter(deleted_at=None).distinct().values_list('contract_id', flat=True)
            contracts = [*ruled, *capped]
            ids = sorted({int(str(contract)) for contract in contracts})
            for start in range(0, len(ids), CHUNK):
                await self._evaluate(dict.fromkeys(ids[start : start + CHUNK]), None)
            return
        marks, due = self._moments.due(self.clock.now())
        for contract_id, holders in marks.items():
            add_mark(dirty, contract_id, holders)
        if dirty:
            await self._evaluate(dirty, due)

    async def _evaluate(self, marks: Marks, due: datetime | None) -> None:
        now = max(self.clock.now(), due) if due else self.clock.now()
        recorded = await evaluate_many(marks, now=now, noted=self._moments.note)
        recorded += await notify_caps(list(marks), now=now)
        self.evaluations += 1
        if recorded:
            self.sender.wake()  # also told through the bus; this saves the round trip
