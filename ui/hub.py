"""Boards shared by every page of a contract, and their patches broadcast once per change

For each (contract, language) shown in this process, one ``SharedBoard`` listens to the contract's live model
(``services.reading.live``), formats the holders a flush recomputed, diffs them with what the pages show, and sends only
the changed numbers and chart points, in one socket.io message to the room of that board: encoded once, queued on
each page's socket ``CHUNK`` sockets at a time, so that the loop answers requests between them. A page's board joins
its room from the browser when its socket connects (and again after every reconnection); the server checks that the
socket belongs to the page, picks the room from the board it built, and queues the whole current view on that socket
first — on the queue the broadcasts use after it, so that a page never misses a change nor sees one undone.

The board also carries what the pages around it need: the transfer suggestions (a list its page renders) and the
newest alerts (the bell), both read once per change for every page of the contract.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import engineio.packet
import socketio.packet
from nicegui import Client, background_tasks, core

from services.accounts.contracts import ContractInfo
from services.alerts.history import AlertInfo, latest_alerts
from services.domain.dates import local_date
from services.infrastructure import bus
from services.reading import live
from services.reading.forecast import Suggestion
from services.reading.live import LiveContract, LiveUpdate
from ui.board import BalanceBoard
from ui.cards import BoardView, card_changes, card_key, format_card, new_view, summary, trend_days, unit_of
from ui.i18n import t

log = logging.getLogger('balances.hub')
T = TypeVar('T')
Listener = Callable[[], Awaitable[None] | None]
SETTLE_WITHIN = 5.0  # seconds a stopping app gives the pages being read
LINGER = 30.0  # seconds a board is kept after its last page closed
CHUNK = 5  # the sockets a broadcast queues its message on between two yields to the event loop (their writes follow)


@dataclass
class SharedBoard:
    contract: ContractInfo
    model: LiveContract
    view: BoardView
    pages: int = 0
    emptied: int = 0  # how many times its last page closed: a later close restarts the linger
    sent: int = 0  # broadcasts
    room: str = ''
    suggestions: tuple[Suggestion, ...] = ()
    alerts: tuple[AlertInfo, ...] = ()
    _listeners: dict[str, list[Listener]] = field(default_factory=lambda: {'suggestions': [], 'alerts': []})

    @property
    def unit(self) -> str:
        return unit_of(self.contract)

    def listen(self, what: str, listener: Listener) -> None:
        """Call ``listener`` when the suggestions or the alerts change (the page's panels)."""
        self._listeners[what].append(listener)

    def unlisten(self, what: str, listener: Listener) -> None:
        if listener in self._listeners[what]:
            self._listeners[what].remove(listener)

    async def _tell(self, what: str) -> None:
        for listener in list(self._listeners[what]):
            try:
                result = listener()
                if result is not None:
                    await result
            except Exception:
                log.exception('a %s listener of contract %s failed', what, self.contract.id)

    def _card(self, holder: int) -> dict[str, Any]:
        model, view = self.model, self.view
        balance = model.balances[holder]
        return format_card(
            balance,
            model.trend.of(balance.team),
            model.forecasts.get(holder),
            lang=view.lang,
            unit=self.unit,
            title=balance.team_name or self.contract.name,
            today=local_date(model.as_of, self.contract.timezone),
        )

    def rebuild(self) -> None:
        """Format every card (first load, a new day, a new team)."""
        cards = {card_key(balance.team): self._card(balance.holder) for balance in self.model.holders}
        view = self.view
        view.cards.clear()
        view.cards.update(cards)
        view.order[:] = list(cards)
        view.trend_days[:] = trend_days(self.model.trend.days, view.lang)
        self.suggestions = self.model.suggestions
        self._header()

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
        view.updated = self.model.as_of.isoformat()
        view.version += 1

    async def on_update(self, update: LiveUpdate) -> None:
        view = self.view
        known = set(view.cards)
        if update.full or any(card_key(b.team) not in known for b in update.balances):
            self.rebuild()
            await self.broadcast('balances_full', {'view': view})
        else:
            changes: dict[str, Any] = {}
            for balance in update.balances:
                key = card_key(balance.team)
                new = self._card(balance.holder)
                if fields := card_changes(view.cards[key], new):
                    changes[key] = fields
                    view.cards[key] = new
            alert, updated, before = view.alert, view.updated, view.summary
            self._header()
            message: dict[str, Any] = {'version': view.version, 'cards': changes, 'updated': view.updated}
            if view.alert != alert:
                message['alert'] = view.alert
            if view.summary != before:
                message['summary'] = view.summary
            if changes or view.updated != updated:
                await self.broadcast('balances', message)
        if update.suggestions is not None and update.suggestions != self.suggestions:
            self.suggestions = update.suggestions
            await self._tell('suggestions')

    async def on_alerts(self) -> None:
        """The contract's alert history grew: read its newest alerts once for every page."""
        self.alerts = await latest_alerts(self.contract.id)
        await self._tell('alerts')

    async def broadcast(self, event: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every page of the board: encoded once and queued on each page's socket as socket.io's
        own emit to a room does, but without its task per socket, and yielding to the event loop every ``CHUNK``
        sockets so that the requests arriving meanwhile are answered between them."""
        self.sent += 1
        packets = encoded(event, {**message, 'room': self.room})
        for n, (_, socket) in enumerate(core.sio.manager.get_participants('/', self.room), 1):
            for packet in packets:
                await core.sio.eio.send_packet(socket, packet)
            if n % CHUNK == 0:
                await asyncio.sleep(0)


class BoardHub:
    """The shared boards of this process, attached by the pages that show them."""

    def __init__(self) -> None:
        self.boards: dict[tuple[int, str], SharedBoard] = {}
        self.sent = 0  # broadcasts of the boards already detached
        self.loading: set[asyncio.Task[Any]] = set()  # pages reading their board now: the app lets them finish
        self.closing = False  # the app is stopping: no page reads its board any more
        self.run = 0  # which start of the app this is (the tests start it again and again in one process)
        self.warming: dict[tuple[int, str], asyncio.Task[Any]] = {}  # boards loaded ahead of their first page
        self._lock = asyncio.Lock()

    def reset(self) -> None:
        """Start empty, with a lock of the running event loop (the tests run the app once per loop)."""
        self.boards.clear()
        self.warming.clear()
        self.closing = False
        self.run += 1
        self._lock = asyncio.Lock()

    def loads(self, run: int) -> bool:
        """Whether the current page, built during ``run``, may read its board now: not while the app stops, nor in
        a later run of the app than its own. A page that may is waited for when the app stops."""
        task = asyncio.current_task()
        if task is not None:
            self.loading.add(task)
            task.add_done_callback(self.loading.discard)
        return not self.closing and run == self.run

    async def settle(self) -> None:
        """No page reads its board any more, and those being read finish before the database closes."""
        self.closing = True
        if self.loading:
            await asyncio.wait(list(self.loading), timeout=SETTLE_WITHIN)

    def broadcasts(self) -> int:
        return self.sent + sum(shared.sent for shared in self.boards.values())

    def is_warm(self, contract_id: int, lang: str) -> bool:
        """Whether a page of this contract and language would be built without reading the database."""
        return (contract_id, lang) in self.boards

    async def warm(self, contract: ContractInfo, lang: str) -> None:
        """Load a contract's board ahead of its first page: at sign-in, while the browser is being sent to it (the
        model's first load, ~150 ms for 50 teams, then overlaps the redirect and the page's scripts). Kept for
        ``LINGER`` seconds, as after a last page; a failure here is logged, and the page will try again."""
        key = contract.id, lang
        task = asyncio.current_task()
        if self.is_warm(*key) or key in self.warming or task is None or not self.loads(self.run):
            return
        self.warming[key] = task
        try:
            shared = await self.attach(contract, lang)
        except Exception:
            log.exception('the board of contract %s could not be loaded ahead of its page', contract.id)
            return
        finally:
            del self.warming[key]
        background_tasks.create(self.detach(shared), name='detach board')

    async def ready(self, contract_id: int, lang: str, within: float) -> bool:
        """Whether a page of this contract would be built without reading the database, after waiting up to
        ``within`` seconds for its board if it is being loaded ahead (a page built then carries its cards in its
        HTML, where a page that waits for its socket gets them, and the scripts that draw them, only after)."""
        task = self.warming.get((contract_id, lang))
        if task is not None:
            await asyncio.wait({task}, timeout=within)
        return self.is_warm(contract_id, lang)

    async def attach(self, contract: ContractInfo, lang: str) -> SharedBoard:
        async with self._lock:
            shared = self.boards.get((contract.id, lang))
            if shared is None:
                model = await live.registry.acquire(contract.id)
                teams = sum(1 for b in model.holders if b.team is not None)
                shared = SharedBoard(contract, model, new_view(contract, lang, teams))
                shared.room = f'balances:{contract.id}:{lang}'
                shared.rebuild()
                shared.alerts = await latest_alerts(contract.id)
                model.listen(shared.on_update)
                self.boards[contract.id, lang] = shared
            shared.pages += 1
            return shared

    async def detach(self, shared: SharedBoard) -> None:
        """A page of ``shared`` closed; the last one leaves the board kept for ``LINGER`` seconds (a reload, or the
        same administrator signing in again, finds it warm), then it is let go."""
        async with self._lock:
            shared.pages -= 1
            if shared.pages > 0:
                return
            shared.emptied += 1
            emptied = shared.emptied
        await asyncio.sleep(LINGER)
        async with self._lock:
            key = shared.contract.id, shared.view.lang
            if shared.pages <= 0 and shared.emptied == emptied and self.boards.get(key) is shared:
                del self.boards[key]
                self.sent += shared.sent
                shared.model.unlisten(shared.on_update)
                await live.registry.release(shared.contract.id)

    async def on_alerts(self, contract_id: int) -> None:
        """An alert was recorded (here or, through PostgreSQL, elsewhere): the boards of that contract re-read."""
        for (shown, _), shared in list(self.boards.items()):
            if contract_id in (shown, bus.EVERYTHING):
                await shared.on_alerts()


hub = BoardHub()


class SharedReads:
    """Reads that many pages would repeat after the same change, done once: keyed by what they read and by the
    flush count of the live model, so a new change makes a new key. Single-flight, and only the latest few kept."""

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


shared_reads = SharedReads()


def encoded(event: str, data: Any) -> list[engineio.packet.Packet]:
    """A socket.io event as the engine.io packets that carry it, encoded once for every socket it is sent to."""
    packet = core.sio.packet_class(socketio.packet.EVENT, namespace='/', data=[event, data]).encode()
    return [
        engineio.packet.Packet(engineio.packet.MESSAGE, part)
        for part in (packet if isinstance(packet, list) else [packet])
    ]


async def join(sid: str, data: Any) -> None:
    """A board asks, from the browser, to receive its contract's changes on this socket."""
    if not isinstance(data, dict):
        return
    client = Client.instances.get(str(data.get('client_id')))
    if client is None or client.id not in core.sio.rooms(sid):
        return  # not this socket's page
    board = client.elements.get(data.get('board'))  # type: ignore[arg-type]
    if not isinstance(board, BalanceBoard):
        return
    await core.sio.enter_room(sid, board.room)
    await core.sio.emit('balances_full', {'room': board.room, 'view': board.view}, to=sid)


def install() -> None:
    core.sio.on('balances_join', join)
    bus.unsubscribe_alerts(hub.on_alerts)  # once, however many times the app starts in one process (the tests)
    bus.subscribe_alerts(hub.on_alerts)
