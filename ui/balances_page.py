"""The Balances page: a summary and one card per team (Flex) or one for the contract (cloud credits), live

The frame renders at once. The board comes from the contract's shared ``Board`` (``ui.boards``): loaded by the
first page of the contract, then shared by reference, so that a page costs a handful of elements and no query of its
own; a change reaches every page in one broadcast. Dialogs and usage details are built when asked for.
"""

from collections.abc import Sequence
from dataclasses import replace

from nicegui import app, background_tasks, ui

from services.accounts import admins, contracts
from services.accounts.contracts import ContractInfo
from services.reading.balances import HolderBalance
from services.reading.exports import Table
from services.reading.live import LiveContract
from ui import runtime
from ui.alerts import AlertsBell
from ui.assign import AssignDialog
from ui.board import CONTRACT_DETAILS, BalanceBoard
from ui.boards import Board
from ui.cards import card_key, mode_text
from ui.controls import open_controls
from ui.exports import about, balances_table, download
from ui.frame import frame, heading, labelled, language
from ui.guard import guard, signed_in_admin
from ui.history import HistoryDialog
from ui.i18n import region_name, t
from ui.refusals import RefusalsPanel
from ui.usage_panel import UsagePanel


def region_options(granted: Sequence[ContractInfo], lang: str) -> dict[str, str]:
    """Each region of the contracts, with its mode: "France · Flex tokens", "Brésil · Crédits cloud partagés"."""
    return {c.region: f'{region_name(c.region, lang)} · {mode_text(c, lang)}' for c in granted}


def contract_options(granted: Sequence[ContractInfo], region: str, lang: str) -> list[dict[str, object]]:
    """The contracts of the chosen region, then — under a heading — those of the others (still one choice away)."""
    label = {c.id: f'{c.name} · {c.region} · {mode_text(c, lang)}' for c in granted}
    here = [{'value': c.id, 'label': label[c.id]} for c in granted if c.region == region]
    elsewhere = [{'value': c.id, 'label': label[c.id]} for c in granted if c.region != region]
    if elsewhere:
        return [*here, {'value': 0, 'label': t('Other regions', lang), 'disable': True}, *elsewhere]
    return here


WARMING_WAIT = 1.0  # seconds a page waits for its board being loaded since its sign-in, rather than follow it


