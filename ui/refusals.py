"""Refusals: who the entitlement check refused which product, why and how often, over a date range — and what the
administrator can do about each (raise the cap, allow the product, assign tokens to the team)"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from nicegui import app, background_tasks, ui

from services.controls import entitlement
from services.controls.lists import product_list, set_product_list
from services.domain.dates import DateRange, local_date
from services.domain.errors import LedgerError
from services.infrastructure.clock import utcnow
from services.reading.live import LiveUpdate
from ui.boards import Board
from ui.frame import heading, testable
from ui.guard import guard
from ui.i18n import day, integer, t
from ui.messages import refusal
from ui.ranges import RangePicker

REFRESH = 2.0  # seconds between two live re-reads, at least
Act = Callable[[int | None], Awaitable[None]]


def reasons(lang: str) -> dict[str, str]:
    return {
        'unknown_product': t('no rate for this product', lang),
        'product_not_allowed': t("not in the team's products", lang),
        'cap_reached': t('a cap was reached', lang),
        'insufficient_balance': t('not enough tokens for a day of it', lang),
    }


class RefusalsPanel:
    """The contract's refusals over a range, live; ``controls`` and ``assign`` open those of a team."""

    def __init__(self, board: Board, lang: str, *, controls: Act, assign: Act) -> None:
        self.board, self.contract, self.lang = board, board.contract, lang
        self.controls, self.assign = controls, assign
        self.today = local_date(utcnow(), self.contract.timezone)
        self.read_at = 0.0
        self.teams = {b.team: b.team_name or '' for b in board.model.holders if b.team is not None}
        with testable(ui.element('section'), 'refusals').classes('q-card q-pa-md w-full column gap-2') as self.card:
            heading(t('Refusals', lang))
            ui.label(t('Who could not start a product, why, and how often. Act on a row to let them.', lang)).classes(
                'text-body2 text-grey-8'
            )
            self.picker = RangePicker(lang, self.today, self._set_range)
            self.rows = ui.column().classes('w-full gap-1').props('aria-live=polite').mark('refusal-rows')
            self.message = ui.label().classes('text-negative text-body2').props('role=alert')
        self._unsubscribe = board.model.updates.subscribe(self.on_update)
        ui.context.client.on_delete(self.close)

    @property
    def range(self) -> DateRange:
        return self.picker.range

    async def _set_range(self, _: DateRange) -> None:
        if await guard.allows(self.contract.id):
            await self.reload()

    async def reload(self) -> None:
        self.read_at = time.monotonic()
        found = await entitlement.refusals(self.contract, self.range, counted=app.state.refusals)
        lang, words = self.lang, reasons(self.lang)
        self.rows.clear()
        with self.rows:
            if not found:
                ui.label(t('Nobody was refused in this period.', lang)).mark('no-refusals')
            for row in found:
                team = self.teams.get(row.team or 0, '') if row.team else ''
                with testable(ui.row(), 'refusal').classes('w-full items-center gap-2 no-wrap'):
                    text = t(
                        '{date}: {user} · {product}{team} — {reason} ({count}×)',
                        lang,
                        date=day(row.date, lang),
                        user=row.user,
                        product=row.product,
                        team=f' · {team}' if team else '',
                        reason=words.get(row.reason, row.reason),
                        count=integer(row.count, lang),
                    )
                    ui.label(text).classes('grow text-body2')
                    self._actions(row)

    def _actions(self, row: entitlement.RefusalCount) -> None:
        lang = self.lang
        team = row.team if self.contract.is_flex else None
        if row.reason == 'cap_reached':
            testable(ui.button(t('Raise the cap', lang), on_click=lambda: self.controls(team)), 'refusal-raise').props(
                'flat dense no-caps color=primary'
            )
        elif row.reason == 'product_not_allowed' and team is not None:
            allow = ui.button(t('Allow the product', lang), on_click=lambda: self.allow(team, row.product))
            testable(allow, 'refusal-allow').props('flat dense no-caps color=primary')
        elif row.reason == 'insufficient_balance' and team is not None:
            testable(ui.button(t('Assign tokens', lang), on_click=lambda: self.assign(team)), 'refusal-assign').props(
                'flat dense no-caps color=primary'
            )

    async def allow(self, team: int, product: str) -> None:
        """Add the product to the team's list."""
        if not await guard.allows(self.contract.id):
            return
        try:
            allowed = (await product_list(self.contract.id, team)).allowed
            if allowed is not None:
                await set_product_list(self.contract.id, team, [*allowed, product])
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        ui.notify(t('{product} allowed for {team}.', self.lang, product=product, team=self.teams.get(team, '')))

    def on_update(self, update: LiveUpdate) -> None:
        """Usage moved (refusals come with it): read again when the range includes today, every ``REFRESH`` s."""
        if self.card.is_deleted or self.today not in self.range:
            return
        wait = max(0.0, REFRESH - (time.monotonic() - self.read_at))
        self.read_at = time.monotonic() + wait

        async def later() -> None:
            await asyncio.sleep(wait)
            if not self.card.is_deleted:
                await self.reload()

        background_tasks.create(later(), name='refusals refresh')

    def close(self) -> None:
        self._unsubscribe()
        if not self.card.is_deleted:
            self.card.delete()

    def reveal(self) -> None:
        ui.run_javascript(
            f'document.getElementById("c{self.card.id}")?.scrollIntoView({{behavior: "smooth", block: "start"}})'
        )
