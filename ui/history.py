"""A holder's history: its token events over any range, and its lots (purchase date, expiry, what is left, origin)

Each assignment names the other team, the expiry dates it moved and who made it; one that can still be undone has
an "Undo" button. The lots show what the events cannot: future expiry dates, and what each lot still holds.
"""

from collections.abc import Sequence
from dataclasses import replace

from nicegui import ui

from services.domain.dates import DateRange, local_date
from services.domain.errors import LedgerError
from services.infrastructure.clock import utcnow
from services.reading.balances import HolderBalance
from services.reading.exports import Table
from services.reading.lots import contract_lots
from services.reading.timeline import TokenEvent, token_events
from ui.assign import undo
from ui.exports import about, download_menu, event_text, events_table, lots_table, origin_text, state_text
from ui.frame import dialog, heading, stacked_on_phone, testable
from ui.guard import guard
from ui.i18n import day, number, t
from ui.messages import refusal
from ui.ranges import RangePicker


def moved_text(event: TokenEvent, lang: str) -> str:
    parts = [t('{quantity} expiring {date}', lang, quantity=number(q, lang), date=day(d, lang)) for d, q in event.moved]
    if event.type == 'purchase' and event.expires_on:
        parts.append(t('expires {date}', lang, date=day(event.expires_on, lang)))
    if event.made_by:
        parts.append(t('by {who}', lang, who=event.made_by))
    return '; '.join(parts)


