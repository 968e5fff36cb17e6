"""A team's controls (or the contract's, for caps that span its teams): the products it may start, and its caps

The products are a checklist over the price book, "All products" by default. Each cap shows its usage this period
against its limit (a progress bar), the stage reached and when the period resets; caps are added with their stages
(notify, deny), changed (the new one replaces the old) and deleted. The usage follows live changes of the contract.
"""

import asyncio
import time
from decimal import Decimal

from nicegui import background_tasks, ui

from services.catalog.products import list_products
from services.controls import caps as caps_service
from services.controls import lists
from services.controls.caps import CapInfo
from services.domain.errors import LedgerError
from services.reading.live import LiveUpdate
from ui.boards import Board
from ui.frame import dialog, heading, testable
from ui.guard import guard
from ui.i18n import day, number, number_example, parse_number, share, t
from ui.messages import refusal, unreadable

REFRESH = 2.0  # seconds between two live re-reads of the caps, at least


def cap_scope(cap: CapInfo, teams: dict[int, str], lang: str) -> str:
    """Whom a cap counts: its team, user and product, or everyone."""
    parts = [teams.get(cap.team, '') if cap.team is not None else t('every team', lang)]
    parts += [part for part in (cap.user, cap.product) if part]
    return ' · '.join(parts)


def stages_text(cap: CapInfo, lang: str) -> str:
    words = {'notify': t('notify', lang), 'deny': t('deny', lang)}
    return ', '.join(f'{words[s.action]} {share(Decimal(s.at_percent) / 100, lang)}' for s in cap.stages)


