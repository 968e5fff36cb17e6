"""Sign-in: unauthenticated visits come here and go back where they were headed (``ui.guard`` does the rest)"""

from urllib.parse import quote

from nicegui import app, ui

from services.accounts import sessions
from ui.board import scripts
from ui.frame import frame, heading, language
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
        error.set_text(refusal(result, lang))

    ui.add_head_html(''.join(f'<link rel="modulepreload" href="{path}">' for path in scripts()))
    with frame(lang) as page, page.body, ui.card().classes('self-center w-80 max-w-full q-mt-xl'):
        heading(t('Sign in', lang), 1)
        email = (
            ui.input(t('E-mail', lang))
            .props('autocomplete=username autofocus type=email')
            .classes('w-full')
            .mark('email')
        )
        password = (
            ui.input(t('Password', lang), password=True, password_toggle_button=True)
            .props('autocomplete=current-password')
            .classes('w-full')
            .mark('password')
        )
        password.on('keydown.enter', sign_in)
        error = ui.label().classes('text-negative').props('role=alert').mark('login-error')
        ui.button(t('Sign in', lang), on_click=sign_in).props('no-caps').classes('w-full').mark('sign-in')


def refusal(result: sessions.SignIn, lang: str) -> str:
    """Why a sign-in was refused, plainly: a wrong password, and when throttled, whose failures and until when."""
    wrong = t('Wrong e-mail or password.', lang) if result.checked else ''
    if result.retry_at is None:
        return wrong
    time = moment(result.retry_at, lang)
    if result.throttled == 'address':
        why = t(
            'Too many failed sign-ins from this network address (yours or colleagues’ sharing it): '
            'try again after {time}.',
            lang,
            time=time,
        )
    else:
        why = t('Too many failed sign-ins with this e-mail: try again after {time}.', lang, time=time)
    return f'{wrong} {why}'.strip()


def logout_page() -> None:
    app.storage.user.pop('admin_id', None)
    ui.navigate.to('/login')