class HistoryDialog:
    """The events and lots of one team (Flex) or of the contract's pool (cloud credits)."""

    def __init__(
        self,
        contract_id: int,
        contract_name: str,
        timezone: str,
        balance: HolderBalance,
        lang: str,
        *,
        flex: bool,
        made_by: str,
    ) -> None:
        self.contract_id, self.contract_name, self.balance, self.lang = contract_id, contract_name, balance, lang
        self.flex, self.made_by = flex, made_by
        self.today = local_date(utcnow(), timezone)
        self.events: tuple[TokenEvent, ...] = ()
        title = balance.team_name or contract_name
        heading_text = (
            t('Token events of {team}', lang, team=title) if flex else t('Credit events of {team}', lang, team=title)
        )
        with (
            dialog(heading_text) as self.dialog,
            ui.card().classes('w-full max-w-4xl').mark('events-dialog'),
        ):
            heading(heading_text)
            with ui.tabs().props('no-caps align=left') as tabs:
                events_tab = ui.tab('events', t('Events', lang)).mark('events-tab')
                lots_tab = testable(ui.tab('lots', t('Lots', lang)), 'lots-tab')
            with ui.tab_panels(tabs, value=events_tab).classes('w-full'):
                with ui.tab_panel(events_tab).classes('q-pa-none q-pt-sm column gap-2'):
                    with ui.row().classes('w-full items-center gap-2'):
                        self.picker = RangePicker(lang, self.today, self._load_events, default='range_12m')
                        ui.space()
                        download_menu(lang, 'token-events', self._export_events, marker='download-events')
                    self.message = ui.label().classes('text-negative').props('role=alert')
                    self.events_box = ui.column().classes('w-full gap-0').mark('events')
                with ui.tab_panel(lots_tab).classes('q-pa-none q-pt-sm column gap-2'):
                    with ui.row().classes('w-full justify-end'):
                        download_menu(lang, 'lots', self._export_lots, marker='download-lots')
                    self.lots_box = ui.column().classes('w-full').mark('lots')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Close', lang), on_click=self.dialog.close).props('flat no-caps').mark('events-close')

    async def open(self) -> None:
        await self._load_events(self.picker.range)
        await self._load_lots()
        self.dialog.open()

    async def _load_events(self, date_range: DateRange) -> None:
        if not await guard.allows(self.contract_id):
            return
        self.events = await token_events(self.contract_id, date_range, team=self.balance.team)
        lang = self.lang
        self.events_box.clear()
        with self.events_box:
            if not self.events:
                ui.label(
                    t('No token events in this period.', lang)
                    if self.flex
                    else t('No credit events in this period.', lang)
                ).classes('q-pa-sm').mark('no-events')
                return
            rows = []
            for index, event in enumerate(self.events):
                rows.append(
                    {
                        'id': index,
                        'date': day(event.date, lang),
                        'event': event_text(event, lang),
                        'details': moved_text(event, lang),
                        'quantity': number(event.quantity, lang),
                        'undo': bool(event.type == 'transfer_out' and not event.undone and not event.undoes),
                    }
                )
            columns = [
                {'name': 'date', 'label': t('Date', lang), 'field': 'date', 'align': 'left'},
                {'name': 'event', 'label': t('Event', lang), 'field': 'event', 'align': 'left'},
                {'name': 'details', 'label': t('Details', lang), 'field': 'details', 'align': 'left'},
                {'name': 'quantity', 'label': t('Quantity', lang), 'field': 'quantity', 'align': 'right'},
            ]
            table = stacked_on_phone(
                ui.table(columns=columns, rows=rows, row_key='id', pagination=15).props('flat dense wrap-cells')
            )
            table.props['no-data-label'] = t('No token events in this period.', lang)
            testable(table.classes('w-full'), 'events-table')
            undoable = [(i, e) for i, e in enumerate(self.events) if rows[i]['undo']]
            if undoable:
                with ui.row().classes('gap-2 q-mt-sm'):
                    for index, event in undoable[:5]:
                        ui.button(
                            t(
                                'Undo the assignment of {date} to {team}',
                                lang,
                                date=rows[index]['date'],
                                team=event.counterparty_team_name or '',
                            ),
                            icon='undo',
                            on_click=lambda e=event: self._undo(e),
                        ).props('flat dense no-caps').mark('history-undo')

    async def _undo(self, event: TokenEvent) -> None:
        if not await guard.allows(self.contract_id) or event.transfer is None:
            return
        try:
            result = await undo(self.contract_id, event.transfer, self.made_by)
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        ui.notify(
            t(
                'Undone: {quantity} tokens assigned back to {team}.',
                self.lang,
                quantity=number(result.quantity, self.lang),
                team=self.balance.team_name or '',
            ),
            type='info',
        )
        await self._load_events(self.picker.range)
        await self._load_lots()

    async def _load_lots(self) -> None:
        lang = self.lang
        everything = await contract_lots(self.contract_id, team=self.balance.team)
        lots = [lot for lot in everything if not lot.trace]  # an undone assignment's emptied parts: in the events
        self.lots_box.clear()
        with self.lots_box:
            columns = [
                {
                    'name': name,
                    'label': label,
                    'field': name,
                    'align': 'right' if name in ('original', 'remaining') else 'left',
                }
                for name, label in (
                    ('purchased', t('Purchased on', lang)),
                    ('expires', t('Expires on', lang)),
                    ('original', t('Original', lang)),
                    ('remaining', t('Remaining', lang)),
                    ('origin', t('Origin', lang)),
                    ('state', t('State', lang)),
                )
            ]
            rows = [
                {
                    'id': lot.id,
                    'purchased': day(lot.purchased_at.date(), lang),
                    'expires': day(lot.expires_on, lang),
                    'original': number(lot.original, lang),
                    'remaining': number(lot.remaining, lang),
                    'origin': origin_text(lot, lang),
                    'state': state_text(lot.state, lang),
                }
                for lot in lots
            ]
            table = stacked_on_phone(
                ui.table(columns=columns, rows=rows, row_key='id', pagination=15).props('flat dense wrap-cells')
            )
            table.props['no-data-label'] = t('No lots.', lang)
            testable(table.classes('w-full'), 'lots-table')

    async def _export_events(self) -> tuple[Table, Sequence[object]]:
        span, team = self.picker.range, self.balance.team_name
        context = about(self.lang, self.contract_name, team=team, start=span.start, end=span.end)
        parts = [self.contract_name, team, span.start, span.end]
        return replace(events_table(self.events, self.lang), context=context), parts

    async def _export_lots(self) -> tuple[Table, Sequence[object]]:
        lots = await contract_lots(self.contract_id, team=self.balance.team)
        context = about(self.lang, self.contract_name, team=self.balance.team_name, on=self.today)
        parts = [self.contract_name, self.balance.team_name, self.today]
        return replace(lots_table(lots, self.lang), context=context), parts
