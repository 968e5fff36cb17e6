"""When rules are evaluated: after every ledger change of a holder, and in a sweep at least every 30 seconds

One process of a deployment evaluates (the holder of an advisory lock on PostgreSQL; another takes over when it
dies): it hears every committed change through the bus (PostgreSQL's NOTIFY carries the holders), lets a burst
settle for a moment, and evaluates the holders it touched. The sweep evaluates every holder of every contract, since
time alone moves expiries and forecasts; the first runs at start, so that a change whose process died before it
was evaluated is evaluated now. Writes never wait for any of this.
"""

import asyncio
import contextlib
import logging
import time

from models import AlertRule
from services.alerts.delivery import Sender
from services.alerts.evaluate import evaluate
from services.infrastructure import bus, coordination, tasks

SWEEP = 30.0  # seconds between two evaluations of everything, at most
SETTLE = 0.1  # seconds a burst of changes may take to arrive before it is evaluated
log = logging.getLogger('balances.alerts')


class AlertWatch:
    """This process's evaluator (active while it leads)."""

    def __init__(self, db_url: str, sender: Sender) -> None:
        self.leadership = coordination.Leadership(db_url, coordination.ALERTS)
        self.sender = sender
        self.evaluations = 0
        self._dirty: dict[int, set[int] | None] = {}
        self._sweep_due = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        bus.subscribe(self.on_change)
        self._task = asyncio.create_task(self._run(), name='alert evaluation')

    async def stop(self) -> None:
        bus.unsubscribe(self.on_change)
        await tasks.cancel(self._task)
        await self.leadership.release()

    def on_change(self, change: bus.Change) -> None:
        if change.contract_id == bus.EVERYTHING:
            self._sweep_due = 0.0
        elif change.holders is None or self._dirty.get(change.contract_id, set()) is None:
            self._dirty[change.contract_id] = None
        else:
            self._dirty.setdefault(change.contract_id, set()).update(change.holders)  # type: ignore[union-attr]
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, self._sweep_due - time.monotonic()))
            await asyncio.sleep(SETTLE)
            self._wake.clear()
            try:
                await self.round()
            except Exception:  # the next change or sweep tries again
                log.exception('alert evaluation failed')

    async def round(self) -> None:
        """Evaluate what changed, or everything when the sweep is due (only while this process leads)."""
        dirty, self._dirty = self._dirty, {}
        if not await self.leadership.holds():
            self._sweep_due = time.monotonic() + SWEEP
            return
        recorded = []
        if time.monotonic() >= self._sweep_due:
            self._sweep_due = time.monotonic() + SWEEP
            contracts = await AlertRule.filter(deleted_at=None).values_list('contract_id', flat=True)
            for contract_id in sorted({int(str(contract)) for contract in contracts}):
                recorded += await evaluate(contract_id)
        else:
            for contract_id, holders in dirty.items():
                recorded += await evaluate(contract_id, holders=holders)
        self.evaluations += 1
        if recorded:
            self.sender.wake()  # also told through the bus; this saves the round trip
