"""Boards: what every page of one contract shows in one language, formatted once and sent once per change

For each (contract, language) shown in this process, one ``Board`` listens to the contract's live model
(``services.reading.live``), formats the holders a pass read, compares them with what the pages show, and sends only
the changed fields, in one message to the room of its pages (``ui.broadcast``). A board holds what the browser needs —
its ``BoardView`` — and the newest alert ids for the pages' bells, not copies of the model.

``Boards`` are this process's boards, owned by the app's run (``ui.runtime``): the first page of a contract loads
its board (one load per contract at a time, never one lock for all), the last one leaves it for ``LINGER`` seconds.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from services.accounts.contracts import ContractInfo
from services.alerts.history import latest_alert_ids
from services.infrastructure import bus
from services.infrastructure.signals import Signal
from services.reading.forecast import Suggestion, together
from services.reading.live import LiveContract, LiveContracts, LiveUpdate
from services.reading.state import HolderState
from ui import broadcast
from ui.cards import (
    SUGGESTIONS_SHOWN,
    BoardView,
    CardView,
    actions,
    card_changes,
    card_fields,
    card_key,
    format_card,
    new_view,
    suggestion_views,
    summary,
    together_text,
    trend_days,
    unit_of,
)
from ui.i18n import t, zone_label

log = logging.getLogger('balances.boards')
T = TypeVar('T')
SETTLE_WITHIN = 5.0  # seconds a stopping app gives the pages being read
LINGER = 30.0  # seconds a board is kept after its last page closed


class Board:
    """One contract in one language, for every page of this process that shows it."""

    def __init__(self, model: LiveContract, lang: str) -> None:
        if model.contract is None:
            raise RuntimeError('a board needs its contract loaded')
        self.model, self.lang = model, lang
        self.contract: ContractInfo = model.contract
        self.room = f'balances:{self.contract.id}:{lang}'
        self.view: BoardView = new_view(self.contract, lang)
        self.alert_ids: tuple[int, ...] = ()  # the newest alerts' ids, newest first (the pages' bells)
        self.alerts_changed: Signal[None] = Signal(f'alerts of contract {self.contract.id}')
        self.pages = 0
        self.sent = 0  # broadcasts
        self.rebuild()
        self._unsubscribe = model.updates.subscribe(self.on_update)

    @property
    def unit(self) -> str:
        return unit_of(self.contract)

    def card(self, state: HolderState) -> CardView:
        return format_card(state, lang=self.lang, unit=self.unit, title=state.balance.team_name or self.contract.name)

    def rebuild(self) -> None:
        """Format every card (a first load, a new day)."""
        states = self.model.ordered
        view = self.view
        view.cards = {card_key(state.team): self.card(state) for state in states}
        view.order = list(view.cards)
        view.actions = actions(self.contract.is_flex, len(states) > 1, self.lang)
        if self.model.today is not None:
            view.trend_days = trend_days(self.model.today, len(self.model.days), self.lang)
        self._suggestions(self.model.suggestions, self.model.as_of)
        self._header()

    def _suggestions(self, found: tuple[Suggestion, ...], now: datetime | None) -> None:
        """The suggestions shown, and what applying them all recovers (projected as applied one after the other)."""
        shown = found[:SUGGESTIONS_SHOWN]
        self.view.suggestions = suggestion_views(shown, self.lang)
        inputs = [state.input for state in self.model.ordered]
        both = together(inputs, shown, now, self.contract.timezone) if len(shown) > 1 and now else None
        self.view.suggestions_total = together_text(shown, both, self.lang)

    def _header(self) -> None:
        view, holders = self.view, self.model.holders
        alerting = [b.team_name or '' for b in holders if b.alert]
        if not alerting:
            view.alert = ''
        elif self.contract.is_flex:
            view.alert = t('Tokens expire within 90 days for: {teams}', view.lang, teams=', '.join(alerting))
        else:
            view.alert = t('Shared cloud credits expire within 90 days', view.lang)
        view.summary = summary(holders, self.contract, view.lang)
        if self.model.as_of is not None:
            view.updated = self.model.as_of.isoformat()
            view.zone = zone_label(self.model.as_of, ZoneInfo(view.timezone))

    async def on_update(self, update: LiveUpdate) -> None:
        view = self.view
        if update.full:
            self.rebuild()
            await self.send('balances_full', {'view': view})
            return
        message: dict[str, Any] = {}
        changes: dict[str, dict[str, Any]] = {}
        for state in update.holders:
            key = card_key(state.team)
            new = self.card(state)
            if key not in view.cards:  # a new team: in its place among the others
                view.cards[key] = new
                view.order = [card_key(s.team) for s in self.model.ordered]
                view.actions = actions(self.contract.is_flex, len(view.order) > 1, self.lang)
                message.update(order=view.order, actions=view.actions)
                changes[key] = card_fields(new)
            elif fields := card_changes(view.cards[key], new):
                changes[key] = fields
                view.cards[key] = new
        if update.suggestions is not None:
            self._suggestions(update.suggestions, update.as_of)
            message.update(suggestions=view.suggestions, suggestions_total=view.suggestions_total)
        alert, updated, before = view.alert, view.updated, view.summary
        if update.holders:
            self._header()
        if view.alert != alert:
            message['alert'] = view.alert
        if view.summary != before:
            message['summary'] = view.summary
        if changes or message or view.updated != updated:
            await self.send('balances', {**message, 'cards': changes, 'updated': view.updated, 'zone': view.zone})

    async def on_alerts(self) -> None:
        """The contract's alert history grew: read its newest ids once for every page."""
        self.alert_ids = await latest_alert_ids(self.contract.id)
        await self.alerts_changed.send(None)

    async def send(self, event: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await broadcast.send(self.room, event, {**message, 'room': self.room})

    def close(self) -> None:
        self._unsubscribe()


class Boards:
    """The boards of this process, attached by the pages that show them."""

    def __init__(self, live: LiveContracts, *, linger: float = LINGER) -> None:
        self.live, self.linger = live, linger
        self.boards: dict[tuple[int, str], Board] = {}
        self.sent = 0  # broadcasts of the boards already let go
        self.pages: set[asyncio.Task[Any]] = set()  # pages reading their board now: the app lets them finish
        self.closing = False
        self._loading: dict[tuple[int, str], asyncio.Task[Board]] = {}
        self._unsubscribe = bus.alerts_changed.subscribe(self.on_alerts)

    def loads(self) -> bool:
        """Whether the current page may read its board now (not while the app stops); a page that may is waited for
        when the app stops."""
        task = asyncio.current_task()
        if task is not None and not self.closing:
            self.pages.add(task)
            task.add_done_callback(self.pages.discard)
        return not self.closing

    async def close(self) -> None:
        """No page reads its board any more, and those being read finish before the database closes."""
        self.closing = True
        self._unsubscribe()
        if self.pages:
            await asyncio.wait(list(self.pages), timeout=SETTLE_WITHIN)
        for task in self._loading.values():
            task.cancel()
        for board in self.boards.values():
            board.close()

    def broadcasts(self) -> int:
        return self.sent + sum(board.sent for board in self.boards.values())

    def get(self, contract_id: int, lang: str) -> Board | None:
        """The board, if this process has it (a page of it is then built without reading the database)."""
        return self.boards.get((contract_id, lang))

    async def attach(self, contract_id: int, lang: str) -> Board:
        """The board of a contract in a language, loaded by the first page that asks; ``detach`` it when the page
        closes. Raises ``UnknownContract`` for a contract that does not exist."""
        key = contract_id, lang
        board = self.boards.get(key)
        if board is None:
            loading = self._loading.get(key)
            if loading is None:
                loading = self._loading[key] = asyncio.create_task(self._load(contract_id, lang), name='board')
                loading.add_done_callback(lambda _: self._loading.pop(key, None))
            board = await asyncio.shield(loading)
        board.pages += 1
        return board

    async def _load(self, contract_id: int, lang: str) -> Board:
        model = await self.live.acquire(contract_id)
        try:
            board = Board(model, lang)
            board.alert_ids = await latest_alert_ids(contract_id)
        except BaseException:
            self.live.release(contract_id)
            raise
        self.boards[contract_id, lang] = board
        return board

    def detach(self, board: Board) -> None:
        """A page of ``board`` closed; the last one leaves the board for ``linger`` seconds (a reload, or the same
        administrator signing in again, finds it), then it is let go."""
        board.pages -= 1
        if board.pages <= 0:
            # in a context of its own: the caller's (a sign-in's request, its session, its scope) is not kept with it
            asyncio.get_running_loop().call_later(self.linger, self._let_go, board, context=contextvars.Context())

    def _let_go(self, board: Board) -> None:
        key = board.contract.id, board.lang
        if board.pages <= 0 and self.boards.get(key) is board:
            del self.boards[key]
            self.sent += board.sent
            board.close()
            self.live.release(board.contract.id)

    async def warm(self, contract: ContractInfo, lang: str) -> None:
        """Load a contract's board ahead of its first page: at sign-in, while the browser is being sent to it. Kept
        for ``linger`` seconds, as after a last page; a failure here is logged, and the page will try again."""
        if self.get(contract.id, lang) is not None or self.closing:
            return
        try:
            board = await self.attach(contract.id, lang)
        except Exception:
            log.exception('the board of contract %s could not be loaded ahead of its page', contract.id)
            return
        self.detach(board)

    async def ready(self, contract_id: int, lang: str, within: float) -> Board | None:
        """The board, waiting up to ``within`` seconds for it if it is being loaded (a page built then carries its
        cards in its HTML, where a page that waits for its socket gets them, and the scripts that draw them, after)."""
        loading = self._loading.get((contract_id, lang))
        if loading is not None:
            await asyncio.wait({loading}, timeout=within)
        return self.get(contract_id, lang)

    async def on_alerts(self, contract_id: int) -> None:
        """An alert was recorded (here or, through PostgreSQL, elsewhere): the boards of that contract read again."""
        for (shown, _), board in list(self.boards.items()):
            if contract_id in (shown, bus.EVERYTHING):
                await board.on_alerts()


class SharedReads:
    """Reads that many pages would repeat after the same change, done once: keyed by what they read and by the
    pass count of the live models, so a new change makes a new key. Single-flight, and only the latest few kept."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.results: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        future = self.results.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = self.results[key] = asyncio.ensure_future(read())
            while len(self.results) > self.size:
                del self.results[next(iter(self.results))]
        return await asyncio.shield(future)
