"""Who is signed in, decided in one place (NiceGUI's ``authentication`` example, with server-side sessions)

- ``SignedInOnly``: a page request without a live session goes to the sign-in page (and comes back afterwards).
- ``/auth/enter``: exchanges the one-time ticket of a sign-in for a new session cookie (a new browser id too: a
  cookie taken before sign-in is worth nothing after it); ``/logout`` ends the session and renews the cookie.
- ``Guard``: every action of an open page asks again whether its session still lives and still holds the contract;
  a page whose session ended (here, in another tab, in another process) loses access at once and says so.
"""

import uuid
from collections import defaultdict
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from nicegui import Client, app, background_tasks, ui
from starlette.types import Receive, Scope, Send

from services.accounts import admins, contracts, sessions
from services.accounts.admins import AdminInfo
from services.infrastructure.i18n import language_of
from ui import runtime
from ui.frame import language
from ui.i18n import t
from ui.middleware import PlainMiddleware

OPEN_PAGES = {'/login'}
ADMIN = 'balances.admin'
SWEEP = 60.0  # seconds between two checks of the sessions of open pages


def local_path(target: str) -> str:
    """Only a path of this site: no open redirect."""
    return target if target.startswith('/') and not target.startswith('//') and '\\' not in target else '/'


def session_token() -> str | None:
    """The session token of the request that built the current page."""
    token = ui.context.client.request.session.get('token')
    return token if isinstance(token, str) else None


def signed_in_admin() -> AdminInfo | None:
    """The administrator of this page's session, as the guard found it when the page was requested."""
    admin = ui.context.client.request.scope.get(ADMIN)
    return admin if isinstance(admin, AdminInfo) else None


class SignedInOnly(PlainMiddleware):
    """Plain ASGI (``ui.middleware`` says why not ``BaseHTTPMiddleware``); a page's session lookup is part of its
    build, in its turn."""

    in_turn = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get('path', '') if scope['type'] == 'http' else ''
        if path in Client.page_routes.values() and path not in OPEN_PAGES:
            admin = await sessions.current(scope['session'].get('token'))
            if admin is None:
                await RedirectResponse(f'/login?redirect_to={quote(path)}')(scope, receive, send)
                return
            scope[ADMIN] = admin
        await self.app(scope, receive, send)


def _renew(request: Request, **values: object) -> None:
    """A new cookie with a new browser id (keeping the chosen language)."""
    lang = app.storage.user.get('lang') or request.session.get('lang')
    request.session.clear()
    request.session['id'] = str(uuid.uuid4())
    if lang:
        request.session['lang'] = lang
    request.session.update(values)


async def enter(request: Request, ticket: str = '', redirect_to: str = '/') -> Response:
    token = await sessions.enter(ticket, browser=str(request.session.get('id', '')))
    if token is None:
        return RedirectResponse('/login', status_code=303)
    just_chosen = app.storage.user.get('lang') if app.storage.user.get('lang_chosen') else None
    _renew(request, token=token)
    admin = await sessions.current(token)
    if admin is not None and just_chosen:  # chosen on the sign-in page: it wins, and is remembered
        await admins.set_language(admin.id, language_of(just_chosen))
        request.session['lang'] = language_of(just_chosen)
    elif chosen := await admins.language_of(admin.id) if admin else None:
        request.session['lang'] = chosen  # the language this administrator chose last time, on any browser
    if admin is not None and (granted := await contracts.list_contracts(admin.contracts)):
        # the page it is headed to shows its first contract (a new browser id has chosen none): load it meanwhile
        boards = runtime.current().boards
        background_tasks.create(boards.warm(granted[0], language_of(request.session.get('lang'))), name='warm board')
    return RedirectResponse(local_path(redirect_to), status_code=303)


async def logout(request: Request) -> Response:
    token = request.session.get('token')
    await sessions.sign_out(token)
    if isinstance(token, str):
        guard.kick(token)
    _renew(request)
    return RedirectResponse('/login', status_code=303)


class Guard:
    """The open pages of this process with the session each was built for, so that a session's end reaches them."""

    def __init__(self) -> None:
        self.pages: dict[str, set[Client]] = defaultdict(set)
        self.sessions: dict[str, tuple[str, str]] = {}  # client id -> (token, language)

    def watch(self) -> None:
        """The current page lives as long as its session (pages call it as they are built, in the request)."""
        token = session_token()
        if token is None:
            return
        client = ui.context.client
        self.pages[token].add(client)
        self.sessions[client.id] = (token, language())

        def forget() -> None:
            self.pages[token].discard(client)
            self.sessions.pop(client.id, None)

        client.on_delete(forget)

    async def allows(self, contract_id: int | None = None) -> bool:
        """Whether the current page's session still lives (and still holds ``contract_id``); if not, the page
        says so and goes to the sign-in page."""
        client = ui.context.client
        token, _ = self.sessions.get(client.id, ('', 'en'))
        admin = await sessions.current(token)
        if admin is not None and (contract_id is None or contract_id in admin.contracts):
            return True
        self.leave(client)
        return False

    def kick(self, token: str) -> None:
        for client in list(self.pages.pop(token, ())):
            self.leave(client)

    async def sweep(self) -> None:
        """Send away the pages whose session ended elsewhere (another process, an expiry)."""
        for token in await sessions.ended(list(self.pages)):
            self.kick(token)

    def leave(self, client: Client) -> None:
        if client.is_deleted:
            return
        _, lang = self.sessions.get(client.id, ('', 'en'))
        with client:
            ui.notify(t('You are signed out.', lang), type='warning')
            ui.navigate.to('/login')


guard = Guard()


def install() -> None:
    if not any(middleware.cls is SignedInOnly for middleware in app.user_middleware):
        app.add_middleware(SignedInOnly)
    app.add_api_route('/auth/enter', enter, methods=['GET'], include_in_schema=False)
    app.add_api_route('/logout', logout, methods=['GET', 'POST'], include_in_schema=False)
    app.timer(SWEEP, guard.sweep)
