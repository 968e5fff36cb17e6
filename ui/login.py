"""Sign-in and sign-out; unauthenticated visits come here and go back where they were headed"""

from nicegui import app, ui

from services.accounts import admins
from ui.frame import frame, language
from ui.i18n import t


def login_page(redirect_to: str = '/') -> None:
    lang = language()
    if not redirect_to.startswith('/') or redirect_to.startswith('//'):
        redirect_to = '/'  # only local destinations: no open redirect

    async def sign_in() -> None:
        admin = await admins.authenticate(email.value or '', password.value or '')
        if admin is None:
            error.set_text(t('wrong_login', lang))
            return
        app.storage.user['admin_id'] = admin.id
        ui.navigate.to(redirect_to)

    with frame(lang) as page, page.body, ui.card().classes('self-center w-80 max-w-full q-mt-xl'):
        ui.label(t('sign_in', lang)).classes('text-h6')
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
