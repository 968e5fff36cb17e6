"""HTTP hardening for the whole app, pages and API alike

- Security headers on every answer: a Content-Security-Policy that forbids framing (and other origins' scripts),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
- Header limits: at most ``MAX_HEADERS`` headers and ``MAX_HEADER_BYTES`` bytes of them, else ``431``.
- NiceGUI's socket.io accepts its own origin only (it reflected any ``Origin`` with credentials).
- ``SocketDoor``: a page's websocket goes to socket.io straight from the outermost middleware, under the same header
  limits. Passed through the whole stack, it kept a suspended frame in each middleware (and a copy of the session in
  its scope) for as long as the page stayed open, though none of them does anything to a websocket.

The CSP keeps ``'unsafe-inline'`` and ``'unsafe-eval'`` for scripts: NiceGUI starts its Vue app from an inline
module and Vue compiles the components' templates in the browser. What it forbids is what an injected page would
need: other origins, frames, plugins, forms posted elsewhere.
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nicegui import core
from starlette.routing import Match, Mount

MAX_HEADERS = 100
MAX_HEADER_BYTES = 32 * 1024
CSP = '; '.join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
HEADERS = [
    (b'content-security-policy', CSP.encode()),
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'same-origin'),
    (b'x-frame-options', b'DENY'),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


SOCKET_PATH = '/_nicegui_ws'  # where NiceGUI mounts its socket.io app
REFUSED = {'type': 'websocket.close', 'code': 1008}  # before it is accepted: the upgrade is answered 403


def too_large(scope: Scope) -> bool:
    """Whether a request's headers are over the limits."""
    headers = scope.get('headers', [])
    return len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES


class Hardening:
    """ASGI middleware: refuse oversized headers, add the security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] not in ('http', 'websocket'):
            await self.app(scope, receive, send)
            return
        if too_large(scope):
            if scope['type'] == 'http':
                await _answer(send, 431, b'{"detail":"request headers too large"}')
            else:
                await send(REFUSED)
            return
        if scope['type'] == 'websocket':
            await self.app(scope, receive, send)
            return

        api = str(scope.get('path', '')).startswith('/api/')
        held: list[Message] = []  # a plain-text error of the API, rewritten as JSON once its body is complete

        async def with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                names = {name.lower() for name, _ in message.get('headers', [])}
                message['headers'] = [*message.get('headers', []), *(h for h in HEADERS if h[0] not in names)]
                kind = dict(message['headers']).get(b'content-type', b'')
                if api and message['status'] >= 400 and kind.startswith(b'text/plain'):
                    held.append(message)
                    return
            elif held:
                held.append(message)
                if message.get('more_body'):
                    return
                start, text = held[0], b''.join(m.get('body', b'') for m in held[1:])
                body = json.dumps({'detail': text.decode('utf-8', 'replace').strip()}).encode()
                keep = [(k, v) for k, v in start['headers'] if k.lower() not in (b'content-type', b'content-length')]
                start['headers'] = [
                    *keep,
                    (b'content-type', b'application/json'),
                    (b'content-length', str(len(body)).encode()),
                ]
                await send(start)
                await send({'type': 'http.response.body', 'body': body})
                return
            await send(message)

        await self.app(scope, receive, with_headers)


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            'type': 'http.response.start',
            'status': status,
            'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode()), *HEADERS],
        }
    )
    await send({'type': 'http.response.body', 'body': body})


class SocketDoor:
    """ASGI middleware, the outermost: websockets to socket.io's mount go to it at once, the others pass on."""

    def __init__(self, app: ASGIApp, mount: Mount) -> None:
        self.app = app
        self.mount = mount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'websocket':
            await self.app(scope, receive, send)
            return
        match, child = self.mount.matches(scope)
        if match is not Match.FULL:
            await self.app(scope, receive, send)
        elif too_large(scope):
            await send(REFUSED)
        else:
            await self.mount.handle({**scope, **child}, receive, send)


def install(app: Any) -> None:
    """Add the middleware (once) and close socket.io to other origins."""
    if not any(middleware.cls is Hardening for middleware in app.user_middleware):
        app.add_middleware(Hardening)
    core.sio.eio.cors_allowed_origins = None  # same origin only (NiceGUI allows '*')


def open_socket_door(app: Any) -> None:
    """Put ``SocketDoor`` outside every other middleware (once the pages' own are in place); the stack is built again
    at the next request."""
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == SOCKET_PATH)
    app.middleware_stack = None
    app.user_middleware[:] = [m for m in app.user_middleware if m.cls is not SocketDoor]
    app.add_middleware(SocketDoor, mount=mount)