class BalancesView:
    """The page's state and elements for one visitor."""

    def __init__(
        self, admin: admins.AdminInfo, granted: list[ContractInfo], lang: str, region: str | None = None
    ) -> None:
        self.admin = admin
        self.granted = {contract.id: contract for contract in granted}
        chosen = app.storage.user.get('contract')
        if isinstance(chosen, int) and chosen in self.granted:
            self.contract: ContractInfo = self.granted[chosen]
        else:  # this browser chose none yet: the first of the region the administrator chose last, wherever
            self.contract = next((c for c in granted if c.region == region), granted[0])
        self.lang = lang
        self.runtime = runtime.current()
        self.panels: dict[str, UsagePanel] = {}
        self._board: Board | None = None
        self.details: ui.column | None = None
        self.refusals: RefusalsPanel | None = None
        with frame(self.lang, signed_in_as=admin.email, admin_id=admin.id) as page:
            page.header.contracts(
                contract_options(granted, self.contract.region, lang),
                self.contract.id,
                t('Contract', lang),
                self.switch_contract,
            )
        self.header, self.body = page.header, page.body
        regions = region_options(granted, lang)
        if len(regions) > 1:  # the regional switch, above the contract: each region with its mode
            with self.body, ui.row().classes('items-center gap-x-2 gap-y-0 no-wrap').mark('regions') as group:
                group.props['role'] = 'group'
                labelled(group, t('Region', lang))
                ui.label(t('Region', lang)).classes('text-body2 text-grey-8 gt-xs').props('aria-hidden=true')
                ui.toggle(regions, value=self.contract.region, on_change=lambda e: self.switch_region(e.value)).props(
                    'no-caps dense unelevated toggle-color=primary text-color=grey-10 color=white'
                ).mark('region')

    async def switch_contract(self, value: object, *, region: bool = False) -> None:
        """Another contract (``region``: chosen through the regional switch, which the administrator's region
        follows; once they chose one, a contract of another region chosen in the list moves it too)."""
        if not isinstance(value, int) or not await guard.allows(value):
            return
        app.storage.user['contract'] = value
        contract = self.granted.get(value)
        if contract is not None and (region or await admins.region_of(self.admin.id) is not None):
            await admins.set_region(self.admin.id, contract.region)
        ui.navigate.reload()

    async def switch_region(self, value: object) -> None:
        """Another region: its contract chosen last in this browser, or its first."""
        if not isinstance(value, str) or value == self.contract.region:
            return
        last = app.storage.user.get('by_region', {})
        remembered = last.get(value) if isinstance(last, dict) else None
        found = [c for c in self.granted.values() if c.region == value]
        if not found:
            return
        chosen = next((c for c in found if c.id == remembered), found[0])
        app.storage.user['by_region'] = {
            **(last if isinstance(last, dict) else {}),
            self.contract.region: self.contract.id,
        }
        await self.switch_contract(chosen.id, region=True)

    async def load(self) -> None:
        boards = self.runtime.boards
        if await boards.ready(self.contract.id, self.lang, within=WARMING_WAIT) is None:
            # the first page of a contract loads its board: the frame goes out now, the cards follow; the read starts
            # now too, while the frame travels and the socket connects (kept a while if the page never connects)
            background_tasks.create(boards.warm(self.contract, self.lang), name='warm board')
            with self.body:
                spinner = ui.spinner(size='lg').classes('self-center').mark('loading')
            await ui.context.client.connected()
            if ui.context.client.is_deleted:  # pruned while it waited: load nothing for it (its app run may be over)
                return
            spinner.delete()
        if not boards.loads():  # the app is stopping
            return
        try:
            self._board = board = await boards.attach(self.contract.id, self.lang)
        except Exception as error:  # shown to the person, and logged by NiceGUI
            with self.body:
                ui.label(t('The balances could not be loaded. Reload the page to try again.', self.lang)).classes(
                    'text-negative'
                ).mark('error')
            raise error
        ui.context.client.on_delete(lambda: boards.detach(board))
        await AlertsBell.start(board, self.header, self.lang, self.admin.id, self.show_refusals)
        with self.body:
            self.board = BalanceBoard(
                board.view, board.room, on_action=self.on_action, on_download=self.download, on_review=self.review
            ).mark('board')

    @property
    def shared(self) -> Board:
        """The contract's shared board (the page's actions come after it is loaded)."""
        if self._board is None:
            raise RuntimeError('the board is not loaded yet')
        return self._board

    @property
    def live(self) -> LiveContract:
        return self.shared.model

    def balance(self, team: int | None) -> HolderBalance:
        return self.shared.model.state_of(team).balance

    def teams(self) -> list[contracts.TeamInfo]:
        return [contracts.TeamInfo(b.team, b.team_name or '') for b in self.shared.model.holders if b.team]

    async def on_action(self, kind: str, team: int | None) -> None:
        if not await guard.allows(self.contract.id):
            return
        if kind == CONTRACT_DETAILS:
            await self.toggle_details(CONTRACT_DETAILS, None, self.contract.name)
            return
        if kind == 'contract-controls':
            await self.controls(None)
            return
        if kind == 'refusals':
            await self.toggle_refusals()
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
            AssignDialog(self.contract.id, balance, self.teams(), self.lang, made_by=self.admin.email, live=self.live)
        elif kind == 'details':
            await self.toggle_details(card_key(team), team, balance.team_name or self.contract.name)
        elif kind == 'controls':
            await self.controls(team)

    async def controls(self, team: int | None) -> None:
        """A team's controls (its products and caps), or the contract's caps."""
        if await guard.allows(self.contract.id):
            with self.body:
                await open_controls(self.shared, team, self.lang)

    async def assign_to(self, team: int | None) -> None:
        """Assign tokens to a team that was refused for want of them: from the team that has the most."""
        others = [b for b in self.shared.model.holders if b.team not in (None, team)]
        if team is None or not others or not await guard.allows(self.contract.id):
            return
        source = max(others, key=lambda b: b.available)
        AssignDialog(
            self.contract.id, source, self.teams(), self.lang, made_by=self.admin.email, target=team, live=self.live
        )

    async def show_refusals(self) -> None:
        """The refusals, opened (from the bell's streaks)."""
        if self.refusals is None:
            await self.toggle_refusals()
        else:
            self.refusals.reveal()

    async def toggle_refusals(self) -> None:
        if self.refusals is not None:
            self.refusals.close()
            self.refusals = None
            self.board.set_open('refusals', False)
            return
        with self._details():
            self.refusals = RefusalsPanel(self.shared, self.lang, controls=self.controls, assign=self.assign_to)
        self.board.set_open('refusals', True)
        self.refusals.reveal()
        await self.refusals.reload()

    async def review(self, from_team: int, to_team: int) -> None:
        """A suggestion, opened in the assign dialog: filled in, previewed, waiting for the confirmation."""
        if not await guard.allows(self.contract.id):
            return
        suggestion = next(
            (s for s in self.shared.model.suggestions if (s.from_team, s.to_team) == (from_team, to_team)), None
        )
        if suggestion is None:  # gone meanwhile: the list the page shows is already the new one
            return
        AssignDialog(
            self.contract.id,
            self.balance(suggestion.from_team),
            self.teams(),
            self.lang,
            made_by=self.admin.email,
            target=suggestion.to_team,
            quantity=suggestion.quantity,
            live=self.live,
        )

    async def toggle_details(self, key: str, team: int | None, name: str) -> None:
        if key in self.panels:
            self.panels.pop(key).close()
            self.board.set_open(key, False)
            return
        title = t('Usage details · {name}', self.lang, name=name)
        with self._details():
            panel = UsagePanel(self.shared, self.runtime.reads, self.lang, team=team, title=title)
        self.panels[key] = panel
        self.board.set_open(key, True)
        panel.reveal()
        await panel.reload()

    def _details(self) -> ui.column:
        """Where the panels a page opens go, under its board (made when the first is opened)."""
        if self.details is None:
            with self.body:
                self.details = ui.column().classes('w-full gap-4')
        return self.details

    async def download(self, kind: str) -> None:
        if not await guard.allows(self.contract.id):
            return
        await download(self.lang, 'balances', kind, self._export_balances)

    async def _export_balances(self) -> tuple[Table, Sequence[object]]:
        model = self.shared.model
        table = balances_table(model.holders, self.lang, self.contract.name)
        context = about(self.lang, self.contract.name, on=model.today)
        return replace(table, context=context), [self.contract.name, model.today]


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
    view = BalancesView(admin, granted, lang, admin.region)
    await view.load()
