"""Dialogs of a team: its token events, and assigning tokens to another team (preview, then confirm)"""

import uuid

from nicegui import ui

from services import ledger
from services.accounts.contracts import TeamInfo
from services.domain.errors import LedgerError
from services.reading.balances import HolderBalance
from services.reading.timeline import token_events
from ui.guard import guard
from ui.i18n import day, number, t


async def show_token_events(contract_id: int, balance: HolderBalance, lang: str) -> None:
    """Purchases, expirations and assignments of the last 90 days, newest first."""
    events = await token_events(contract_id, team=balance.team)
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-xl').mark('events-dialog'):
        ui.label(f'{t("token_events", lang)} · {balance.team_name or ""}').classes('text-h6')
        if not events:
            ui.label(t('no_events', lang))
        else:
            rows = []
            for event in events:
                what = t(event.type, lang, team=event.counterparty_team_name or '')
                rows.append({'date': day(event.date, lang), 'event': what, 'quantity': number(event.quantity, lang)})
            columns = [
                {'name': key, 'label': t(key, lang), 'field': key, 'align': 'left' if key != 'quantity' else 'right'}
                for key in ('date', 'event', 'quantity')
            ]
            ui.table(columns=columns, rows=rows).props('flat dense').classes('w-full')
        ui.button(t('close', lang), on_click=dialog.close).props('flat')
    dialog.open()


async def assign_tokens(contract_id: int, balance: HolderBalance, teams: list[TeamInfo], lang: str) -> None:
    """Choose a team and a quantity, see which quantities and expiry dates would move, then confirm."""
    others = {team.id: team.name for team in teams if team.id != balance.team}
    request_id = str(uuid.uuid4())  # one id per dialog: a double click on confirm cannot assign twice
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md').mark('assign-dialog'):
        ui.label(f'{t("assign", lang)} · {balance.team_name}').classes('text-h6')
        target = ui.select(others, label=t('to_team', lang)).classes('w-full').mark('assign-team')
        quantity = ui.input(t('quantity', lang)).classes('w-full').mark('assign-quantity')
        preview = ui.column().classes('gap-0').mark('assign-preview')
        message = ui.label().classes('text-negative').mark('assign-error')

        def request() -> tuple[int, str] | None:
            message.set_text('')
            if target.value is None or not quantity.value:
                return None
            return target.value, quantity.value.strip().replace(',', '.').replace(' ', '')

        async def show_preview() -> None:
            if not await guard.allows(contract_id):
                return
            chosen = request()
            preview.clear()
            if chosen is None:
                return
            try:
                moves = await ledger.preview_transfer(
                    contract_id, from_team=balance.team or 0, to_team=chosen[0], quantity=chosen[1]
                )
            except LedgerError as error:
                message.set_text(error.message)
                return
            with preview:
                ui.label(t('preview', lang)).classes('text-caption text-grey-7')
                for move in moves:
                    ui.label(
                        t(
                            'would_move',
                            lang,
                            quantity=number(move.quantity, lang),
                            date=day(move.expires_at.date(), lang),
                        )
                    )

        async def confirm() -> None:
            if not await guard.allows(contract_id):
                return
            chosen = request()
            if chosen is None:
                return
            try:
                result = await ledger.transfer(
                    contract_id,
                    client_id=request_id,
                    from_team=balance.team or 0,
                    to_team=chosen[0],
                    quantity=chosen[1],
                )
            except LedgerError as error:
                message.set_text(error.message)
                return
            ui.notify(
                t('assigned', lang, quantity=number(result.quantity, lang), team=others[chosen[0]]), type='positive'
            )
            dialog.close()

        target.on_value_change(show_preview)
        quantity.on('blur', show_preview)
        quantity.on('keydown.enter', show_preview)
        with ui.row().classes('w-full justify-end'):
            ui.button(t('cancel', lang), on_click=dialog.close).props('flat')
            ui.button(t('preview', lang), on_click=show_preview).props('flat').mark('assign-preview-button')
            ui.button(t('confirm', lang), on_click=confirm).mark('assign-confirm')
    dialog.open()