class ControlsDialog:
    """The controls of one team (``team``) or of the whole contract (``None``)."""

    def __init__(self, board: Board, team: int | None, lang: str) -> None:
        self.board, self.contract, self.team, self.lang = board, board.contract, team, lang
        self.teams = {b.team: b.team_name or '' for b in board.model.holders if b.team is not None}
        name = self.teams.get(team, '') if team is not None else self.contract.name
        self.title = t('Controls of {name}', lang, name=name)
        self.read_at = 0.0
        with dialog(self.title) as self.dialog, ui.card().classes('w-full max-w-2xl').mark('controls-dialog'):
            heading(self.title)
            if team is not None and self.contract.is_flex:
                heading(t('Products it may start', lang), 3, 'text-subtitle1 q-my-none')
                self.all_products = testable(
                    ui.checkbox(t('All products', lang), on_change=self._all_toggled), 'controls-all-products'
                )
                self.product_boxes = ui.column().classes('gap-0 q-pl-md').mark('controls-products')
                testable(
                    ui.button(t('Save the products', lang), on_click=self.save_products).props('no-caps outline'),
                    'controls-save-products',
                )
            heading(t('Caps', lang), 3, 'text-subtitle1 q-my-none')
            self.caps_box = ui.column().classes('w-full gap-2').props('aria-live=polite').mark('controls-caps')
            self._cap_form()
            self.message = ui.label().classes('text-negative text-body2').props('role=alert').mark('controls-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Close', lang), on_click=self.dialog.close).props('flat no-caps').mark('controls-close')
        self.dialog.on('hide', self.close)
        self._unsubscribe = board.model.updates.subscribe(self.on_update)

    def _cap_form(self) -> None:
        lang = self.lang
        heading(t('Add a cap', lang), 3, 'text-subtitle2 q-my-none')
        with ui.column().classes('w-full gap-2').mark('controls-add'):
            with ui.row().classes('w-full gap-2 items-end'):
                self.user = ui.input(t('User (empty: everyone)', lang)).props('outlined dense').mark('cap-user')
                self.product = (
                    ui.select({}, label=t('Product (empty: all)', lang), clearable=True)
                    .props('outlined dense options-dense')
                    .classes('min-w-[10rem]')
                    .mark('cap-product')
                )
                self.period = (
                    ui.select({'day': t('per day', lang), 'month': t('per month', lang)}, value='month',
                              label=t('Period', lang))
                    .props('outlined dense')
                    .mark('cap-period')
                )  # fmt: skip
                self.limit = testable(
                    ui.input(t('Limit', lang), placeholder=t('e.g. {example}', lang, example=number_example(lang))),
                    'cap-limit',
                ).props('outlined dense inputmode=decimal')
            with ui.row().classes('w-full gap-2 items-end'):
                self.notify_at = (
                    ui.number(t('Notify at (%)', lang), value=80, min=1, max=200, step=1)
                    .props('outlined dense')
                    .mark('cap-notify')
                )
                self.deny_at = (
                    ui.number(t('Deny at (%)', lang), value=100, min=1, max=200, step=1)
                    .props('outlined dense clearable')
                    .mark('cap-deny')
                )
                testable(ui.button(t('Add the cap', lang), on_click=self.add_cap).props('no-caps'), 'cap-add')
        self.replacing: int | None = None

    async def open(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        codes = [p.code for p in await list_products()]
        self.product.set_options({code: code for code in codes})
        if self.team is not None and self.contract.is_flex:
            allowed = (await lists.product_list(self.contract.id, self.team)).allowed
            self.all_products.value = allowed is None
            self.product_boxes.clear()
            with self.product_boxes:
                self.boxes = {
                    code: testable(ui.checkbox(code, value=allowed is None or code in allowed), f'product-{code}')
                    for code in codes
                }
            self.product_boxes.set_visibility(allowed is not None)
        await self.render()
        self.dialog.open()

    def _all_toggled(self) -> None:
        self.product_boxes.set_visibility(not self.all_products.value)

    async def save_products(self) -> None:
        if not await guard.allows(self.contract.id) or self.team is None:
            return
        chosen = None if self.all_products.value else [code for code, box in self.boxes.items() if box.value]
        try:
            await lists.set_product_list(self.contract.id, self.team, chosen)  # type: ignore[arg-type]
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        self.message.set_text('')
        ui.notify(t('Products saved.', self.lang), type='positive')

    async def render(self) -> None:
        """Read the caps again (their usage moves with the contract's), and show them."""
        self.read_at = time.monotonic()
        found = await caps_service.list_caps(self.contract.id)
        mine = [cap for cap in found if cap.team == self.team]
        lang = self.lang
        self.caps_box.clear()
        with self.caps_box:
            if not mine:
                ui.label(t('No cap yet.', lang)).classes('text-body2').mark('no-caps')
            for cap in mine:
                share_used = float(cap.used / cap.limit) if cap.limit else 0.0
                period = t('this month', lang) if cap.period == 'month' else t('today', lang)
                with testable(ui.element('article'), 'cap').classes(
                    'w-full q-pa-sm rounded-borders bg-grey-1 column gap-1'
                ):
                    ui.label(cap_scope(cap, self.teams, lang)).classes('text-body1')
                    used = t(
                        '{used} of {limit} {period}',
                        lang,
                        used=number(cap.used, lang),
                        limit=number(cap.limit, lang),
                        period=period,
                    )
                    ui.linear_progress(min(1.0, share_used), show_value=False, color='negative' if cap.denies()
                                       else 'primary').props(f'aria-label="{used}"')  # fmt: skip
                    with ui.row().classes('items-center gap-2 text-caption'):
                        ui.label(used).mark('cap-used')
                        if cap.stage is not None:
                            reached = t('stage reached: {percent}', lang, percent=share(Decimal(cap.stage) / 100, lang))
                            ui.label(reached).classes('text-negative' if cap.denies() else '').mark('cap-stage')
                        ui.label(t('resets {date}', lang, date=day(cap.resets_at, lang)))
                        ui.label(stages_text(cap, lang)).classes('text-grey-8')
                    with ui.row().classes('gap-1'):
                        change = ui.button(t('Change', lang), on_click=lambda c=cap: self.change(c))
                        testable(change, 'cap-change').props('flat dense no-caps color=primary')
                        delete = ui.button(t('Delete', lang), on_click=lambda c=cap: self.delete(c))
                        testable(delete, 'cap-delete').props('flat dense no-caps color=negative')

    def change(self, cap: CapInfo) -> None:
        """Fill the form with a cap: adding it replaces the cap."""
        self.replacing = cap.id
        self.user.value = cap.user or ''
        self.product.value = cap.product
        self.period.value = cap.period
        self.limit.value = number(cap.limit, self.lang)
        notify = [s.at_percent for s in cap.stages if s.action == 'notify']
        deny = [s.at_percent for s in cap.stages if s.action == 'deny']
        self.notify_at.value = notify[0] if notify else None
        self.deny_at.value = deny[0] if deny else None
        self.limit.run_method('focus')

    async def add_cap(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        lang = self.lang
        try:
            limit = parse_number(self.limit.value or '', lang)
        except ValueError:
            self.message.set_text(unreadable(self.limit.value or '', lang, unit='limit'))
            return
        stages = [
            {'at_percent': int(value), 'action': action}
            for value, action in ((self.notify_at.value, 'notify'), (self.deny_at.value, 'deny'))
            if value is not None
        ]
        try:
            await caps_service.create_cap(
                self.contract.id,
                team=self.team,
                user=(self.user.value or '').strip() or None,
                product=self.product.value or None,
                period=self.period.value,
                limit=limit,
                stages=stages,
            )
            if self.replacing is not None:
                await caps_service.delete_cap(self.contract.id, self.replacing)
        except LedgerError as error:
            self.message.set_text(refusal(error, lang))
            return
        self.replacing = None
        self.message.set_text('')
        await self.render()

    async def delete(self, cap: CapInfo) -> None:
        if not await guard.allows(self.contract.id):
            return
        try:
            await caps_service.delete_cap(self.contract.id, cap.id)
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        await self.render()

    def on_update(self, update: LiveUpdate) -> None:
        """The contract's usage moved: read the caps again, at most every ``REFRESH`` seconds."""
        if not update.holders or not self.dialog.value:
            return
        wait = max(0.0, REFRESH - (time.monotonic() - self.read_at))
        self.read_at = time.monotonic() + wait

        async def later() -> None:
            await asyncio.sleep(wait)
            if not self.dialog.is_deleted and self.dialog.value:
                await self.render()

        background_tasks.create(later(), name='controls refresh')

    def close(self) -> None:
        self._unsubscribe()
        self.dialog.delete()


async def open_controls(board: Board, team: int | None, lang: str) -> ControlsDialog:
    """Open a team's controls (or the contract's)."""
    shown = ControlsDialog(board, team, lang)
    await shown.open()
    return shown
