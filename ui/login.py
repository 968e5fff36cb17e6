"""Sign-in and sign-out; unauthenticated visits come here and go back where they were headed"""

from nicegui import app, ui
from nicegui.events import ValueChangeEventArguments

from services import access
from ui.i18n import LANGUAGES, t


def login_page(redirect_to: str = '/') -> None:
    lang = app.storage.user.get('lang', 'en')
    if not redirect_to.startswith('/') or redirect_to.startswith('//'):
        redirect_to = '/'  # only local destinations: no open redirect

    async def sign_in() -> None:
        admin = await access.authenticate(email.value or '', password.value or '')
        if admin is None:
            error.set_text(t('wrong_login', lang))
            return
        app.storage.user['admin_id'] = admin.id
        ui.navigate.to(redirect_to)

    def switch_language(event: ValueChangeEventArguments) -> None:
        app.storage.user['lang'] = event.value
        ui.navigate.reload()

    ui.page_title(t('balances', lang))
    ui.query('body').classes('bg-grey-2')
    with ui.card().classes('absolute-center w-80 max-w-full'):
        with ui.row().classes('w-full items-center'):
            ui.label(t('balances', lang)).classes('text-h5 grow')
            ui.toggle(LANGUAGES, value=lang, on_change=switch_language).props('dense no-caps').mark('lang')
        email = ui.input(t('email', lang)).props('autocomplete=username autofocus').classes('w-full').mark('email')
        password = (
            ui.input(t('password', lang), password=True, password_toggle_button=True)
            .props('autocomplete=current-password')
            .classes('w-full')
            .mark('password')
        )
        password.on('keydown.enter', sign_in)
        error = ui.label().classes('text-negative').mark('login-error')
        ui.button(t('sign_in', lang), on_click=sign_in).classes('w-full').mark('sign-in')


def logout_page() -> None:
    app.storage.user.pop('admin_id', None)
    ui.navigate.to('/login')
