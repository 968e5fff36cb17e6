"""The Balances page: one card per team (Flex) or one for the contract (cloud credits), live

The frame renders at once. The cards come from the contract's shared board (``ui.hub``): loaded by the first page
of the contract, then shared by reference, so that a page costs a handful of elements and no query of its own;
a change reaches every page in one broadcast. Dialogs and usage details are built when asked for.
"""

from nicegui import app, background_tasks, ui
from nicegui.events import ValueChangeEventArguments

from services.accounts import admins, contracts
from services.accounts.contracts import ContractInfo
from services.reading.balances import HolderBalance
from ui import dialogs
from ui.board import BalanceBoard
from ui.frame import frame, language
from ui.guard import guard, signed_in_admin
from ui.hub import SharedBoard, hub
from ui.i18n import t
from ui.usage_panel import UsagePanel


class BalancesView:
    """The page's state and elements for one visitor."""

    def __init__(self, admin: admins.AdminInfo, granted: list[ContractInfo]) -> None:
        self.granted = {contract.id: contract for contract in granted}
        chosen = app.storage.user.get('contract')
        self.contract: ContractInfo = self.granted.get(chosen, granted[0]) if isinstance(chosen, int) else granted[0]
        self.lang = language()
        self.panels: dict[int | None, UsagePanel] = {}
        self._shared: SharedBoard | None = None
        with frame(self.lang, signed_in_as=admin.email) as page, page.controls:
            options = {c.id: f'{c.name} · {c.region} · {t(c.mode, self.lang)}' for c in granted}
            ui.select(options, value=self.contract.id, on_change=self.switch_contract).props(
                'dense outlined options-dense'
            ).classes('min-w-[16rem]').mark('contract')
        self.body = page.body

    async def switch_contract(self, event: ValueChangeEventArguments) -> None:
        if not await guard.allows(event.value):
            return
        app.storage.user['contract'] = event.value
        ui.navigate.reload()

    async def load(self) -> None:
        if not hub.is_warm(self.contract.id, self.lang):
            # the first page of a contract loads its live model: the frame goes out now, the cards follow
            with self.body:
                spinner = ui.spinner(size='lg').classes('self-center').mark('loading')
            await ui.context.client.connected()
            if ui.context.client.is_deleted:  # pruned while it waited: load nothing for it (its app run may be over)
                return
            spinner.delete()
        try:
            self._shared = shared = await hub.attach(self.contract, self.lang)
        except Exception as error:  # shown to the person, and logged by NiceGUI
            with self.body:
                ui.label(t('error', self.lang, error=error)).classes('text-negative').mark('error')
            raise
        ui.context.client.on_delete(lambda: background_tasks.create(hub.detach(shared), name='detach board'))
        with self.body:
            self.board = BalanceBoard(shared.view, shared.room, self.on_action).mark('board')
            self.details = ui.column().classes('w-full gap-4')

    @property
    def shared(self) -> SharedBoard:
        """The contract's shared board (the page's actions come after it is loaded)."""
        if self._shared is None:
            raise RuntimeError('the board is not loaded yet')
        return self._shared

    def balance(self, team: int | None) -> HolderBalance:
        return next(b for b in self.shared.model.holders if b.team == team)

    async def on_action(self, kind: str, team: int | None) -> None:
        if not await guard.allows(self.contract.id):
            return
        balance = self.balance(team)
        if kind == 'events':
            await dialogs.show_token_events(self.contract.id, balance, self.lang)
        elif kind == 'assign':
            teams = [contracts.TeamInfo(b.team, b.team_name or '') for b in self.shared.model.holders if b.team]
            await dialogs.assign_tokens(self.contract.id, balance, teams, self.lang)
        elif kind == 'details':
            await self.toggle_details(balance)

    async def toggle_details(self, balance: HolderBalance) -> None:
        if balance.team in self.panels:
            self.panels.pop(balance.team).close()
            return
        title = f'{t("usage_details_title", self.lang)} · {balance.team_name or self.contract.name}'
        with self.details:
            panel = UsagePanel(self.shared, self.lang, team=balance.team, title=title)
        self.panels[balance.team] = panel
        await panel.reload()
        ui.run_javascript(f'getHtmlElement({panel.card.id}).scrollIntoView({{behavior: "smooth", block: "start"}})')


async def balances_page() -> None:
    admin = signed_in_admin()
    if admin is None:  # the guard (ui.guard) sends such requests to sign in first; a page is never built for them
        ui.navigate.to('/login')
        return
    guard.watch()
    granted = await contracts.list_contracts(admin.contracts)
    if not granted:
        with frame(language(), signed_in_as=admin.email) as page, page.body:
            ui.label(t('no_contracts', language())).classes('p-4').mark('empty')
        return
    view = BalancesView(admin, granted)
    await view.load()
