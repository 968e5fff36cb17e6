"""Live models of the contracts open pages show, kept current by one coalescing pass for the whole process

A page acquires its contract's model and releases it when it closes. A ledger change (``bus.ledger_changed``) marks
the holders it touched, of whatever contract. One pass — ``DELAY`` after the first change of a burst, and at least
``INTERVAL`` after the previous pass (longer when reading took long: a flood of changes costs the pages a bounded
share of the database) — reads every marked holder of every open contract in one snapshot
(``reading.state.read_states``: a fixed number of statements, however many contracts) and sends each contract's new
states to its listeners (``LiveContract.updates``). A contract's first load is such a pass too, so that twenty
contracts opened at once are read together.

Time moves numbers too: a lot expires, usage leaves the 90-day window, usage dated ahead arrives, the day turns in the
contract's time zone. Each such moment is scheduled for the holders it concerns (the day's turn: the whole contract)
and read then; nothing is found by sweeping. The transfer suggestions follow the numbers, for the Flex contracts
whose holders changed (only the pairs of teams a change touched are projected again: ``forecast.suggestions``).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from services.accounts.contracts import ContractInfo
from services.domain.dates import local_date
from services.domain.errors import UnknownContract
from services.infrastructure import bus, diagnostics, tasks
from services.infrastructure.clock import Clock
from services.infrastructure.signals import Signal
from services.reading.balances import HolderBalance
from services.reading.forecast import Suggestion, suggestions
from services.reading.moments import Marks, Moments, add_mark
from services.reading.state import TREND_DAYS, ContractState, HolderState, read_states

DELAY = 0.05  # seconds from the first change of a burst to its pass
INTERVAL = 0.2  # seconds between two passes, at least
BUSY_SHARE = 3.0  # a pass that read for t seconds is followed by at least 3 t of rest
log = logging.getLogger('balances.live')


def rest_after(reading: float, *, waiting: bool) -> float:
    """The pause after a pass that read for ``reading`` seconds: what is left of ``INTERVAL``, and after a long read
    ``BUSY_SHARE`` times it, so that a flood of changes leaves the writers their share of the database — but not while
    pages wait for a contract's first cards: when a process takes over the pages of one that died, hundreds of
    contracts load at once, and that rest made their pages wait seconds on a process with cores to spare
    (docs/PERFORMANCE.md)."""
    left = INTERVAL - reading
    return left if waiting else max(left, BUSY_SHARE * reading)


@dataclass(frozen=True)
class LiveUpdate:
    """What a pass read of one contract: the states of the holders it touched (every holder, when ``full``: a first
    load, a new day), with their trends; ``suggestions`` whenever they changed (an update may carry only those)."""

    contract: ContractInfo
    as_of: datetime
    full: bool
    holders: tuple[HolderState, ...]
    suggestions: tuple[Suggestion, ...] | None = None  # None: unchanged


@dataclass
class Stats:
    changes: int = 0  # ledger changes received
    flushes: int = 0  # passes that read
    holders: int = 0  # holder states read
    seconds: float = 0.0  # time spent reading


class LiveContract:
    """The current numbers of one open contract, for every page that shows it."""

    def __init__(self, contract_id: int) -> None:
        self.id = contract_id
        self.contract: ContractInfo | None = None
        self.states: dict[int, HolderState] = {}  # by holder id
        self.suggestions: tuple[Suggestion, ...] = ()
        self.as_of: datetime | None = None
        self.today: date | None = None
        self.updates: Signal[LiveUpdate] = Signal(f'contract {contract_id}')
        self.users = 0
        self.loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def ordered(self) -> tuple[HolderState, ...]:
        """Every holder's state, in the order of the page (by team name)."""
        return tuple(sorted(self.states.values(), key=lambda s: (s.balance.team_name or '', s.balance.team or 0)))

    @property
    def holders(self) -> tuple[HolderBalance, ...]:
        return tuple(state.balance for state in self.ordered)

    @property
    def days(self) -> tuple[date, ...]:
        """The days of the trend lines, today last."""
        if self.today is None:
            return ()
        return tuple(self.today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1))

    def state_of(self, team: int | None) -> HolderState:
        return next(state for state in self.states.values() if state.team == team)

    def apply(self, read: ContractState) -> LiveUpdate:
        """Take a pass's read; what to tell the listeners."""
        self.contract, self.as_of = read.contract, read.as_of
        if read.complete:  # a first load, a new day (its scheduled moment reads the whole contract)
            self.today = local_date(read.as_of, read.contract.timezone)
            self.states = {state.holder: state for state in read.holders}
        else:
            self.states.update((state.holder, state) for state in read.holders)
        return LiveUpdate(read.contract, read.as_of, read.complete, read.holders)


