"""The alerts bell: how many crossings came since this administrator last looked, live; the history (firing and
resolved, when, which team, the numbers, each delivery's status), under today's refusal streaks (someone the
controls keep stopping, with a way to the refusals); and the rules (``ui.rules``)

The ids of the newest alerts are read once per change for every page of the contract (``ui.boards``); each page
counts those after the last one its administrator saw, and reads the alerts themselves when its bell is opened.
"""

from collections.abc import Awaitable, Callable

from nicegui import app, ui
from nicegui.events import ValueChangeEventArguments

from services.alerts.history import AlertInfo, last_seen, latest_alerts, mark_seen
from services.alerts.messages import summary
from services.controls import entitlement
from ui.boards import Board
from ui.frame import dialog, heading, testable
from ui.guard import guard
from ui.header import AppHeader
from ui.i18n import integer, t, tn, when
from ui.refusals import reasons
from ui.rules import RulesEditor

PAGE = 20  # alerts a page of the history shows, and each "Show older alerts" adds


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

    def __init__(
        self,
        board: Board,
        header: AppHeader,
        lang: str,
        admin_id: int,
        seen: int,
        show_refusals: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.board, self.header, self.lang, self.admin_id, self.seen = board, header, lang, admin_id, seen
        self.contract = board.contract
        self.show_refusals = show_refusals
        self.alerts: tuple[AlertInfo, ...] = ()
        self.team: int | None = None  # the history of one team only
        self.has_older = False
        self.streaks: list[entitlement.RefusalCount] = []
        self.dialog: ui.dialog | None = None
        self.refresh()
        ui.context.client.on_delete(board.alerts_changed.subscribe(self.on_alerts))

    @classmethod
    async def start(
        cls,
        board: Board,
        header: AppHeader,
        lang: str,
        admin_id: int,
        show_refusals: Callable[[], Awaitable[None]] | None = None,
    ) -> 'AlertsBell':
        """The bell of this page's administrator; ``show_refusals`` opens the refusals of the page."""
        return cls(board, header, lang, admin_id, await last_seen(admin_id, board.contract.id), show_refusals)

    async def read(self) -> None:
        """The newest alerts (as many as are shown, a page at least), and today's refusal streaks (someone the
        controls keep stopping)."""
        shown = max(PAGE, len(self.alerts))
        self.alerts = await latest_alerts(self.contract.id, shown, team=self.team)
        self.has_older = len(self.alerts) == shown
        self.streaks = await entitlement.streaks(self.contract, counted=getattr(app.state, 'refusals', None))

    async def show_older(self) -> None:
        """The next page of the history."""
        if not self.alerts or not await guard.allows(self.contract.id):
            return
        older = await latest_alerts(self.contract.id, PAGE, before=self.alerts[-1].id, team=self.team)
        self.alerts += older
        self.has_older = len(older) == PAGE
        self.render()

    async def choose_team(self, event: ValueChangeEventArguments) -> None:
        if not await guard.allows(self.contract.id):
            return
        self.team = int(event.value) or None
        self.alerts = ()
        await self.read()
        self.render()

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
                with ui.tab_panel(history_tab).classes('q-pa-none q-pt-sm column gap-2'):
                    if teams:
                        shown = {0: t('All teams', lang), **dict(sorted(teams.items(), key=lambda item: item[1]))}
                        ui.select(shown, value=0, label=t('Team', lang), on_change=self.choose_team).props(
                            'outlined dense options-dense'
                        ).classes('w-full max-w-xs').mark('alerts-team')
                    self.history = ui.column().classes('w-full gap-2').mark('alerts-history')
                    self.older = testable(
                        ui.button(t('Show older alerts', lang), on_click=self.show_older), 'alerts-more'
                    ).props('flat no-caps color=primary')
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
            await self.read()
            self.render()

    def render(self) -> None:
        lang, contract = self.lang, self.contract
        self.older.set_visibility(self.has_older)
        self.history.clear()
        with self.history:
            if self.streaks:
                self._streaks()
            if not self.alerts:
                ui.label(t('No alert yet.', lang) if self.team is None else t('No alert for this team.', lang)).mark(
                    'no-alerts'
                )
            for alert in self.alerts:
                firing, crossing = alert.state == 'firing', alert.crossing(contract)
                with (
                    ui.element('article').classes('w-full q-pa-sm rounded-borders bg-grey-1 column gap-1').mark('alert')
                ):
                    with ui.row().classes('items-center gap-2'):
                        if crossing.lost:  # tokens were lost, not recovered: never the green of good news
                            ui.badge(t('expired', lang), color='negative')
                        else:
                            ui.badge(
                                t('firing', lang) if firing else t('resolved', lang),
                                color='negative' if firing else 'positive',
                            )
                        ui.label(when(alert.at, lang, contract.timezone)).classes('text-caption')
                        if alert.id > self.seen:
                            ui.label(t('new', lang)).classes('text-caption text-weight-bold text-primary')
                    ui.label(summary(crossing, lang)).classes('text-body2')
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

    def _streaks(self) -> None:
        lang, words = self.lang, reasons(self.lang)
        with ui.element('article').classes('w-full q-pa-sm rounded-borders bg-orange-1 column gap-1').mark('streaks'):
            with ui.row().classes('items-center gap-2'):
                ui.badge(t('refused', lang), color='warning', text_color='white')
                ui.label(t('Refused again and again today', lang)).classes('text-body2 text-weight-medium')
            for row in self.streaks:
                text = t(
                    '{user} could not start {product} {count} times: {reason}',
                    lang,
                    user=row.user,
                    product=row.product,
                    count=integer(row.count, lang),
                    reason=words.get(row.reason, row.reason),
                )
                ui.label(text).classes('text-body2').mark('streak')
            if self.show_refusals is not None:
                testable(ui.button(t('See the refusals', lang), on_click=self._to_refusals), 'streaks-refusals').props(
                    'flat dense no-caps color=primary'
                ).classes('self-start')

    async def _to_refusals(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
        if self.show_refusals is not None:
            await self.show_refusals()

    async def open(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        shown = self.dialog or self.build()
        await self.read()
        self.render()
        await self.rules.load()
        shown.open()
        newest = max((alert.id for alert in self.alerts), default=0)
        if newest > self.seen:
            await mark_seen(self.admin_id, self.contract.id, newest)
            self.seen = newest
            self.refresh()
