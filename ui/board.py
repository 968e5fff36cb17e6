"""The board: the summary and every holder's card of one contract, as one element drawn in the browser (``board.js``)

A page of 50 cards built from NiceGUI elements held ~1,500 elements in server memory (about 4 KB each) and sent
each of them again on every change. The board is one element whose ``view`` is shared by every page of the
contract in the same language: built once, formatted once, referenced (never copied) by each page, patched in
place, and broadcast once per change to all of those pages (``ui.hub``). What is the page's own — which cards show
their usage details — is a small prop of its own.
"""

import functools
import re
from collections.abc import Awaitable, Callable

from nicegui import __version__, dependencies
from nicegui.element import Element
from nicegui.events import GenericEventArguments

from ui.cards import BoardView, Card, card_key

Action = Callable[[str, int | None], Awaitable[None]]
ACTIONS = ('history', 'assign', 'details')


class BalanceBoard(Element, component='board.js'):
    """The cards of one contract; ``on_action`` receives ``(kind, team)`` for a card's buttons."""

    def __init__(self, view: BoardView, room: str, on_action: Action) -> None:
        super().__init__()
        self.view, self.room = view, room
        self._props['view'] = view
        self._props['board'] = self.id
        self._props['room'] = room
        self._props['open'] = []

        async def act(event: GenericEventArguments) -> None:
            key = str(event.args.get('key', ''))
            card = view.cards.get(key)
            if card is not None and event.args.get('kind') in ACTIONS:
                await on_action(event.args['kind'], card['team'])

        self.on('action', act)

    def card(self, team: int | None) -> Card:
        """One card as the browser shows it (for tests and dialogs)."""
        return self.view.cards[card_key(team)]

    def set_open(self, team: int | None, is_open: bool) -> None:
        """Say on a card's button whether its usage details are open ("Hide usage details")."""
        keys = [key for key in self._props['open'] if key != card_key(team)]
        self._props['open'] = [*keys, card_key(team)] if is_open else keys
        self.update()


@functools.cache
def scripts() -> tuple[str, ...]:
    """The paths of the scripts a board loads that the sign-in page does not: its component, and the ECharts module
    it imports with the chunk that module imports. The sign-in page fetches them ahead into the browser's cache,
    while the person types: a first sign-in otherwise downloads them one after the other (1.1 MB, ~300 ms)."""
    base = f'/_nicegui/{__version__}'
    component = BalanceBoard.component
    paths = [f'{base}/components/{component.key}'] if component else []
    for key, module in dependencies.esm_modules.items():
        if module.name == 'nicegui-echart':  # what board.js imports
            chunks = re.findall(r'from"\./([\w.-]+\.js)"', (module.path / 'index.js').read_text(encoding='utf-8'))
            paths += [f'{base}/esm/{key}/{name}' for name in ('index.js', *chunks)]
    return tuple(paths)
