"""The header every page shares, as one element drawn in the browser (``app_header.js``)

The product's name, the language, who is signed in and the way out; on the balances page the contract switch and
the alerts bell too. One element instead of a dozen: a page of the header and the board holds a handful of elements
in server memory, whatever it shows.
"""

from collections.abc import Awaitable, Callable

from nicegui import context
from nicegui.element import Element
from nicegui.events import GenericEventArguments

from ui.i18n import LANGUAGES, t

Choice = Callable[[object], Awaitable[None] | None]
Click = Callable[[], Awaitable[None] | None]


class AppHeader(Element, component='app_header.js'):
    """The page's header (a Quasar header of the page's layout, fixed at the top)."""

    def __init__(self, lang: str, *, email: str | None, on_language: Choice) -> None:
        with context.client.layout:
            super().__init__()
        layout = self.client.layout
        view = str(layout.props['view'])
        layout.props['view'] = view[0] + 'H' + view[2:]
        self.move(target_index=0)  # first in the document, as NiceGUI places its own header
        self._props.update(
            title=t('Balances', lang),
            lang=lang,
            languages=[{'value': code, 'label': name} for code, name in LANGUAGES.items()],
            **{'lang-label': t('Language', lang), 'email': email, 'sign-out': t('Sign out', lang)},
        )
        self._handlers: dict[str, Choice] = {'language': on_language}
        for event in ('language', 'contract', 'bell'):
            self.on(event, lambda e, kind=event: self._handle(kind, e))

    async def _handle(self, kind: str, event: GenericEventArguments) -> None:
        handler = self._handlers.get(kind)
        result = handler(event.args) if handler is not None else None
        if result is not None:
            await result

    def contracts(self, options: list[dict[str, object]], value: int, label: str, on_change: Choice) -> None:
        """Show the contract switch: the options (value and label; a disabled one is a heading), the one chosen."""
        self._props.update(contracts=options, contract=value)
        self._props['contract-label'] = label
        self._handlers['contract'] = on_change
        self.update()

    def bell(self, count: str, label: str, on_click: Click | None = None) -> None:
        """Show the alerts bell: its unread count (empty: none) and its name for assistive technologies."""
        self._props['bell'] = {'count': count, 'label': label}
        if on_click is not None:
            self._handlers['bell'] = lambda _: on_click()
        self.update()
