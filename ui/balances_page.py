"""The Balances page: a summary and one card per team (Flex) or one for the contract (cloud credits), live

The frame renders at once. The cards come from the contract's shared board (``ui.hub``): loaded by the first page
of the contract, then shared by reference, so that a page costs a handful of elements and no query of its own;
a change reaches every page in one broadcast. Dialogs and usage details are built when asked for.
"""

from collections.abc import Sequence

from nicegui import app, background_tasks, ui
from nicegui.events import ValueChangeEventArguments

from services.accounts import admins, contracts
from services.accounts.contracts import ContractInfo
from services.reading.balances import HolderBalance
from services.reading.exports import Table
from services.reading.forecast import Suggestion
from ui.alerts import bell
from ui.assign import AssignDialog
from ui.board import BalanceBoard
from ui.exports import balances_table, download_menu
from ui.frame import frame, heading, language, testable
from ui.guard import guard, signed_in_admin
from ui.history import HistoryDialog
from ui.hub import SharedBoard, hub
from ui.i18n import t
from ui.suggestions import SuggestionsPanel
from ui.usage_panel import UsagePanel

WARMING_WAIT = 1.0  # seconds a page waits for its board being loaded since its sign-in, rather than follow it


def mode_text(contract: ContractInfo, lang: str) -> str:
    return t('Flex tokens', lang) if contract.is_flex else t('Shared cloud credits', lang)


class BalancesView:
    """The page's state and elements for one visitor."""

    def __init__(self, admin: admins.AdminInfo, granted: list[ContractInfo], lang: str) -> None:
        self.admin = admin
        self.granted = {contract.id: contract for contract in granted}
        chosen = app.storage.user.get('contract')
        self.contract: ContractInfo = self.granted.get(chosen, granted[0]) if isinstance(chosen, int) else granted[0]
        self.lang = lang
        self.panels: dict[int | None, UsagePanel] = {}
        self._shared: SharedBoard | None = None
        with frame(self.lang, signed_in_as=admin.email, admin_id=admin.id) as page:
            with page.controls:
                options = {c.id: f'{c.name} · {c.region} · {mode_text(c, lang)}' for c in granted}
                ui.select(
                    options, value=self.contract.id, on_change=self.switch_contract, label=t('Contract', lang)
                ).props('dense outlined options-dense').classes('min-w-[16rem]').mark('contract')
            self.tools = page.tools
            with page.body:
                heading(f'{self.contract.name} · {mode_text(self.contract, lang)}', 1, 'text-h5 q-my-none')
        self.body = page.body

    async def switch_contract(self, event: ValueChangeEventArguments) -> None:
        if not await guard.allows(event.value):
            return
        app.storage.user['contract'] = event.value
        ui.navigate.reload()

    async def load(self) -> None:
        run = hub.run
        if not await hub.ready(self.contract.id, self.lang, within=WARMING_WAIT):
            # the first page of a contract loads its live model: the frame goes out now, the cards follow
            with self.body:
                spinner = ui.spinner(size='lg').classes('self-center').mark('loading')
            await ui.context.client.connected()
            if ui.context.client.is_deleted:  # pruned while it waited: load nothing for it (its app run may be over)
                return
            spinner.delete()
        if not hub.loads(run):  # the app is stopping (or this page outlived the run of the app it was built in)
            return
        try:
            self._shared = shared = await hub.attach(self.contract, self.lang)
        except Exception as error:  # shown to the person, and logged by NiceGUI
            with self.body:
                ui.label(t('The balances could not be loaded. Reload the page to try again.', self.lang)).classes(
                    'text-negative'
                ).mark('error')
            raise error
        ui.context.client.on_delete(lambda: background_tasks.create(hub.detach(shared), name='detach board'))
        with self.tools:
            (await bell(shared, self.lang, self.admin.id)).button.move(self.tools, target_index=0)
        with self.body:
            with ui.row().classes('w-full justify-end gap-2'):
                download_menu(
                    self.lang,
                    'balances',
                    self._export_balances,
                    marker='download-balances',
                    label=t('Download balances', self.lang),
                )
            self.board = BalanceBoard(shared.view, shared.room, self.on_action).mark('board')
            if self.contract.is_flex:
                SuggestionsPanel(shared, self.lang, self.review)
            with ui.row().classes('w-full'):
                details = ui.button(
                    t('Usage details of the contract', self.lang), icon='bar_chart', on_click=self.contract_details
                ).props('flat no-caps color=primary')
                testable(details, 'contract-details')
            self.details = ui.column().classes('w-full gap-4')

    @property
    def shared(self) -> SharedBoard:
        """The contract's shared board (the page's actions come after it is loaded)."""
        if self._shared is None:
            raise RuntimeError('the board is not loaded yet')
        return self._shared

    def balance(self, team: int | None) -> HolderBalance:
        return next(b for b in self.shared.model.holders if b.team == team)

    def teams(self) -> list[contracts.TeamInfo]:
        return [contracts.TeamInfo(b.team, b.team_name or '') for b in self.shared.model.holders if b.team]

    async def on_action(self, kind: str, team: int | None) -> None:
        if not await guard.allows(self.contract.id):
            return
        balance = self.balance(team)
        if kind == 'history':
            await HistoryDialog(
                self.contract.id,
                self.contract.name,
                self.contract.timezone,
                balance,
                self.lang,
                flex=self.contract.is_flex,
                made_by=self.admin.email,
            ).open()
        elif kind == 'assign':
            AssignDialog(self.contract.id, balance, self.teams(), self.lang, made_by=self.admin.email)
        elif kind == 'details':
            await self.toggle_details(balance.team, balance.team_name or self.contract.name)

    async def review(self, suggestion: Suggestion) -> None:
        """A suggestion, opened in the assign dialog: filled in, previewed, waiting for the confirmation."""
        if not await guard.allows(self.contract.id):
            return
        AssignDialog(
            self.contract.id,
            self.balance(suggestion.from_team),
            self.teams(),
            self.lang,
            made_by=self.admin.email,
            target=suggestion.to_team,
            quantity=suggestion.quantity,
        )

    async def contract_details(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        await self.toggle_details(None, self.contract.name, whole_contract=True)

    async def toggle_details(self, team: int | None, name: str, *, whole_contract: bool = False) -> None:
        key = None if whole_contract else team
        if key in self.panels:
            self.panels.pop(key).close()
            if not whole_contract:
                self.board.set_open(team, False)
            return
        title = t('Usage details · {name}', self.lang, name=name)
        with self.details:
            panel = UsagePanel(self.shared, self.lang, team=key, title=title)
        self.panels[key] = panel
        if not whole_contract:
            self.board.set_open(team, True)
        panel.reveal()
        await panel.reload()

    async def _export_balances(self) -> tuple[Table, Sequence[object]]:
        table = balances_table(self.shared.model.holders, self.lang, self.contract.name)
        today = self.shared.model.as_of.date()
        return table, [self.contract.name, today]


async def balances_page() -> None:
    admin = signed_in_admin()
    if admin is None:  # the guard (ui.guard) sends such requests to sign in first; a page is never built for them
        ui.navigate.to('/login')
        return
    guard.watch()
    lang = language()
    granted = await contracts.list_contracts(admin.contracts)
    if not granted:
        with frame(lang, signed_in_as=admin.email, admin_id=admin.id) as page, page.body:
            heading(t('Balances', lang), 1, 'text-h5 q-my-none')
            ui.label(t('No contract has been granted to you yet.', lang)).classes('p-4').mark('empty')
        return
    view = BalancesView(admin, granted, lang)
    await view.load()
