"""The alerts bell: how many crossings came since this administrator last looked, live; the history (firing and
resolved, when, which team, the numbers, each delivery's status); and the rules (``ui.rules``)

The ids of the newest alerts are read once per change for every page of the contract (``ui.boards``); each page
counts those after the last one its administrator saw, and reads the alerts themselves when its bell is opened.
"""

from nicegui import ui

from services.alerts.history import AlertInfo, last_seen, latest_alerts, mark_seen
from services.alerts.messages import summary
from ui.boards import Board
from ui.frame import dialog, heading, testable
from ui.guard import guard
from ui.header import AppHeader
from ui.i18n import t, tn, when
from ui.rules import RulesEditor


def delivery_text(channel: str, target: str, status: str, attempts: int, error: str | None, lang: str) -> str:
    what = (
        t('E-mail to {target}', lang, target=target)
        if channel == 'email'
        else t('Webhook {target}', lang, target=target)
    )
    state = {'sent': t('sent', lang), 'failed': t('failed', lang), 'pending': t('pending', lang)}.get(status, status)
    tries = tn('{count} attempt', '{count} attempts', attempts, lang)
    if status == 'failed' and error and 'BALANCES_SMTP_URL' in error:
        state = t('not sent: no mail server is configured', lang)
    return f'{what} · {state} · {tries}'


class AlertsBell:
    """The bell in the header, and the dialog it opens (built when first opened: most pages never open it)."""

    def __init__(self, board: Board, header: AppHeader, lang: str, admin_id: int, seen: int) -> None:
        self.board, self.header, self.lang, self.admin_id, self.seen = board, header, lang, admin_id, seen
        self.contract = board.contract
        self.alerts: tuple[AlertInfo, ...] = ()
        self.dialog: ui.dialog | None = None
        self.refresh()
        ui.context.client.on_delete(board.alerts_changed.subscribe(self.on_alerts))

    @classmethod
    async def start(cls, board: Board, header: AppHeader, lang: str, admin_id: int) -> 'AlertsBell':
        """The bell of this page's administrator."""
        return cls(board, header, lang, admin_id, await last_seen(admin_id, board.contract.id))

    def build(self) -> ui.dialog:
        lang, contract = self.lang, self.contract
        teams = {b.team: b.team_name or '' for b in self.board.model.holders if b.team is not None}
        with self.header.client.content:
            self.dialog = dialog(t('Alerts of {contract}', lang, contract=contract.name))
        with self.dialog, ui.card().classes('w-full max-w-3xl').mark('alerts-dialog'):
            heading(t('Alerts of {contract}', lang, contract=contract.name))
            with ui.tabs().props('no-caps align=left') as tabs:
                history_tab = ui.tab('history', t('History', lang)).mark('alerts-history-tab')
                rules_tab = testable(ui.tab('rules', t('Rules', lang)), 'alerts-rules-tab')
            with ui.tab_panels(tabs, value=history_tab).classes('w-full'):
                with ui.tab_panel(history_tab).classes('q-pa-none q-pt-sm'):
                    self.history = ui.column().classes('w-full gap-2').mark('alerts-history')
                with ui.tab_panel(rules_tab).classes('q-pa-none q-pt-sm'):
                    self.rules = RulesEditor(contract, lang, teams)
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Close', lang), on_click=self.dialog.close).props('flat no-caps').mark('alerts-close')
        return self.dialog

    @property
    def unread(self) -> int:
        return sum(1 for alert in self.board.alert_ids if alert > self.seen)

    def refresh(self) -> None:
        """Show the count of unread alerts on the bell."""
        count = self.unread
        shown = f'{count}+' if count and count == len(self.board.alert_ids) and count >= 30 else str(count)
        label = tn('Alerts: {count} unread', 'Alerts: {count} unread', count, self.lang)
        self.header.bell(shown if count else '', label, self.open)

    async def on_alerts(self, _: None) -> None:
        self.refresh()
        if self.dialog is not None and self.dialog.value:
            self.alerts = await latest_alerts(self.contract.id)
            self.render()

    def render(self) -> None:
        lang, contract = self.lang, self.contract
        self.history.clear()
        with self.history:
            if not self.alerts:
                ui.label(t('No alert yet.', lang)).mark('no-alerts')
            for alert in self.alerts:
                firing = alert.state == 'firing'
                with (
                    ui.element('article').classes('w-full q-pa-sm rounded-borders bg-grey-1 column gap-1').mark('alert')
                ):
                    with ui.row().classes('items-center gap-2'):
                        ui.badge(
                            t('firing', lang) if firing else t('resolved', lang),
                            color='negative' if firing else 'positive',
                        )
                        ui.label(when(alert.at, lang, contract.timezone)).classes('text-caption')
                        if alert.id > self.seen:
                            ui.label(t('new', lang)).classes('text-caption text-weight-bold text-primary')
                    ui.label(summary(alert.crossing(contract), lang)).classes('text-body2')
                    for delivery in alert.deliveries:
                        ui.label(
                            delivery_text(
                                delivery.channel,
                                delivery.target,
                                delivery.status,
                                delivery.attempts,
                                delivery.last_error,
                                lang,
                            )
                        ).classes('text-caption text-grey-8')

    async def open(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        shown = self.dialog or self.build()
        self.alerts = await latest_alerts(self.contract.id)
        self.render()
        await self.rules.load()
        shown.open()
        newest = max((alert.id for alert in self.alerts), default=0)
        if newest > self.seen:
            await mark_seen(self.admin_id, self.contract.id, newest)
            self.seen = newest
            self.refresh()
