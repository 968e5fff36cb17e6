"""The frame every page shares: the product's name, the language switch and, signed in, who is signed in and the way
out, over a body with the page's heading

Pages build their content inside it (NiceGUI's ``modularization`` example): ``with frame(lang) as page:`` gives
the places in the header for the page's own controls (``page.controls``, ``page.tools``) and the body
(``page.body``). The document takes the visitor's language (``<html lang>``, Quasar's language pack).
"""

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from nicegui import app, background_tasks, ui
from nicegui.element import Element
from nicegui.events import ValueChangeEventArguments

from services.accounts import admins
from ui.i18n import LANGUAGES, language_of, t, use_language

E = TypeVar('E', bound=Element)

# a focus ring that everyone sees (WCAG 2.4.7), and text that keeps its contrast on the grey page
STYLE = """
:focus-visible { outline: 3px solid #0d47a1 !important; outline-offset: 2px; }
.q-btn:focus-visible, .q-toggle__inner:focus-visible { box-shadow: 0 0 0 3px #0d47a1; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
           clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
body { color: #1f1f1f; }
.text-grey-7, .text-grey-8 { color: #4a4a4a !important; }
.q-dialog__inner > .q-card { position: relative; z-index: 1; }  /* over the backdrop, for contrast checkers too */
.q-date__calendar-weekdays > div { opacity: 1; color: #595959; }
.q-date__calendar-item--out { opacity: 1; }
.q-date__calendar-item--out > div { color: #6b6b6b; text-decoration: line-through; }  /* days after today */
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
    controls: ui.row
    tools: ui.row
    body: ui.column
    lang: str


@contextmanager
def frame(lang: str, *, signed_in_as: str | None = None, admin_id: int | None = None) -> Iterator[Frame]:
    use_language(lang)
    # colours that keep 4.5:1 against white and the grey page (NiceGUI's default primary, #5898d4, has 2.8:1)
    ui.colors(primary='#1565c0', positive='#2e7d32', negative='#c62828', warning='#8d4e00')
    ui.page_title(t('Balances', lang))
    ui.add_css(STYLE)
    ui.add_body_html(INERT_BEHIND_DIALOGS)
    ui.query('body').classes('bg-grey-2')

    def switch_language(event: ValueChangeEventArguments) -> None:
        chosen = language_of(event.value)
        app.storage.user['lang'] = chosen
        background_tasks.create(_remember(admin_id, chosen), name='remember the language')
        ui.navigate.reload()

    with ui.header().classes('items-center gap-x-3 gap-y-1 flex-wrap bg-white text-black shadow-sm q-py-xs'):
        ui.label(t('Balances', lang)).classes('text-h6 text-weight-bold')
        controls = ui.row().classes('items-center gap-2')
        ui.space()
        tools = ui.row().classes('items-center gap-1')
        with tools:
            ui.select(
                dict(LANGUAGES),
                value=lang,
                on_change=switch_language,
                label=t('Language', lang),
            ).props('dense outlined options-dense').classes('w-44').mark('lang')
        if signed_in_as is not None:
            ui.label(signed_in_as).classes('text-caption gt-sm').mark('signed-in-as')
            out = ui.button(icon='logout', on_click=lambda: ui.navigate.to('/logout')).props('flat round dense')
            labelled(out, t('Sign out', lang)).tooltip(t('Sign out', lang)).mark('sign-out')
    with ui.column().classes('w-full max-w-screen-xl mx-auto gap-4 p-2 sm:p-4') as body:
        yield Frame(controls, tools, body, lang)
