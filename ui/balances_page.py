"""The Balances page: one card per team (Flex) or one for the contract (cloud credits), live

The frame renders at once. The cards come from the contract's shared board (``ui.hub``): loaded by the first page
of the contract, then shared by reference, so that a page costs a handful of elements and no query of its own;
a change reaches every page in one broadcast. Dialogs and usage details are built when asked for.
"""

from nicegui import app, background_tasks, ui

from services import access, contracts
from services.balances import HolderBalance
from services.contracts import ContractInfo
from ui import dialogs
from ui.board import BalanceBoard
from ui.hub import SharedBoard, hub
from ui.i18n import LANGUAGES, t
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
        self.panels: dict[int | None, UsagePanel] = {}
        self.shared: SharedBoard | None = None
        with ui.header().classes('items-center gap-3 bg-white text-black shadow-sm'):
            ui.label(t('balances', self.lang)).classes('text-h6')
            options = {c.id: f'{c.name} · {c.region} · {t(c.mode, self.lang)}' for c in granted}
            ui.select(options, value=self.contract.id, on_change=self.switch_contract).props(
                'dense outlined options-dense'
            ).classes('min-w-[16rem]').mark('contract')
            ui.space()
            ui.toggle(LANGUAGES, value=self.lang, on_change=self.switch_language).props('dense no-caps').mark('lang')
            ui.label(admin.email).classes('text-caption gt-xs')
            ui.button(icon='logout', on_click=lambda: ui.navigate.to('/logout')).props('flat round dense').tooltip(
                t('sign_out', self.lang)
            )
        self.body = ui.column().classes('w-full max-w-screen-xl mx-auto gap-4 p-2')

    async def switch_contract(self, event: object) -> None:
        app.storage.user['contract'] = getattr(event, 'value', None)
        ui.navigate.reload()

    async def switch_language(self, event: object) -> None:
        app.storage.user['lang'] = getattr(event, 'value', 'en')
        ui.navigate.reload()

    async def load(self) -> None:
        if not hub.is_warm(self.contract.id, self.lang):
            # the first page of a contract loads its live model: the frame goes out now, the cards follow
            with self.body:
                spinner = ui.spinner(size='lg').classes('self-center').mark('loading')
            await ui.context.client.connected()
            spinner.delete()
        try:
            self.shared = shared = await hub.attach(self.contract, self.lang)
        except Exception as error:  # shown to the person, and logged by NiceGUI
            with self.body:
                ui.label(t('error', self.lang, error=error)).classes('text-negative').mark('error')
            raise
        ui.context.client.on_delete(lambda: background_tasks.create(hub.detach(shared), name='detach board'))
        with self.body:
            self.board = BalanceBoard(shared.view, shared.room, self.on_action).mark('board')
            self.details = ui.column().classes('w-full gap-4')

    def balance(self, team: int | None) -> HolderBalance:
        assert self.shared is not None
        return next(b for b in self.shared.model.holders if b.team == team)

    async def on_action(self, kind: str, team: int | None) -> None:
        balance = self.balance(team)
        if kind == 'events':
            await dialogs.show_token_events(self.contract.id, balance, self.lang)
        elif kind == 'assign':
            assert self.shared is not None
            teams = [contracts.TeamInfo(b.team, b.team_name or '') for b in self.shared.model.holders if b.team]
            await dialogs.assign_tokens(self.contract.id, balance, teams, self.lang)
        elif kind == 'details':
            await self.toggle_details(balance)

    async def toggle_details(self, balance: HolderBalance) -> None:
        if balance.team in self.panels:
            self.panels.pop(balance.team).close()
            return
        title = f'{t("usage_details_title", self.lang)} · {balance.team_name or self.contract.name}'
        assert self.shared is not None
        with self.details:
            panel = UsagePanel(self.shared, self.lang, team=balance.team, title=title)
        self.panels[balance.team] = panel
        await panel.reload()
        panel.card.run_method('$el.scrollIntoView', {'behavior': 'smooth', 'block': 'start'})


async def balances_page() -> None:
    admin_id = current_admin()
    lang = app.storage.user.get('lang', 'en')
    ui.page_title(t('balances', lang))
    ui.query('body').classes('bg-grey-2')
    if admin_id is None:
        ui.navigate.to('/login?redirect_to=/')
        return
    admin = await access.admin_info(admin_id)
    granted = await contracts.list_contracts(admin.contracts)
    if not granted:
        ui.label(t('no_contracts', lang)).classes('p-4').mark('empty')
        return
    view = BalancesView(admin, granted)
    await view.load()
