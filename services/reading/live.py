"""Live models of the contracts open pages show: one computation per contract per change, shared by every page

A page acquires its contract's model and releases it when it closes; the first acquirer loads it (every holder's
balance and 90-day trend). A ledger change (``services.infrastructure.bus``) marks the holders it touched. A flush,
``DELAY`` seconds after the first change of a burst and at most once every ``INTERVAL`` seconds, recomputes those
holders only — a fixed number of queries, whatever the number of pages — and hands the new values to the model's
listeners; the last change is always flushed. A sweep recomputes every holder once a minute, at the next lot
expiry and at midnight (contract time): time alone moves expiries and the 90-day window.
"""

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.accounts.contracts import ContractInfo, get_contract
from services.domain.dates import DateRange, local_date, start_of_day
from services.infrastructure import bus, diagnostics, tasks
from services.infrastructure.clock import utcnow
from services.reading.balances import ContractBalances, HolderBalance, contract_balances
from services.reading.forecast import HolderForecast, Suggestion, forecast_inputs, holder_forecast, rates, suggestions
from services.reading.usage import DailyTrend, daily_trend

DELAY = 0.05  # seconds from the first change of a burst to its flush
INTERVAL = 0.25  # seconds between two flushes of one contract, at least
BUSY_SHARE = 3.0  # a flush that took t seconds is followed by at least 3 t of rest
SWEEP = 60.0  # seconds between two recomputations of every holder, at most
TREND_DAYS = 90
log = logging.getLogger('balances.live')


@dataclass(frozen=True)
class LiveUpdate:
    """What a flush recomputed: ``balances`` of the holders it touched (all of them when ``full``), their trends
    over ``trend.days`` and their forecasts; ``suggestions`` are the contract's, whenever they changed."""

    full: bool
    balances: tuple[HolderBalance, ...]
    trend: DailyTrend
    as_of: datetime
    forecasts: dict[int, HolderForecast] = field(default_factory=dict)
    suggestions: tuple[Suggestion, ...] | None = None  # None: unchanged


Listener = Callable[[LiveUpdate], Awaitable[None] | None]


@dataclass
class Stats:
    changes: int = 0  # ledger changes received
    flushes: int = 0
    holders: int = 0  # holder recomputations
    seconds: float = 0.0  # time spent recomputing


