"""Assigning tokens to another team: choose, preview what moves, confirm, and undo if it was a mistake

Nothing moves before the confirmation, which restates the quantity, the two teams and the expiry dates that move.
After it, "Undo" assigns the same lots back (a new transfer, recorded as the undoing of the first). Quantities are
read as the person's locale writes them; an ambiguous one ("1.500" in French) is refused with the expected form.
"""

import hashlib
import uuid
from decimal import Decimal

from nicegui import ui

from services import ledger
from services.accounts.contracts import TeamInfo
from services.domain.errors import LedgerError
from services.ledger import LotMove
from services.reading.balances import HolderBalance
from services.reading.live import LiveContract, LiveUpdate
from ui.frame import dialog, heading, testable
from ui.guard import guard
from ui.i18n import day, number, number_example, parse_number, t
from ui.messages import refusal, unreadable


def moves_text(moves: tuple[LotMove, ...], lang: str) -> str:
    return '; '.join(
        t('{quantity} expiring {date}', lang, quantity=number(m.quantity, lang), date=day(m.expires_at.date(), lang))
        for m in moves
    )


class AssignDialog:
    """The dialog of one source team; ``target`` and ``quantity`` pre-fill it (a suggestion), and preview at once."""

    def __init__(
        self,
        contract_id: int,
        balance: HolderBalance,
        teams: list[TeamInfo],
        lang: str,
        *,
        made_by: str,
        target: int | None = None,
        quantity: Decimal | None = None,
        live: LiveContract | None = None,
    ) -> None:
        """``live``: the contract's live model, so that what the dialog says is available stays current."""
        self.contract_id, self.balance, self.lang, self.made_by = contract_id, balance, lang, made_by
        self.others = {team.id: team.name for team in teams if team.id != balance.team}
        self.request_id = str(uuid.uuid4())  # one per confirmation: a double click cannot assign twice
        self.chosen: tuple[int, Decimal] | None = None
        title = t('Assign tokens of {team} to another team', lang, team=balance.team_name or '')
        with dialog(title) as self.dialog, ui.card().classes('w-full max-w-lg').mark('assign-dialog'):
            heading(title)
            self.available = ui.label().classes('text-body2').mark('assign-available')
            self._show_available()
            with ui.column().classes('w-full gap-2') as self.form:
                self.target = (
                    ui.select(self.others, label=t('To team', lang), value=target)
                    .props('outlined autofocus')
                    .classes('w-full')
                    .mark('assign-team')
                )
                self.quantity = (
                    ui.input(
                        t('Quantity', lang),
                        value=number(quantity, lang) if quantity else '',
                        placeholder=t('e.g. {example}', lang, example=number_example(lang)),
                    )
                    .props('outlined inputmode=decimal')
                    .classes('w-full')
                    .mark('assign-quantity')
                )
                self.quantity.on('keydown.enter', self.preview)
            self.preview_box = ui.column().classes('gap-1 w-full').props('aria-live=polite').mark('assign-preview')
            self.message = ui.label().classes('text-negative text-body2').props('role=alert').mark('assign-error')
            with ui.row().classes('w-full justify-end gap-2') as self.buttons:
                ui.button(t('Cancel', lang), on_click=self.dialog.close).props('flat no-caps').mark('assign-cancel')
                self.preview_button = testable(
                    ui.button(t('Preview', lang), on_click=self.preview).props('no-caps'), 'assign-preview-button'
                )
                self.confirm_button = (
                    ui.button(t('Assign', lang), on_click=self.confirm)
                    .props('no-caps color=primary')
                    .mark('assign-confirm')
                )
                self.confirm_button.set_visibility(False)
        if live is not None:
            unsubscribe = live.updates.subscribe(self.on_update)
            self.dialog.on_value_change(lambda event: None if event.value else unsubscribe())
            ui.context.client.on_delete(unsubscribe)
        self.dialog.open()
        if target is not None and quantity is not None:
            ui.timer(0, self.preview, once=True)

    def _show_available(self) -> None:
        available = number(self.balance.available, self.lang)
        self.available.set_text(t('{available} tokens available', self.lang, available=available))

    def on_update(self, update: LiveUpdate) -> None:
        """The source team's numbers moved: say what is available now."""
        for state in update.holders:
            if state.team == self.balance.team and state.balance != self.balance:
                self.balance = state.balance
                self._show_available()

    def _read(self) -> tuple[int, Decimal] | None:
        self.message.set_text('')
        if self.target.value is None or not (self.quantity.value or '').strip():
            self.message.set_text(t('Choose a team and type a quantity.', self.lang))
            return None
        try:
            quantity = parse_number(self.quantity.value, self.lang)
        except ValueError:
            self.message.set_text(unreadable(self.quantity.value or '', self.lang))
            return None
        return int(self.target.value), quantity

    async def preview(self) -> None:
        """Show what would move, and ask for the confirmation."""
        if not await guard.allows(self.contract_id):
            return
        self.preview_box.clear()
        self.confirm_button.set_visibility(False)
        chosen = self._read()
        if chosen is None:
            return
        try:
            moves = await ledger.preview_transfer(
                self.contract_id, from_team=self.balance.team or 0, to_team=chosen[0], quantity=chosen[1]
            )
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        self.chosen = chosen
        with self.preview_box:
            ui.label(
                t(
                    'Assign {quantity} tokens from {source} to {target}?',
                    self.lang,
                    quantity=number(chosen[1], self.lang),
                    source=self.balance.team_name or '',
                    target=self.others[chosen[0]],
                )
            ).classes('text-body1 text-weight-medium').mark('assign-question')
            ui.label(t('Their expiry dates move with them: {moves}.', self.lang, moves=moves_text(moves, self.lang)))
        self.confirm_button.set_visibility(True)
        ui.run_javascript(f'requestAnimationFrame(() => document.getElementById("c{self.confirm_button.id}")?.focus())')

    async def confirm(self) -> None:
        if not await guard.allows(self.contract_id):
            return
        if self.chosen is None or self._read() != self.chosen:  # changed since the preview: preview again
            await self.preview()
            return
        target, quantity = self.chosen
        try:
            result = await ledger.transfer(
                self.contract_id,
                client_id=self.request_id,
                from_team=self.balance.team or 0,
                to_team=target,
                quantity=quantity,
                made_by=self.made_by,
            )
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        self.done(result.id, result.quantity, self.others[target], result.lots)

    def done(self, transfer_id: str, quantity: Decimal, target: str, moves: tuple[LotMove, ...]) -> None:
        """The assignment is recorded: say so, and offer to undo it."""
        text = t('{quantity} tokens assigned to {team}.', self.lang, quantity=number(quantity, self.lang), team=target)
        ui.notify(text, type='positive')
        self.form.set_visibility(False)
        self.preview_box.clear()
        with self.preview_box:
            ui.label(text).classes('text-body1 text-positive').mark('assign-done')
            ui.label(t('Their expiry dates moved with them: {moves}.', self.lang, moves=moves_text(moves, self.lang)))
        self.buttons.clear()
        with self.buttons:
            ui.button(t('Undo', self.lang), icon='undo', on_click=lambda: self.undo(transfer_id)).props(
                'flat no-caps'
            ).mark('assign-undo')
            ui.button(t('Close', self.lang), on_click=self.dialog.close).props('no-caps autofocus').mark('assign-close')

    async def undo(self, transfer_id: str) -> None:
        if not await guard.allows(self.contract_id):
            return
        try:
            result = await undo(self.contract_id, transfer_id, self.made_by)
        except LedgerError as error:
            self.message.set_text(refusal(error, self.lang))
            return
        text = t(
            'Undone: {quantity} tokens assigned back to {team}.',
            self.lang,
            quantity=number(result.quantity, self.lang),
            team=self.balance.team_name or '',
        )
        ui.notify(text, type='info')
        self.dialog.close()


async def undo(contract_id: int, transfer_id: str, made_by: str) -> ledger.TransferResult:
    """Undo an assignment (the page's one way to do it, from this dialog or from the token events)."""
    digest = hashlib.sha256(transfer_id.encode()).hexdigest()[:40]  # the same id for every click: undone once
    return await ledger.undo_transfer(contract_id, client_id=f'undo-{digest}', transfer=transfer_id, made_by=made_by)
