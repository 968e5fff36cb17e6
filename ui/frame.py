"""The frame every page shares: title, language switch and, signed in, who is signed in and the way out

Pages build their content inside it (NiceGUI's ``modularization`` example): ``with frame(lang) as page:`` gives
the place in the header for the page's own controls (``page.controls``) and the body (``page.body``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, ui
from nicegui.events import ValueChangeEventArguments

from ui.i18n import LANGUAGES, t


def language() -> str:
    """The language this browser chose (English until it chooses; kept across sign-in in the session cookie)."""
    return str(app.storage.user.get('lang') or app.storage.browser.get('lang') or 'en')


def switch_language(event: ValueChangeEventArguments) -> None:
    app.storage.user['lang'] = event.value
    ui.navigate.reload()


@dataclass
class Frame:
    controls: ui.row
    body: ui.column


@contextmanager
def frame(lang: str, *, signed_in_as: str | None = None) -> Iterator[Frame]:
    ui.page_title(t('balances', lang))
    ui.query('body').classes('bg-grey-2')
    with ui.header().classes('items-center gap-3 bg-white text-black shadow-sm'):
        ui.label(t('balances', lang)).classes('text-h6')
        controls = ui.row().classes('items-center gap-3')
        ui.space()
        ui.toggle(LANGUAGES, value=lang, on_change=switch_language).props('dense no-caps').mark('lang')
        if signed_in_as is not None:
            ui.label(signed_in_as).classes('text-caption gt-xs')
            ui.button(icon='logout', on_click=lambda: ui.navigate.to('/logout')).props('flat round dense').tooltip(
                t('sign_out', lang)
            )
    with ui.column().classes('w-full max-w-screen-xl mx-auto gap-4 p-2') as body:
        yield Frame(controls, body)
