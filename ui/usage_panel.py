"""Usage details: a stacked bar chart over time by service or by user, a date range, a table and a CSV download

An open panel follows live changes of its contract when its range includes today, at most every ``REFRESH``
seconds; the reads are shared (``ui.hub.shared_reads``) by every open panel of the same contract, team, range and
view, so that a change costs one read per distinct panel, not one per page.
"""

import asyncio
import time
from datetime import date
from typing import Literal

from nicegui import background_tasks, ui

from services.domain.dates import DateRange, local_date
from services.domain.errors import LedgerError
from services.infrastructure.clock import utcnow
from services.reading.exports import usage_csv, usage_csv_name
from services.reading.live import LiveUpdate
from services.reading.usage import UsageBreakdown, UsageSeries, usage_breakdown, usage_series
from ui import charts
from ui.guard import guard
from ui.hub import SharedBoard, shared_reads
from ui.i18n import number, t

REFRESH = 2.0  # seconds between two live reloads of one panel, at least

PRESETS = ('range_30', 'range_90', 'this_month', 'last_month', 'range_12m')


def preset_range(preset: str, today: date) -> DateRange:
    if preset == 'range_30':
        return DateRange.last_days(today, 30)
    if preset == 'this_month':
        return DateRange.this_month(today)
    if preset == 'last_month':
        return DateRange.last_month(today)
    if preset == 'range_12m':
        return DateRange.last_12_months(today)
    return DateRange.last_days(today, 90)


class UsagePanel:
    """Usage of a contract, or of one team, over a chosen range; ``reload`` redraws it in place."""

    def __init__(self, shared: SharedBoard, lang: str, *, team: int | None, title: str) -> None:
        self.shared, self.contract_id, self.team, self.lang = shared, shared.contract.id, team, lang
        self.today = local_date(utcnow(), shared.contract.timezone)
        self.reloaded = 0.0
        self.report: UsageBreakdown | None = None
        self.pending = False
        shared.model.listen(self.on_update)
        ui.context.client.on_delete(self.close)
        self.range = preset_range('range_90', self.today)
        self.by = 'product'
        with ui.card().classes('w-full').mark(f'usage-{team if team is not None else "contract"}') as self.card:
            ui.label(title).classes('text-h6')
            with ui.row().classes('w-full items-center gap-2'):
                ui.toggle(
                    {'product': t('by_product', lang), 'user': t('by_user', lang)},
                    value='product',
                    on_change=self._set_by,
                ).props('no-caps dense').mark('by')
                ui.toggle({p: t(p, lang) for p in PRESETS}, value='range_90', on_change=self._set_preset).props(
                    'no-caps dense'
                ).mark('preset')
                custom = ui.button(t('custom', lang), icon='date_range').props('flat dense no-caps').mark('custom')
                with custom, ui.menu():
                    self.picker = ui.date(on_change=self._set_custom).props('range').mark('custom-range')
                ui.space()
                ui.button(t('download_csv', lang), icon='download', on_click=self.download).props(
                    'flat dense no-caps'
                ).mark('csv')
            with ui.row().classes('items-center gap-2'):
                self.range_label = ui.label().classes('text-caption text-grey-7').mark('range')
                self.spinner = ui.spinner(size='sm').mark('usage-loading')
            self.message = ui.label().mark('usage-message')
            self.chart = ui.echart({'series': []}).classes('w-full h-72').mark('usage-chart')
            self.table = (
                ui.table(
                    columns=[
                        {'name': 'key', 'label': t('key', lang), 'field': 'key', 'align': 'left'},
                        {'name': 'quantity', 'label': t('quantity', lang), 'field': 'quantity', 'align': 'right'},
                    ],
                    rows=[],
                )
                .props('flat dense')
                .classes('w-full')
                .mark('usage-table')
            )

    async def _set_by(self, event: object) -> None:
        if not await guard.allows(self.contract_id):
            return
        self.by = getattr(event, 'value', 'product')
        await self.reload()

    async def _set_preset(self, event: object) -> None:
        if not await guard.allows(self.contract_id):
            return
        preset = getattr(event, 'value', None)
        if preset:
            self.range = preset_range(preset, self.today)
            await self.reload()

    async def _set_custom(self, event: object) -> None:
        if not await guard.allows(self.contract_id):
            return
        value = getattr(event, 'value', None)
        if isinstance(value, dict) and value.get('from') and value.get('to'):
            try:
                self.range = DateRange(
                    date.fromisoformat(value['from'].replace('/', '-')),
                    date.fromisoformat(value['to'].replace('/', '-')),
                )
            except LedgerError as error:
                self.message.set_text(error.message)
                return
            await self.reload()

    def close(self) -> None:
        self.shared.model.unlisten(self.on_update)
        if not self.card.is_deleted:
            self.card.delete()

    async def on_update(self, update: LiveUpdate) -> None:
        """Reload after a change when the range includes today, at most every ``REFRESH`` seconds."""
        if self.pending or self.today not in self.range:
            return
        self.pending = True
        wait = max(0.0, REFRESH - (time.monotonic() - self.reloaded))

        async def later() -> None:
            await asyncio.sleep(wait)
            self.pending = False
            if not self.card.is_deleted:
                await self.reload()

        background_tasks.create(later(), name='usage panel reload')

    async def _read(self, by: Literal['product', 'user']) -> tuple[UsageSeries, UsageBreakdown]:
        key = (self.contract_id, self.team, self.range, by, self.shared.model.stats.flushes)

        async def read() -> tuple[UsageSeries, UsageBreakdown]:
            series = await usage_series(self.contract_id, self.range, by=by, team=self.team)
            breakdown = await usage_breakdown(self.contract_id, self.range, by=by, team=self.team)
            return series, breakdown

        return await shared_reads.get(key, read)

    async def reload(self) -> None:
        by: Literal['product', 'user'] = 'product' if self.by == 'product' else 'user'
        self.reloaded = time.monotonic()
        self.spinner.set_visibility(True)
        try:
            series, breakdown = await self._read(by)
        finally:
            self.spinner.set_visibility(False)
        self.report = breakdown
        self.rows = [(str(row.key), row.quantity) for row in breakdown.rows]
        self.range_label.set_text(
            f'{self.range.start.isoformat()} → {self.range.end.isoformat()} · '
            f'{t("total", self.lang)} {number(breakdown.total, self.lang)}'
        )
        self.message.set_text('' if breakdown.rows else t('no_usage', self.lang))
        self.chart.options.clear()
        self.chart.options.update(charts.stacked_bars(series, self.lang))
        self.chart.update()
        self.table.rows = [{'key': key, 'quantity': number(quantity, self.lang)} for key, quantity in self.rows]
        self.table.update()

    async def download(self) -> None:
        if not await guard.allows(self.contract_id):
            return
        if self.report is not None:
            name = usage_csv_name(self.report, self.contract_id, *([self.team] if self.team is not None else []))
            ui.download.content(usage_csv(self.report).encode(), name, 'text/csv')
