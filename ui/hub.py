"""Boards shared by every page of a contract, and their patches broadcast once per change

For each (contract, language) shown in this process, one ``SharedBoard`` listens to the contract's live model
(``services.reading.live``), formats the holders a flush recomputed, diffs them with what the pages show, and sends only
the changed numbers and chart points, in one socket.io message to the room of that board: encoded once, however
many pages are in the room. A page's board joins the room from the browser when its socket connects (and again
after every reconnection); the server checks that the socket belongs to the page, picks the room from the board it
built, and sends the whole current view to that socket first, so that a page never misses a change.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nicegui import Client, core

from services.accounts.contracts import ContractInfo
from services.reading import live
from services.reading.live import LiveContract, LiveUpdate
from ui.board import BalanceBoard, BoardView, card_changes, card_key, format_card, new_view, trend_days
from ui.i18n import moment, t

log = logging.getLogger('balances.hub')
T = TypeVar('T')


@dataclass
class SharedBoard:
    contract: ContractInfo
    model: LiveContract
    view: BoardView
    pages: int = 0
    sent: int = 0  # broadcasts
    room: str = ''
    _pending: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return 'flex' if self.contract.is_flex else 'cloud'

    def rebuild(self) -> None:
        """Format every card (first load, a new day, a new team)."""
        model, view = self.model, self.view
        cards = {}
        for balance in model.holders:
            title = balance.team_name or self.contract.name
            cards[card_key(balance.team)] = format_card(
                balance, model.trend.of(balance.team), lang=view.lang, unit=self.unit, title=title
            )
        view.cards.clear()
        view.cards.update(cards)
        view.order[:] = list(cards)
        view.trend_days[:] = trend_days(model.trend.days, view.lang)
        self._header()

    def _header(self) -> None:
        view, holders = self.view, self.model.holders
        alerting = [b.team_name or '' for b in holders if b.alert]
        if not alerting:
            view.alert = ''
        elif self.contract.is_flex:
            view.alert = t('alert', view.lang, teams=', '.join(alerting))
        else:
            view.alert = t('alert_cloud', view.lang)
        view.updated = t('updated', view.lang, time=moment(self.model.as_of, view.lang, self.contract.timezone))
        view.version += 1

    async def on_update(self, update: LiveUpdate) -> None:
        view = self.view
        known = set(view.cards)
        if update.full or any(card_key(b.team) not in known for b in update.balances):
            self.rebuild()
            await self.broadcast('balances_full', {'view': view})
            return
        changes: dict[str, Any] = {}
        for balance in update.balances:
            key = card_key(balance.team)
            title = balance.team_name or self.contract.name
            trend = self.model.trend.of(balance.team)
            new = format_card(balance, trend, lang=view.lang, unit=self.unit, title=title)
            if fields := card_changes(view.cards[key], new):
                changes[key] = fields
                view.cards[key] = new
        alert, updated = view.alert, view.updated
        self._header()
        message: dict[str, Any] = {'version': view.version, 'cards': changes, 'updated': view.updated}
        if view.alert != alert:
            message['alert'] = view.alert
        if changes or view.updated != updated:
            await self.broadcast('balances', message)

    async def broadcast(self, event: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await core.sio.emit(event, {**message, 'room': self.room}, room=self.room)


class BoardHub:
    """The shared boards of this process, attached by the pages that show them."""

    def __init__(self) -> None:
        self.boards: dict[tuple[int, str], SharedBoard] = {}
        self.sent = 0  # broadcasts of the boards already detached
        self._lock = asyncio.Lock()

    def reset(self) -> None:
        """Start empty, with a lock of the running event loop (the tests run the app once per loop)."""
        self.boards.clear()
        self._lock = asyncio.Lock()

    def broadcasts(self) -> int:
        return self.sent + sum(shared.sent for shared in self.boards.values())

    def is_warm(self, contract_id: int, lang: str) -> bool:
        """Whether a page of this contract and language would be built without reading the database."""
        return (contract_id, lang) in self.boards

    async def attach(self, contract: ContractInfo, lang: str) -> SharedBoard:
        async with self._lock:
            shared = self.boards.get((contract.id, lang))
            if shared is None:
                model = await live.registry.acquire(contract.id)
                teams = sum(1 for b in model.holders if b.team is not None)
                shared = SharedBoard(contract, model, new_view(contract, lang, teams))
                shared.room = f'balances:{contract.id}:{lang}'
                shared.rebuild()
                model.listen(shared.on_update)
                self.boards[contract.id, lang] = shared
            shared.pages += 1
            return shared

    async def detach(self, shared: SharedBoard) -> None:
        async with self._lock:
            shared.pages -= 1
            if shared.pages <= 0 and self.boards.get((shared.contract.id, shared.view.lang)) is shared:
                del self.boards[shared.contract.id, shared.view.lang]
                self.sent += shared.sent
                shared.model.unlisten(shared.on_update)
                await live.registry.release(shared.contract.id)


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
