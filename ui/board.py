"""The board: a contract's heading, summary, cards and suggestions, as one element drawn in the browser (``board.js``)

A page built from NiceGUI elements holds each of them in server memory (about 3 KB each) and sends each again on
every change. The board is one element whose ``view`` is shared by every page of the contract in the same language
(``ui.boards``): built once, formatted once, referenced (never copied) by each page, patched in place, and sent once
per change to all of those pages. What is the page's own — which cards show their usage details — is a small prop of
its own. The browser code joins the board's room when its socket connects (``join``), and again after every
reconnection; the server checks that the socket is the page's, and sends the whole current view on it first.
"""

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import Client, __version__, dependencies
from nicegui.element import Element
from nicegui.events import GenericEventArguments

from ui import broadcast
from ui.cards import BoardView, CardView, card_key

Action = Callable[[str, int | None], Awaitable[None]]
Download = Callable[[str], Awaitable[None]]
Review = Callable[[int, int], Awaitable[None]]
ACTIONS = ('history', 'assign', 'details', 'controls')
FORMATS = ('csv', 'csv_locale', 'xlsx')
CONTRACT_DETAILS = 'contract-details'  # the key of the contract's own usage details among the open ones
CONTRACT_ACTIONS = (CONTRACT_DETAILS, 'contract-controls', 'refusals')  # the contract's buttons, under its cards


class BalanceBoard(Element, component='board.js'):
    """The board of one contract; ``on_action`` receives ``(kind, team)`` for a card's buttons (``contract-details``
    with no team for the contract's usage details), ``on_download`` a format, ``on_review`` a suggestion's teams."""

    def __init__(
        self, view: BoardView, room: str, *, on_action: Action, on_download: Download, on_review: Review
    ) -> None:
        super().__init__()
        self.view, self.room = view, room
        self._props['view'] = view
        self._props['board'] = self.id
        self._props['room'] = room
        self._props['open'] = []

        async def act(event: GenericEventArguments) -> None:
            kind = event.args.get('kind')
            if kind in CONTRACT_ACTIONS:
                await on_action(kind, None)
                return
            card = view.cards.get(str(event.args.get('key', '')))
            if card is not None and kind in ACTIONS:
                await on_action(kind, card.team)

        async def download(event: GenericEventArguments) -> None:
            if event.args in FORMATS:
                await on_download(str(event.args))

        async def review(event: GenericEventArguments) -> None:
            args = event.args if isinstance(event.args, dict) else {}
            source, target = args.get('from_team'), args.get('to_team')
            if isinstance(source, int) and isinstance(target, int):
                await on_review(source, target)

        self.on('action', act)
        self.on('download', download)
        self.on('review', review)

    def card(self, team: int | None) -> CardView:
        """One card as the browser shows it (for tests and dialogs)."""
        return self.view.cards[card_key(team)]

    def set_open(self, key: str, is_open: bool) -> None:
        """Say on a button whether its usage details are open ("Hide usage details")."""
        keys = [k for k in self._props['open'] if k != key]
        self._props['open'] = [*keys, key] if is_open else keys
        self.update()


async def join(sid: str, data: Any) -> None:
    """A board asks, from the browser, to receive its contract's changes on this socket."""
    if not isinstance(data, dict):
        return
    client = Client.instances.get(str(data.get('client_id')))
    if client is None or not broadcast.owns(sid, client.id):
        return  # not this socket's page
    board = client.elements.get(data.get('board'))  # type: ignore[arg-type]
    if not isinstance(board, BalanceBoard):
        return
    await broadcast.enter(sid, board.room)
    await broadcast.send_to(sid, 'balances_full', {'room': board.room, 'view': board.view})


def install() -> None:
    broadcast.on('balances_join', join)


@functools.cache
def scripts() -> tuple[str, ...]:
    """The paths of the scripts a board loads that the sign-in page does not: its component, and the ECharts module
    it imports with the chunk that module imports. The sign-in page fetches them ahead into the browser's cache,
    while the person types: a first sign-in otherwise downloads them one after the other (about a megabyte)."""
    base = f'/_nicegui/{__version__}'
    component = BalanceBoard.component
    paths = [f'{base}/components/{component.key}'] if component else []
    for key, module in dependencies.esm_modules.items():
        if module.name == 'nicegui-echart':  # what board.js imports
            chunks = re.findall(r'from"\./([\w.-]+\.js)"', (module.path / 'index.js').read_text(encoding='utf-8'))
            paths += [f'{base}/esm/{key}/{name}' for name in ('index.js', *chunks)]
    return tuple(paths)
