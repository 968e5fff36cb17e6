"""Sign-in: unauthenticated visits come here and go back where they were headed (``ui.guard`` does the rest)"""

from urllib.parse import quote

from nicegui import app, ui

from services.accounts import sessions
from ui.frame import frame, language
from ui.guard import local_path
from ui.i18n import moment, t


def login_page(redirect_to: str = '/') -> None:
    lang = language()
    redirect_to = local_path(redirect_to)

    async def sign_in() -> None:
        client = ui.context.client
        result = await sessions.sign_in(
            email.value or '', password.value or '', address=client.ip or '', browser=str(app.storage.browser['id'])
        )
        if result.ticket is not None:
            ui.navigate.to(f'/auth/enter?ticket={result.ticket}&redirect_to={quote(redirect_to)}')
            return
        message = t('wrong_login', lang)
        if result.retry_at is not None:
            message += ' ' + t('try_again_at', lang, time=moment(result.retry_at, lang))
        error.set_text(message)

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
