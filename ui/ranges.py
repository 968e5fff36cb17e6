"""Choosing a date range: presets, or a custom range typed in the locale's form or picked on a calendar

The custom range is a dialog: typed dates apply on Enter, Apply comes right after the fields, the calendar last.
A custom range may be a single day; it may not end after today, start after it ends, or span more than 366 days —
each refusal is said next to the fields, in the error colour. While a custom range is shown, no preset is
highlighted. The calendar speaks the page's language (Quasar's language pack: month names, first day of week).
"""

from collections.abc import Awaitable, Callable
from datetime import date

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from services.domain.dates import MAX_RANGE_DAYS, DateRange
from ui.frame import dialog, heading, testable
from ui.i18n import day, parse_typed_date, t, typed_date

Presets = dict[str, Callable[[date], DateRange]]
OnRange = Callable[[DateRange], Awaitable[None]]


def usage_presets(lang: str) -> dict[str, tuple[str, Callable[[date], DateRange]]]:
    return {
        'range_30': (t('30 days', lang), lambda today: DateRange.last_days(today, 30)),
        'range_90': (t('90 days', lang), lambda today: DateRange.last_days(today, 90)),
        'this_month': (t('This month', lang), DateRange.this_month),
        'last_month': (t('Last month', lang), DateRange.last_month),
        'range_12m': (t('12 months', lang), DateRange.last_12_months),
    }


def range_text(value: DateRange, lang: str) -> str:
    """A range as the locale writes its dates (``2 Sept 2026 – 30 Nov 2026``, one date for one day)."""
    if value.start == value.end:
        return day(value.start, lang)
    return t('{start} – {end}', lang, start=day(value.start, lang), end=day(value.end, lang))


class RangePicker:
    """Presets and a custom range; calls ``on_change`` with each new range the person chooses."""

    def __init__(self, lang: str, today: date, on_change: OnRange, *, default: str = 'range_90') -> None:
        self.lang, self.today, self.on_change = lang, today, on_change
        self.presets = usage_presets(lang)
        self.range = self.presets[default][1](today)
        with ui.row().classes('items-center gap-2'):
            self.toggle = (
                ui.toggle(
                    {key: label for key, (label, _) in self.presets.items()}, value=default, on_change=self._preset
                )
                .props('no-caps dense toggle-color=primary text-color=grey-10')
                .mark('preset')
            )
            custom = testable(
                ui.button(t('Custom range', lang), icon='date_range').props('flat dense no-caps'), 'custom'
            )
        # A dialog, not a menu: it fits the screen at any width, never under the header, with nothing in an inner
        # scroll area; the fields, then Apply (three Tabs from the first field), then the calendar for who prefers it.
        with (
            dialog(t('Custom range', lang)) as self.menu,
            ui.card().classes('q-pa-md gap-3 w-full').style('max-width: 24rem'),
        ):
            heading(t('Custom range', lang), 2)
            hint = t('e.g. {example}', lang, example=typed_date(today, lang))
            with ui.row().classes('gap-2 no-wrap w-full'):
                self.start = ui.input(t('From', lang), placeholder=hint).props('dense outlined autofocus').mark('from')
                self.end = ui.input(t('To', lang), placeholder=hint).props('dense outlined').mark('to')
            for field in (self.start, self.end):
                field.classes('col').on('keydown.enter', self._apply)  # typed dates apply on Enter
            self.error = ui.label().classes('text-negative text-body2').props('role=alert').mark('range-error')
            with ui.row().classes('justify-end w-full gap-2'):
                ui.button(t('Cancel', lang), on_click=self.menu.close).props('flat dense no-caps')
                ui.button(t('Apply', lang), on_click=self._apply).props('dense no-caps').mark('apply-range')
            self.calendar = (
                ui.date(on_change=self._picked)
                .props(f'range minimal :options="d => d <= \'{today:%Y/%m/%d}\'"')
                .classes('self-center')
                .mark('calendar')
            )
        custom.on_click(self.menu.open)
        self.label = ui.label(range_text(self.range, lang)).classes('text-body2').mark('range')
        self._fill(self.range)

    def _fill(self, value: DateRange) -> None:
        self.start.value = typed_date(value.start, self.lang)
        self.end.value = typed_date(value.end, self.lang)

    async def _preset(self, event: ValueChangeEventArguments) -> None:
        if event.value in self.presets:
            await self._choose(self.presets[event.value][1](self.today), preset=True)

    def _picked(self, event: ValueChangeEventArguments) -> None:
        """A day or a range picked on the calendar fills the fields (a single click is a one-day range)."""
        value = event.value
        if isinstance(value, str) and value:
            value = {'from': value, 'to': value}
        if isinstance(value, dict) and value.get('from') and value.get('to'):
            start = date.fromisoformat(value['from'].replace('/', '-'))
            end = date.fromisoformat(value['to'].replace('/', '-'))
            self.start.value, self.end.value = typed_date(start, self.lang), typed_date(end, self.lang)

    async def _apply(self) -> None:
        self.error.set_text('')
        try:
            start = parse_typed_date(self.start.value or '', self.lang)
            end = parse_typed_date(self.end.value or '', self.lang)
        except ValueError:
            self.error.set_text(t('Type dates like {example}.', self.lang, example=typed_date(self.today, self.lang)))
            return
        if end > self.today:
            self.error.set_text(
                t('The range cannot end after today ({today}).', self.lang, today=day(self.today, self.lang))
            )
            return
        if start > end:
            self.error.set_text(t('The first date comes after the last one.', self.lang))
            return
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            self.error.set_text(t('Choose at most {days} days.', self.lang, days=MAX_RANGE_DAYS))
            return
        self.menu.close()
        await self._choose(DateRange(start, end), preset=False)

    async def _choose(self, value: DateRange, *, preset: bool) -> None:
        self.range = value
        if not preset:
            self.toggle.set_value(None)  # a custom range: no preset stays highlighted
        self.label.set_text(range_text(value, self.lang))
        self._fill(value)
        await self.on_change(value)
