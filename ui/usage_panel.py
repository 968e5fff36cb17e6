"""Usage details: stacked bars over time by service or by user (or bars by team, for a contract), a date range, a
table and downloads

An open panel follows live changes of its contract when its range includes today, at most every ``REFRESH``
seconds; the reads are shared (``ui.boards.SharedReads``) by every open panel of the same contract, team, range and
view, so that a change costs one read per distinct panel, not one per page.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace

from nicegui import background_tasks, ui

from services.accounts.contracts import list_teams
from services.catalog.products import rate_book
from services.domain.dates import DateRange, local_date
from services.domain.quantity import from_units
from services.infrastructure.clock import utcnow
from services.reading.exports import Table
from services.reading.live import LiveUpdate
from services.reading.usage import By, UsageBreakdown, UsageSeries, usage_breakdown, usage_series, user_days
from ui import charts
from ui.boards import Board, SharedReads
from ui.exports import about, download_menu, usage_table
from ui.frame import heading, labelled, testable
from ui.guard import guard
from ui.i18n import integer, number, t
from ui.ranges import RangePicker

REFRESH = 2.0  # seconds between two live reloads of one panel, at least
ProductRates = dict[str, tuple[int | None, int]]  # product → its daily rate now (units), its user-days


class UsagePanel:
    """Usage of a contract, or of one team, over a chosen range; ``reload`` redraws it in place."""

    def __init__(self, shared: Board, reads: SharedReads, lang: str, *, team: int | None, title: str) -> None:
        self.shared, self.reads, self.contract_id, self.team, self.lang = shared, reads, shared.contract.id, team, lang
        self.today = local_date(utcnow(), shared.contract.timezone)
        self.reloaded = 0.0
        self.report: UsageBreakdown | None = None
        self.pending = False
        self.title = title
        self._unsubscribe = shared.model.updates.subscribe(self.on_update)
        ui.context.client.on_delete(self.close)
        self.by: By = 'product'
        views = {'product': t('By service', lang), 'user': t('By user', lang)}
        if team is None:  # a contract's usage by its teams (in cloud-credit mode, the tags the pool was used under)
            views['team'] = t('By team', lang)
        marker = f'usage-{team if team is not None else "contract"}'
        with testable(ui.element('section'), marker).classes('q-card q-pa-md w-full column gap-2') as self.card:
            heading(title)
            with ui.row().classes('w-full items-center gap-2'):
                ui.toggle(views, value='product', on_change=self._set_by).props(
                    'no-caps dense toggle-color=primary text-color=grey-10'
                ).mark('by')
                self.picker = RangePicker(lang, self.today, self._set_range)
                ui.space()
                download_menu(lang, 'usage', self._export, marker='download-usage')
            with ui.row().classes('items-center gap-2'):
                self.total = ui.label().classes('text-body2').mark('usage-total')
                self.spinner = labelled(ui.spinner(size='sm'), t('Loading', lang)).mark('usage-loading')
            self.message = ui.label().props('role=status').mark('usage-message')
            self.chart = ui.echart({'series': []}).classes('w-full h-72').mark('usage-chart')
            self.table = (
                ui.table(
                    columns=self.columns(t('Service', lang), priced=False),
                    rows=[],
                    pagination=10,
                )
                .props('flat dense wrap-cells')
                .classes('w-full')
                .mark('usage-table')
            )
            self.table.props['no-data-label'] = t('No usage in this period.', lang)

    @property
    def range(self) -> DateRange:
        return self.picker.range

    async def _set_by(self, event: object) -> None:
        if not await guard.allows(self.contract_id):
            return
        value = getattr(event, 'value', 'product')
        self.by = 'team' if value == 'team' else 'user' if value == 'user' else 'product'
        await self.reload()

    async def _set_range(self, _: DateRange) -> None:
        if not await guard.allows(self.contract_id):
            return
        await self.reload()

    def close(self) -> None:
        self._unsubscribe()
        if not self.card.is_deleted:
            self.card.delete()

    async def on_update(self, update: LiveUpdate) -> None:
        """Reload after a change of what it shows when the range includes today, at most every ``REFRESH`` seconds."""
        teams = {state.team for state in update.holders}
        if (
            self.pending
            or self.today not in self.range
            or not teams
            or (self.team is not None and self.team not in teams)
        ):
            return
        self.pending = True
        wait = max(0.0, REFRESH - (time.monotonic() - self.reloaded))

        async def later() -> None:
            await asyncio.sleep(wait)
            self.pending = False
            if not self.card.is_deleted:
                await self.reload()

        background_tasks.create(later(), name='usage panel reload')

    async def _read(self) -> tuple[UsageSeries | None, UsageBreakdown, ProductRates]:
        by = self.by
        key = (self.contract_id, self.team, self.range, by, self.shared.model.as_of)
        date_range = self.range

        async def read() -> tuple[UsageSeries | None, UsageBreakdown, ProductRates]:
            breakdown = await usage_breakdown(self.contract_id, date_range, by=by, team=self.team)
            rates: ProductRates = {}
            if by == 'product':  # beside each product's tokens: its daily rate now, and the user-days it was charged
                book, days = await rate_book(), await user_days(self.contract_id, date_range, team=self.team)
                now = utcnow()
                rates = {
                    str(row.key): (book.rate_at(str(row.key), now), days.get(str(row.key), 0)) for row in breakdown.rows
                }
            if by == 'team':
                return None, breakdown, rates
            series = await usage_series(
                self.contract_id, date_range, by='user' if by == 'user' else 'product', team=self.team
            )
            return series, breakdown, rates

        return await self.reads.get(key, read)

    async def team_names(self) -> dict[int | None, str]:
        if self.shared.contract.is_flex:  # every team holds its tokens: the live model knows them
            names: dict[int | None, str] = {b.team: b.team_name or '' for b in self.shared.model.holders}
        else:  # the pool holds the credits; the teams only tag usage
            names = {team.id: team.name for team in await list_teams(self.contract_id)}
        names[None] = t('No team', self.lang)
        return names

    async def reload(self) -> None:
        self.reloaded = time.monotonic()
        self.spinner.set_visibility(True)
        try:
            series, breakdown, rates = await self._read()
        finally:
            self.spinner.set_visibility(False)
        self.report = breakdown
        names = await self.team_names() if self.by == 'team' else {}
        keys: Sequence[str] = [
            names.get(row.key, '') if self.by == 'team' else str(row.key)  # type: ignore[arg-type]
            for row in breakdown.rows
        ]
        self.total.set_text(t('Total: {total}', self.lang, total=number(breakdown.total, self.lang)))
        self.message.set_text('' if breakdown.rows else t('No usage in this period.', self.lang))
        self.chart.options.clear()
        if series is None:
            self.chart.options.update(
                charts.team_bars([(k, float(r.quantity)) for k, r in zip(keys, breakdown.rows, strict=True)], self.lang)
            )
        else:
            self.chart.options.update(charts.stacked_bars(series, self.lang, others=t('Others', self.lang)))
        self.chart.update()
        header = {'product': t('Service', self.lang), 'user': t('User', self.lang), 'team': t('Team', self.lang)}
        self.table.columns[:] = self.columns(header[self.by], priced=bool(rates))
        self.table.rows = [
            {
                'key': key,
                'quantity': number(row.quantity, self.lang),
                'rate': self._rate(rates.get(key, (None, 0))[0]),
                'days': integer(rates.get(key, (None, 0))[1], self.lang),
            }
            for key, row in zip(keys, breakdown.rows, strict=True)
        ]
        self.table.update()

    def _rate(self, units: int | None) -> str:
        return number(from_units(units), self.lang) if units else '—'

    def columns(self, key: str, *, priced: bool) -> list[dict[str, str]]:
        """The table's columns: the key and its quantity, and for products their daily rate and user-days."""
        found = [
            {'name': 'key', 'label': key, 'field': 'key', 'align': 'left'},
            {'name': 'quantity', 'label': t('Quantity', self.lang), 'field': 'quantity', 'align': 'right'},
        ]
        if priced:
            found += [
                {'name': 'rate', 'label': t('Daily rate', self.lang), 'field': 'rate', 'align': 'right'},
                {'name': 'days', 'label': t('User-days', self.lang), 'field': 'days', 'align': 'right'},
            ]
        return found

    async def _export(self) -> tuple[Table, Sequence[object]]:
        if self.report is None:
            await self.reload()
        report = self.report
        if report is None:
            raise RuntimeError('the usage details were not read')
        header = {'product': t('Service', self.lang), 'user': t('User', self.lang), 'team': t('Team', self.lang)}
        names = await self.team_names() if self.by == 'team' else None
        table = usage_table(report, header[self.by], self.lang, names)
        team = next((b.team_name for b in self.shared.model.holders if b.team == self.team), None)
        context = about(self.lang, self.shared.contract.name, team=team, start=report.range.start, end=report.range.end)
        table = replace(table, context=context)
        parts = [self.shared.contract.name, team, self.by, report.range.start, report.range.end]
        return table, parts

    def reveal(self) -> None:
        """Bring the panel into view and its heading into focus (it opens below the cards)."""
        ui.run_javascript(
            f'(function go(n) {{ const el = document.getElementById("c{self.card.id}"); '
            'if (!el) { if (n < 60) requestAnimationFrame(() => go(n + 1)); return; } '
            'el.scrollIntoView({behavior: "smooth", block: "start"}); '
            'el.querySelector("h2")?.focus({preventScroll: true}); })(0)'
        )
