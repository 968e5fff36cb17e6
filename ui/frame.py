"""The frame every page shares: the header (the product's name, the language switch and, signed in, who is signed in
and the way out), over a body with the page's heading

Pages build their content inside it (NiceGUI's ``modularization`` example): ``with frame(lang) as page:`` gives the
header (``page.header``: the balances page adds its contract switch and bell to it) and the body (``page.body``). The
document takes the visitor's language (``<html lang>``, Quasar's language pack).
"""

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from nicegui import Client, app, background_tasks, ui
from nicegui.element import Element

from services.accounts import admins
from ui.header import AppHeader
from ui.i18n import language_of, t, use_language

E = TypeVar('E', bound=Element)

# a focus ring that everyone sees (WCAG 2.4.7), and text that keeps its contrast on the grey page
STYLE = """
:focus-visible { outline: 3px solid #0d47a1 !important; outline-offset: 2px; }
.q-btn:focus-visible, .q-toggle__inner:focus-visible { box-shadow: 0 0 0 3px #0d47a1; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
           clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
body { color: #1f1f1f; background-color: #eeeeee; }
.text-grey-7, .text-grey-8 { color: #4a4a4a !important; }
.q-dialog__inner > .q-card { position: relative; z-index: 1; }  /* over the backdrop, for contrast checkers too */
.q-date__calendar-weekdays > div { opacity: 1; color: #595959; }
.q-date__calendar-item--out { opacity: 1; }
.q-date__calendar-item--out > div { color: #6b6b6b; text-decoration: line-through; }  /* days after today */
.q-table__grid-item-card { border: 1px solid #c4c4c4; border-radius: 4px; }  /* a table's row, stacked on a phone */
.q-table__grid-item-title { color: #4a4a4a; }
"""


def language() -> str:
    """The language this browser chose (English until it chooses; kept across sign-in in the session)."""
    return language_of(app.storage.user.get('lang') or app.storage.browser.get('lang') or 'en')


async def _remember(admin_id: int | None, lang: str) -> None:
    if admin_id is not None:
        await admins.set_language(admin_id, lang)


# while a dialog is open, the page behind it is inert: out of reach of the keyboard and of assistive technologies
# (Quasar marks the dialog modal, but leaves the page behind it focusable)
INERT_BEHIND_DIALOGS = """<script>
new MutationObserver(() => {
  const app = document.getElementById('app');
  if (app) app.inert = document.documentElement.classList.contains('nicegui-dialog-open');
}).observe(document.documentElement, {attributes: true, attributeFilter: ['class']});
</script>"""


def testable(element: E, marker: str) -> E:
    """Mark an element for the simulated user's tests and, as ``data-marker``, for the real browser's."""
    element.mark(marker)
    element.props['data-marker'] = marker
    return element


def stacked_on_phone(table: ui.table) -> ui.table:
    """At phone width (under 600 px), each row a card of its fields, one under the other, with their labels: no
    column hidden behind sideways scrolling."""
    table.props[':grid'] = "window.matchMedia('(max-width: 599.98px)').matches"
    return table


def dialog(title: str) -> ui.dialog:
    """A dialog named after its title, for assistive technologies."""
    return labelled(ui.dialog(), title)


def heading(text: str, level: int = 2, classes: str = 'text-h6 q-my-none') -> ui.html:
    """A heading of the page's outline (``<h1>``…``<h3>``), focusable by script (``tabindex=-1``)."""
    return ui.html(html.escape(text), tag=f'h{level}').classes(classes).props('tabindex=-1')


def labelled(element: E, text: str) -> E:
    """Name an element for assistive technologies (``aria-label``), whatever characters the name holds."""
    element.props['aria-label'] = text
    return element


@dataclass
class Frame:
    header: AppHeader
    body: ui.column
    lang: str


def install() -> None:
    """What every page shares, sent with each page rather than held by each: the colours, the style, the script that
    makes the page behind a dialog inert (once, however many times the app starts in one process)."""
    # colours that keep 4.5:1 against white and the grey page (NiceGUI's default primary, #5898d4, has 2.8:1)
    app.colors(primary='#1565c0', positive='#2e7d32', negative='#c62828', warning='#8d4e00')
    if STYLE not in Client.shared_head_html:
        ui.add_css(STYLE, shared=True)
    if INERT_BEHIND_DIALOGS not in Client.shared_body_html:
        ui.add_body_html(INERT_BEHIND_DIALOGS, shared=True)


@contextmanager
def frame(lang: str, *, signed_in_as: str | None = None, admin_id: int | None = None) -> Iterator[Frame]:
    use_language(lang)
    ui.page_title(t('Balances', lang))

    def switch_language(value: object) -> None:
        chosen = language_of(str(value))
        app.storage.user['lang'] = chosen
        if admin_id is None:  # chosen before signing in: it wins over the one the administrator chose last time
            app.storage.user['lang_chosen'] = True
        background_tasks.create(_remember(admin_id, chosen), name='remember the language')
        ui.navigate.reload()

    header = AppHeader(lang, email=signed_in_as, on_language=switch_language)
    with ui.column().classes('w-full max-w-screen-xl mx-auto gap-4 p-2 sm:p-4') as body:
        yield Frame(header, body, lang)
