"""The placeholder pages: sign-in, and the demo balances of the contracts granted to the administrator

A first look at the ledger's numbers, live; the full Balances page (donuts, dialogs, charts) is its own piece of
work. Numbers come from ``services.balances`` and are only formatted here.
"""

from nicegui import app, ui

from services import access, bus
from services.balances import ContractBalances, contract_balances
from services.quantity import format_quantity


def _signed_in() -> int | None:
    return app.storage.user.get('admin_id')


@ui.page('/login')
def login_page() -> None:
    async def sign_in() -> None:
        admin = await access.authenticate(email.value, password.value)
        if admin is None:
            ui.notify('Wrong e-mail or password', type='negative')
            return
        app.storage.user['admin_id'] = admin.id
        ui.navigate.to(app.storage.user.pop('return_to', '/'))

    with ui.card().classes('absolute-center w-80'):
        ui.label('Balances').classes('text-h5')
        email = ui.input('E-mail').props('autocomplete=username').classes('w-full')
        password = ui.input('Password', password=True, password_toggle_button=True).classes('w-full')
        password.on('keydown.enter', sign_in)
        ui.button('Sign in', on_click=sign_in).classes('w-full')


@ui.page('/logout')
def logout_page() -> None:
    app.storage.user.pop('admin_id', None)
    ui.navigate.to('/login')


def _table(balances: ContractBalances) -> None:
    contract = balances.contract
    unit = 'tokens' if contract.is_flex else 'credits'
    ui.label(f'{contract.name} · {contract.region} · {unit}').classes('text-h6')
    rows = [
        {
            'holder': b.team_name or 'Contract',
            'available': format_quantity(b.available),
            'used': format_quantity(b.used),
            'total': format_quantity(b.total),
            'health': '● healthy' if b.health == 'green' else '▲ under 20 %',
            'expiry': f'{format_quantity(b.next_expiry.quantity)} expire in {b.next_expiry.days_left} days '
            f'({b.next_expiry.date})'
            if b.next_expiry
            else '—',
        }
        for b in balances.balances
    ]
    columns = [{'name': key, 'label': key.capitalize(), 'field': key, 'align': 'left'} for key in rows[0]]
    ui.table(columns=columns, rows=rows, row_key='holder').props('flat bordered dense')


@ui.page('/')
async def index_page() -> None:
    admin_id = _signed_in()
    if admin_id is None:
        app.storage.user['return_to'] = '/'
        ui.navigate.to('/login')
        return
    admin = await access.admin_info(admin_id)
    with ui.row().classes('w-full items-center'):
        ui.label('Balances').classes('text-h5')
        ui.space()
        ui.label(admin.email)
        ui.link('Sign out', '/logout')

    @ui.refreshable
    async def tables() -> None:
        for contract_id in admin.contracts:
            _table(await contract_balances(contract_id))

    await tables()

    async def on_change(contract_id: int) -> None:
        if contract_id in admin.contracts:
            tables.refresh()

    bus.subscribe(on_change)