@dataclass
class LiveContract:
    """The current numbers of one contract, kept up to date for every page that shows it."""

    contract: ContractInfo
    balances: dict[int, HolderBalance] = field(default_factory=dict)  # by holder id, in page order
    trend: DailyTrend = field(default_factory=lambda: DailyTrend((), {}))
    as_of: datetime = field(default_factory=utcnow)
    users: int = 0
    forecasts: dict[int, HolderForecast] = field(default_factory=dict)  # by holder id
    suggestions: tuple[Suggestion, ...] = ()
    stats: Stats = field(default_factory=Stats)
    _rates: dict[int | None, int] = field(default_factory=dict)
    _rates_day: date | None = None
    _listeners: list[Listener] = field(default_factory=list)
    _dirty: set[int] | None = field(default_factory=set)  # None: every holder
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _next_sweep: float = 0.0
    _suggest_due: bool = False  # the first load left the suggestions to the next flush
    _flushing: bool = False  # a flush has taken the marked holders and not yet handed them to the listeners

    @property
    def holders(self) -> tuple[HolderBalance, ...]:
        return tuple(self.balances.values())

    @property
    def idle(self) -> bool:
        """Whether every change it was told of has been read and handed to its listeners."""
        return not (self._flushing or self._wake.is_set() or self._dirty is None or self._dirty or self._suggest_due)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def mark(self, holders: frozenset[int] | None) -> None:
        """Note holders whose numbers changed (``None``: all); a flush follows."""
        self.stats.changes += 1
        if holders is None or self._dirty is None:
            self._dirty = None
        else:
            self._dirty |= holders
        self._wake.set()

    async def load(self) -> None:
        """Read every holder; the transfer suggestions (every pair of teams: most of a first load's time) follow in
        the first flush, so that the first page shows its numbers without waiting for them."""
        with diagnostics.origin('live'):
            update = await self._recompute(None, suggest=False)
        if update is not None:
            await self._publish(update)
        self._suggest_due = self.contract.is_flex
        if self._suggest_due:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f'live contract {self.contract.id}')

    async def stop(self) -> None:
        await tasks.cancel(self._task)

    async def _run(self) -> None:
        while True:
            timeout = max(0.0, self._next_sweep - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            if not self._wake.is_set():  # the sweep is due
                self._dirty = None
            await asyncio.sleep(DELAY)  # let the rest of a burst arrive
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            self._flushing = True
            started = time.monotonic()
            try:
                with diagnostics.origin('live'):
                    update = await self._recompute(dirty)
            except Exception:  # a failed read must not end the live updates: the next change or sweep retries
                log.exception('live update of contract %s failed', self.contract.id)
                self._dirty, update = None, None
            reading = time.monotonic() - started
            try:
                if update is not None:
                    await self._publish(update)
            finally:
                self._flushing = False
            # at least INTERVAL between flushes, and never more than a quarter of the time reading: a flood of
            # changes (bulk ingestion) costs its pages a bounded share of the database, whatever its size; what the
            # pages' delivery costs is not part of it (it grows with the pages, and would slow every page down)
            await asyncio.sleep(max(INTERVAL - (time.monotonic() - started), BUSY_SHARE * reading))

    async def _recompute(self, dirty: set[int] | None, *, suggest: bool = True) -> LiveUpdate | None:
        """Read again the ``dirty`` holders (all of them for ``None``, or on a new day); what changed, to publish."""
        started = time.perf_counter()
        now = utcnow()
        today = local_date(now, self.contract.timezone)
        full = dirty is None or not self.trend.days or self.trend.days[-1] != today
        if not full and not dirty:
            return await self._suggest(now) if self._suggest_due else None
        read = await contract_balances(self.contract.id, now=now, holders=None if full else dirty)
        teams = None if full else {b.team for b in read.balances if b.team is not None}
        trend = await daily_trend(self.contract.id, DateRange.last_days(today, TREND_DAYS), teams=teams, now=now)
        if full:
            self.balances = {balance.holder: balance for balance in read.balances}
            self.trend = trend
        else:
            self.balances.update((balance.holder, balance) for balance in read.balances)
            self.trend = DailyTrend(trend.days, {**self.trend.totals, **trend.totals})
        if self._rates_day != today:  # the rates of the last 28 complete days change once a day
            self._rates, self._rates_day = await rates(self.contract, today), today
        inputs = await forecast_inputs(self.contract, now, known_rates=self._rates)
        touched = {balance.holder for balance in read.balances}
        forecasts = {
            holder.holder: holder_forecast(holder, today, self.contract.timezone)
            for holder in inputs
            if holder.holder in touched
        }
        self.forecasts.update(forecasts)
        found = suggestions(inputs, now, self.contract.timezone) if self.contract.is_flex and suggest else ()
        if suggest:
            self._suggest_due = False
        changed = found != self.suggestions
        self.suggestions = found
        self.as_of = now
        self._schedule_sweep(read, today, full)
        self.stats.flushes += 1
        self.stats.holders += len(read.balances)
        self.stats.seconds += time.perf_counter() - started
        return LiveUpdate(full, read.balances, trend, now, forecasts, found if changed or full else None)

    async def _suggest(self, now: datetime) -> LiveUpdate | None:
        """The suggestions alone, when the first load left them for later: an update with no holder in it."""
        self._suggest_due = False
        inputs = await forecast_inputs(self.contract, now, known_rates=self._rates)
        found = suggestions(inputs, now, self.contract.timezone)
        if found == self.suggestions:
            return None
        self.suggestions = found
        return LiveUpdate(False, (), self.trend, self.as_of, {}, found)

    async def _publish(self, update: LiveUpdate) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(update)
                if result is not None:
                    await result
            except Exception:
                log.exception('a listener of contract %s failed', self.contract.id)

    def _schedule_sweep(self, read: ContractBalances, today: date, full: bool) -> None:
        """The next full recomputation: in a minute, or at the next lot expiry or midnight if sooner."""
        due = [read.next_expiry_at] if read.next_expiry_at else []
        if full:
            due += [
                read.as_of + timedelta(seconds=SWEEP),
                start_of_day(today + timedelta(days=1), self.contract.timezone),
            ]
        if not due:
            return
        candidate = time.monotonic() + max(0.0, (min(due) - read.as_of).total_seconds())
        self._next_sweep = candidate if full else min(self._next_sweep, candidate)


class LiveContracts:
    """The live models of this process, one per contract shown, shared by all the pages showing it."""

    def __init__(self) -> None:
        self.models: dict[int, LiveContract] = {}
        self.retired = Stats()  # the figures of the models already released
        self._loading: dict[int, asyncio.Future[LiveContract]] = {}
        self._context = contextvars.copy_context()

    def start(self) -> None:
        """Follow the ledger's changes (the app's start-up calls it, with the database of this run open)."""
        # the models belong to this run of the app, not to the page that first asked for one: they load and live in
        # the context (the database) of the run's start, whatever the context of that page's request
        self._context = contextvars.copy_context()
        bus.subscribe(self.on_change)

    async def acquire(self, contract_id: int) -> LiveContract:
        """The contract's live model, loaded by the first page that asks; release it when the page closes."""
        model = self.models.get(contract_id)
        if model is None:
            if contract_id not in self._loading:
                loop = asyncio.get_running_loop()
                self._loading[contract_id] = loop.create_task(self._load(contract_id), context=self._context.copy())
            try:
                model = await asyncio.shield(self._loading[contract_id])
            finally:
                if self._loading.get(contract_id) is not None and self._loading[contract_id].done():
                    self._loading.pop(contract_id, None)
        model.users += 1
        return model

    async def _load(self, contract_id: int) -> LiveContract:
        model = LiveContract(await get_contract(contract_id))
        await model.load()
        model.start()
        self.models[contract_id] = model
        return model

    async def release(self, contract_id: int) -> None:
        model = self.models.get(contract_id)
        if model is None:
            return
        model.users -= 1
        if model.users <= 0:
            del self.models[contract_id]
            await self._retire(model)

    def on_change(self, change: bus.Change) -> None:
        if change.contract_id == bus.EVERYTHING:
            for model in self.models.values():
                model.mark(None)
        elif changed := self.models.get(change.contract_id):
            changed.mark(change.holders)

    async def _retire(self, model: LiveContract) -> None:
        await model.stop()
        for name in ('changes', 'flushes', 'holders', 'seconds'):
            setattr(self.retired, name, getattr(self.retired, name) + getattr(model.stats, name))

    def totals(self) -> Stats:
        """The figures of every model of this process, retired or live."""
        total = Stats(**vars(self.retired))
        for model in self.models.values():
            for name in ('changes', 'flushes', 'holders', 'seconds'):
                setattr(total, name, getattr(total, name) + getattr(model.stats, name))
        return total

    async def close(self) -> None:
        bus.unsubscribe(self.on_change)
        # a model still loading for a page that has gone stops before the database closes, and is not handed to a
        # page of the next start
        loading = list(self._loading.values())
        self._loading.clear()
        for future in loading:
            future.cancel()
        await asyncio.gather(*loading, return_exceptions=True)
        for model in list(self.models.values()):
            await self._retire(model)
        self.models.clear()


registry = LiveContracts()
