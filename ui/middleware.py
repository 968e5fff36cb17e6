"""NiceGUI's HTTP middlewares as plain ASGI (the same work, without a task and a cancelled task group per request),
and the pages' turns

NiceGUI wraps every HTTP request in three ``BaseHTTPMiddleware`` (which browser a request comes from, a proxy's
path prefix in redirects, the cache headers of its own files). Each runs the rest of the app in a task of its own
and ends it by cancelling a task group: ~50 objects per request and middleware left in reference cycles (the
cancelled scope, its ``CancelledError``, the traceback and its frames) that only the cycle collector frees: with
many pages open, frequent collections, each a pause any request meeting it waited through (measured in
docs/PERFORMANCE.md). The classes here do what NiceGUI's do,
as the ``send`` of the request's own task; ``install`` puts them in their place once NiceGUI has added its own.

A page is built a few at a time (``PageTurns``): when a process takes over the pages of one that died, hundreds of
them arrive at once, and building them all together filled the event loop's queue, so that every other await —
the live pass reading the numbers of the pages already open, a usage POST — waited behind all of them. The turn
covers the sign-in guard's session lookup too: hundreds of lookups at once queued every other query of the process
on the database pool.
"""

import asyncio
import uuid
from typing import Any

from fastapi import FastAPI
from nicegui import Client, __version__, core, storage
from nicegui.middlewares import RedirectWithPrefixMiddleware, SetCacheControlMiddleware
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class PlainMiddleware:
    """An ASGI middleware around ``app`` (this one passes everything through); ``in_turn``: its work for a page is
    part of building it, and waits for the page's turn (``PageTurns`` goes outside the first such)."""

    in_turn = False

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


API_PREFIX = '/api/'


class RequestTracking(PlainMiddleware):
    """NiceGUI's ``RequestTrackingMiddleware``: the request of this context, the browser's id in its session, its
    user storage, and the count of its requests in flight (storage of a browser with none may be pruned)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope.get('path', '').startswith(API_PREFIX):
            # the HTTP API has keys, not browsers: no browser id, no user storage, no session cookie to send back
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        storage.request_contextvar.set(request)
        session = request.session
        if 'id' not in session:
            session['id'] = str(uuid.uuid4())
        request.state.responded = False  # until then app.storage.browser may still change the session's cookie
        session_id = session['id']
        store = core.app.storage
        active = store._active_request_sessions  # NiceGUI's own bookkeeping, kept as it keeps it
        active[session_id] += 1
        try:
            if session_id not in store._users:
                await store._create_user_storage(session_id)

            async def tracked(message: Message) -> None:
                if message['type'] == 'http.response.start':
                    request.state.responded = True
                await send(message)

            await self.app(scope, receive, tracked)
        finally:
            active[session_id] -= 1
            if active[session_id] <= 0:
                del active[session_id]


class RedirectWithPrefix(PlainMiddleware):
    """NiceGUI's ``RedirectWithPrefixMiddleware``: a redirect to a local path keeps the proxy's path prefix
    (``X-Forwarded-Prefix``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = Headers(scope=scope).get('x-forwarded-prefix', '') if scope['type'] == 'http' else ''
        if not prefix:
            await self.app(scope, receive, send)
            return

        async def prefixed(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = MutableHeaders(scope=message)
                location = headers.get('location')
                if location is not None and location.startswith('/'):
                    headers['location'] = prefix + location
            await send(message)

        await self.app(scope, receive, prefixed)


class SetCacheControl(PlainMiddleware):
    """NiceGUI's ``SetCacheControlMiddleware``: its own versioned files (not the dynamic ones) are cached as its
    configuration says."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get('path', '') if scope['type'] == 'http' else ''
        base = f'/_nicegui/{__version__}/'
        if not path.startswith(base) or path.startswith(f'{base}dynamic_resources/'):
            await self.app(scope, receive, send)
            return

        async def cached(message: Message) -> None:
            if message['type'] == 'http.response.start':
                MutableHeaders(scope=message)['Cache-Control'] = core.app.config.cache_control_directives
            await send(message)

        await self.app(scope, receive, cached)


PAGE_TURNS = 8  # pages built at once: enough to keep a core busy while some wait for the database
PAGE_METHODS = frozenset({'GET', 'HEAD'})


class PageTurns(PlainMiddleware):
    """At most ``PAGE_TURNS`` of NiceGUI's pages (their paths, ``GET``) are built at once; the others wait their turn,
    first come first served, before NiceGUI starts the page (and its 3 s). Nothing else waits: the API, the files,
    the sockets."""

    def __init__(self, app: ASGIApp, turns: int = PAGE_TURNS) -> None:
        super().__init__(app)
        self.turns = turns
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def gate(self) -> asyncio.Semaphore:
        """The turns of the running loop (a test may run the app on several loops, one after the other)."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = loop, asyncio.Semaphore(self.turns)
        return self._gate[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = scope['type'] == 'http' and scope['method'] in PAGE_METHODS
        if not (page and scope['path'] in Client.page_routes.values()):  # a view of NiceGUI's pages' paths
            await self.app(scope, receive, send)
            return
        async with self.gate():
            await self.app(scope, receive, send)


PLAIN: dict[Any, type[PlainMiddleware]] = {
    storage.RequestTrackingMiddleware: RequestTracking,
    RedirectWithPrefixMiddleware: RedirectWithPrefix,
    SetCacheControlMiddleware: SetCacheControl,
}


def install(app: FastAPI) -> None:
    """Put the plain versions in the place of NiceGUI's (called as the app starts: ``ui.run`` adds NiceGUI's just
    before), and the pages' turns as far in as they can be (a request refused at the door does not wait for a turn)
    but outside what a page's build includes (``in_turn``: the sign-in guard's session lookup — hundreds of those at
    once would queue every other query of the process on the database pool); the middleware stack is built again at
    the next request."""
    swapped = [Middleware(PLAIN[m.cls]) if m.cls in PLAIN else m for m in app.user_middleware]  # none takes options
    if not any(m.cls is PageTurns for m in swapped):
        first = next((n for n, m in enumerate(swapped) if getattr(m.cls, 'in_turn', False)), len(swapped))
        swapped.insert(first, Middleware(PageTurns))
    if swapped != app.user_middleware:
        app.user_middleware[:] = swapped
        app.middleware_stack = None