class LiveContracts:
    """The live models of this process, one per contract shown, kept current by one pass."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.models: dict[int, LiveContract] = {}
        self.clock = clock or Clock()
        self.stats = Stats()
        self._dirty: Marks = {}
        self._moments = Moments()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reading = False
        self._unsubscribe: Callable[[], None] = lambda: None

    @property
    def next_moment(self) -> datetime | None:
        """The next instant time alone changes a number it shows."""
        return self._moments.next()

    def wake(self) -> None:
        """Look again at the clock and the marks (after a test moved its clock)."""
        self._wake.set()

    def start(self) -> None:
        """Follow the ledger's changes and keep the open contracts current (the app's start-up calls it)."""
        self._unsubscribe = bus.ledger_changed.subscribe(self.on_change)
        self._task = asyncio.create_task(self._run(), name='live contracts')

    async def close(self) -> None:
        self._unsubscribe()
        await tasks.cancel(self._task)
        for model in self.models.values():
            if not model.loaded.done():
                model.loaded.cancel()
        self.models.clear()

    @property
    def idle(self) -> bool:
        """Whether every change it was told of has been read and sent to the listeners."""
        return not (self._reading or self._dirty or self._wake.is_set())

    async def acquire(self, contract_id: int) -> LiveContract:
        """The contract's live model, read by the next pass if no page had it; release it when the page closes.
        Raises ``UnknownContract`` for a contract that does not exist."""
        model = self.models.get(contract_id)
        if model is None:
            model = self.models[contract_id] = LiveContract(contract_id)
            self.mark(contract_id, None)
        model.users += 1
        try:
            await asyncio.shield(model.loaded)
        except BaseException:
            self.release(contract_id)
            raise
        return model

    def release(self, contract_id: int) -> None:
        model = self.models.get(contract_id)
        if model is not None:
            model.users -= 1
            if model.users <= 0:
                del self.models[contract_id]
                self._dirty.pop(contract_id, None)
                self._moments.forget(contract_id)

    def on_change(self, change: bus.Change) -> None:
        if change.contract_id == bus.EVERYTHING:
            for contract_id in self.models:
                self.mark(contract_id, None)
        elif change.contract_id in self.models:
            self.mark(change.contract_id, change.holders)

    def mark(self, contract_id: int, holders: frozenset[int] | set[int] | None) -> None:
        """Note holders of a contract whose numbers changed (``None``: all of them); a pass follows."""
        self.stats.changes += 1
        add_mark(self._dirty, contract_id, holders)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self.clock.wait(self._moments.next(), self._wake)
            marks, due = self._moments.due(self.clock.now())
            for contract_id, holders in marks.items():
                self.mark(contract_id, holders)
            if not self._dirty:
                self._wake.clear()
                continue
            await asyncio.sleep(DELAY)  # let the rest of a burst arrive
            self._wake.clear()
            started = time.monotonic()
            try:
                with diagnostics.origin('live'):
                    await self.flush(due)
            except Exception:  # a failed read must not end the live updates: the next change retries
                log.exception('a live pass failed')
            waiting = any(not model.loaded.done() for model in self.models.values())
            await asyncio.sleep(rest_after(time.monotonic() - started, waiting=waiting))

    async def flush(self, due: datetime | None = None) -> None:
        """Read every marked holder in one snapshot and send each contract's update (``due``: the latest scheduled
        moment this pass serves, so that a timer firing a hair early still reads what changed at it)."""
        dirty, self._dirty = self._dirty, {}
        wanted = {contract: holders for contract, holders in dirty.items() if contract in self.models}
        if not wanted:
            return
        self._reading = True
        started = time.perf_counter()
        try:
            now = max(self.clock.now(), due) if due else self.clock.now()
            known = {c: model.contract for c, model in self.models.items() if c in wanted and model.contract}
            read = await read_states(wanted, now=now, contracts=known)
            self.stats.flushes += 1
            self.stats.holders += sum(len(state.holders) for state in read.values())
            self.stats.seconds += time.perf_counter() - started
            changed = []
            for contract_id in wanted:
                model = self.models.get(contract_id)
                if model is None:
                    continue
                if contract_id not in read:
                    if not model.loaded.done():
                        model.loaded.set_exception(UnknownContract(contract_id))
                    continue
                update = model.apply(read[contract_id])
                self._moments.note(read[contract_id])
                if not model.loaded.done():
                    model.loaded.set_result(None)
                await model.updates.send(update)
                if model.contract and model.contract.is_flex and update.holders:
                    changed.append(model)
            for model in changed:  # the numbers first, everywhere; then what they suggest
                await self._suggest(model, now)
        finally:
            self._reading = False

    async def _suggest(self, model: LiveContract, now: datetime) -> None:
        if model.contract is None or self.models.get(model.id) is not model:
            return
        found = suggestions([state.input for state in model.ordered], now, model.contract.timezone)
        if found != model.suggestions:
            model.suggestions = found
            await model.updates.send(LiveUpdate(model.contract, now, False, (), found))

    def totals(self) -> Stats:
        return replace(self.stats)
