"""The Balances page: one card per team (Flex) or one for the contract (cloud credits), live

The frame renders first; the data loads right after. When the ledger of the shown contract changes (usage through
the API, the demo feed, a purchase, a transfer), ``services.bus`` tells the page and the cards update in place.
"""

from nicegui import app, ui

from services import access, bus, contracts
from services.balances import ContractBalances, HolderBalance, contract_balances
from services.contracts import ContractInfo
from services.usage import DailyTrend, daily_trend
from ui import dialogs
from ui.cards import HolderCard
from ui.i18n import LANGUAGES, moment, t
from ui.usage_panel import UsagePanel


def current_admin() -> int | None:
    return app.storage.user.get('admin_id')


class BalancesView:
    """The page's state and elements for one visitor."""

    def __init__(self, admin: access.AdminInfo, granted: list[ContractInfo]) -> None:
        self.granted = {contract.id: contract for contract in granted}
        chosen = app.storage.user.get('contract')
        self.contract: ContractInfo = self.granted.get(chosen, granted[0]) if isinstance(chosen, int) else granted[0]
        self.lang = app.storage.user.get('lang', 'en')
        self.cards: dict[int | None, HolderCard] = {}
        self.panels: dict[int | None, UsagePanel] = {}
        self.teams: list[contracts.TeamInfo] = []
        with ui.header().classes('items-center gap-3 bg-white text-black shadow-sm'):
            ui.label(t('balances', self.lang)).classes('text-h6')
            options = {c.id: f'{c.name} · {c.region} · {t(c.mode, self.lang)}' for c in granted}
            ui.select(options, value=self.contract.id, on_change=self.switch_contract).props(
                'dense outlined options-dense'
            ).classes('min-w-[16rem]').mark('contract')
            ui.space()
            self.updated = ui.label().classes('text-caption text-grey-7').mark('updated')
            ui.toggle(LANGUAGES, value=self.lang, on_change=self.switch_language).props('dense no-caps').mark('lang')
            ui.label(admin.email).classes('text-caption gt-xs')
            ui.button(icon='logout', on_click=lambda: ui.navigate.to('/logout')).props('flat round dense').tooltip(
                t('sign_out', self.lang)
            )
        self.body = ui.column().classes('w-full max-w-screen-xl mx-auto gap-4 p-2')
        bus.subscribe(self.on_ledger_change)

    async def switch_contract(self, event: object) -> None:
        app.storage.user['contract'] = getattr(event, 'value', None)
        ui.navigate.reload()

    async def switch_language(self, event: object) -> None:
        app.storage.user['lang'] = getattr(event, 'value', 'en')
        ui.navigate.reload()

    async def load(self) -> None:
        """Balances and trends are a few dozen rows (lots and daily rollups, not events): they come with the page."""
        try:
            balances = await contract_balances(self.contract.id)
            trend = await daily_trend(self.contract.id)
            self.teams = await contracts.list_teams(self.contract.id)
        except Exception as error:  # shown to the person, and logged by NiceGUI
            with self.body:
                ui.label(t('error', self.lang, error=error)).classes('text-negative').mark('error')
            raise
        self.render(balances, trend)

    def render(self, balances: ContractBalances, trend: DailyTrend) -> None:
        unit = 'flex' if self.contract.is_flex else 'cloud'
        with self.body:
            self.alert = ui.label().classes('w-full p-3 rounded bg-orange-1 text-orange-10').mark('alert')
            if self.contract.is_flex and not balances.balances:
                ui.label(t('no_teams', self.lang)).mark('empty')
            with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4 w-full'):
                for balance in balances.balances:
                    self.cards[balance.team] = HolderCard(
                        balance,
                        self.lang,
                        unit,
                        title=balance.team_name or self.contract.name,
                        on_events=self.open_events if self.contract.is_flex else None,
                        on_assign=self.open_assign if self.contract.is_flex and len(balances.balances) > 1 else None,
                        on_details=self.toggle_details,
                    )
            self.details = ui.column().classes('w-full gap-4')
        self.show(balances, trend)

    def show(self, balances: ContractBalances, trend: DailyTrend | None) -> None:
        for balance in balances.balances:
            if balance.team in self.cards:
                self.cards[balance.team].update(balance, trend)
        alerting = [b for b in balances.balances if b.alert]
        if self.contract.is_flex:
            self.alert.set_text(t('alert', self.lang, teams=', '.join(b.team_name or '' for b in alerting)))
        else:
            self.alert.set_text(t('alert_cloud', self.lang))
        self.alert.set_visibility(bool(alerting))
        self.updated.set_text(t('updated', self.lang, time=moment(balances.as_of, self.lang)))

    async def on_ledger_change(self, contract_id: int) -> None:
        if contract_id not in (self.contract.id, bus.EVERYTHING) or not self.cards:
            return
        self.show(await contract_balances(self.contract.id), None)  # the numbers first, in place
        trend = await daily_trend(self.contract.id)
        for card in self.cards.values():
            card.update(card.balance, trend)
        for panel in self.panels.values():
            await panel.reload()

    async def open_events(self, balance: HolderBalance) -> None:
        await dialogs.show_token_events(self.contract.id, balance, self.lang)

    async def open_assign(self, balance: HolderBalance) -> None:
        await dialogs.assign_tokens(self.contract.id, balance, self.teams, self.lang)

    async def toggle_details(self, balance: HolderBalance) -> None:
        if balance.team in self.panels:
            self.panels.pop(balance.team).card.delete()
            return
        title = f'{t("usage_details_title", self.lang)} · {balance.team_name or self.contract.name}'
        with self.details:
            panel = UsagePanel(self.contract.id, self.contract.timezone, self.lang, team=balance.team, title=title)
        self.panels[balance.team] = panel
        await panel.reload()
        panel.card.run_method('scrollIntoView', {'behavior': 'smooth'})


async def balances_page() -> None:
    admin_id = current_admin()
    if admin_id is None:
        ui.navigate.to('/login?redirect_to=/')
        return
    admin = await access.admin_info(admin_id)
    granted = await contracts.list_contracts(admin.contracts)
    ui.page_title(t('balances', app.storage.user.get('lang', 'en')))
    ui.query('body').classes('bg-grey-2')
    if not granted:
        ui.label(t('no_contracts', app.storage.user.get('lang', 'en'))).classes('p-4').mark('empty')
        return
    view = BalancesView(admin, granted)
    await view.load()
