"""The request middlewares, as plain ASGI (``ui.middleware``): what NiceGUI's did, and no garbage per request"""

import asyncio
import gc
import types
from collections import Counter

from nicegui import Client, __version__, app
from nicegui.testing import User
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import empty_receive
from starlette.types import Message, Receive, Scope, Send

from tests.helpers import until
from tests.ui.conftest import Seeded, browser_session, sign_in
from ui.guard import SignedInOnly
from ui.middleware import PLAIN, PageTurns


def test_no_request_goes_through_a_base_http_middleware(user: User) -> None:
    classes = [m.cls for m in app.user_middleware]
    assert not [cls for cls in classes if isinstance(cls, type) and issubclass(cls, BaseHTTPMiddleware)]
    assert set(PLAIN.values()) <= set(classes)


SERVER_SIDE = ('anyio', 'starlette', 'fastapi', 'nicegui', 'uvicorn', 'tenacity', 'api', 'ui', 'services')


async def test_requests_leave_no_reference_cycles_for_the_collector(user: User, seeded: Seeded) -> None:
    """Garbage in cycles waits for the cycle collector, whose pauses every request then meets: a request through the
    server leaves none (NiceGUI's three ``BaseHTTPMiddleware`` left ~200 objects per request; the test client's
    own objects are not the server's)."""
    await sign_in(user)
    client = user.http_client
    paths = ('/api/v1/health', '/', '/login')
    for path in paths:  # the first requests fill caches
        await client.get(path)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            for path in paths:
                assert (await client.get(path)).status_code == 200
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (types.FrameType, types.TracebackType, BaseException))]
        left += [o for o in gc.garbage if type(o).__module__.split('.')[0] in SERVER_SIDE]
        kinds = Counter(f'{type(o).__module__}.{type(o).__qualname__}' for o in left)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not kinds, kinds


async def test_a_browser_gets_its_id_and_its_storage_on_its_first_request(user: User) -> None:
    assert 'id' not in browser_session(user)
    await user.http_client.get('/login')
    browser = str(browser_session(user)['id'])
    assert browser in app.storage._users
    await user.http_client.get('/login')
    assert browser_session(user)['id'] == browser


async def test_an_api_call_gets_no_browser_id_no_storage_and_no_cookie(user: User) -> None:
    """The API has keys, not browsers: a feed's thousands of calls leave no user storage and no session behind."""
    stored = set(app.storage._users)
    answer = await user.http_client.get('/api/v1/health')
    assert answer.status_code == 200
    assert 'set-cookie' not in answer.headers
    assert 'id' not in browser_session(user)
    assert set(app.storage._users) == stored


async def test_a_redirect_keeps_the_proxys_path_prefix(user: User) -> None:
    answer = await user.http_client.get('/', headers={'X-Forwarded-Prefix': '/balances'})
    assert answer.status_code == 307
    assert answer.headers['location'] == '/balances/login?redirect_to=/'
    assert (await user.http_client.get('/')).headers['location'] == '/login?redirect_to=/'


async def test_niceguis_own_files_are_cached_and_pages_are_not(user: User) -> None:
    asset = await user.http_client.get(f'/_nicegui/{__version__}/static/nicegui.css')
    assert asset.status_code == 200
    assert asset.headers['cache-control'] == app.config.cache_control_directives
    assert (await user.http_client.get('/login')).headers['cache-control'] == 'no-store'


async def test_pages_are_built_a_few_at_a_time_and_nothing_else_waits(user: User) -> None:
    """A takeover opens hundreds of pages at once: they take turns (first come, first served), while the API, the
    files and any other request go on beside them."""
    stack: list[object] = [m.cls for m in app.user_middleware]  # outermost first
    assert stack[stack.index(SignedInOnly) - 1] is PageTurns  # the session lookup in the turn; the door before it
    pages = Client.page_routes.values()
    assert {'/', '/login'} <= set(pages)
    inside: list[tuple[str, str]] = []
    most = 0
    release = asyncio.Event()

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal most
        inside.append((scope['method'], scope['path']))
        most = max(most, sum(method == 'GET' and path in pages for method, path in inside))
        await release.wait()
        inside.remove((scope['method'], scope['path']))
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': scope['path'].encode()})

    turns = PageTurns(inner, turns=2)
    order: list[int] = []

    async def request(number: int, path: str, method: str = 'GET') -> None:
        answer: list[Message] = []

        async def send(message: Message) -> None:
            answer.append(message)

        scope = {'type': 'http', 'method': method, 'path': path, 'headers': []}
        await turns(scope, empty_receive, send)
        assert answer[0]['status'] == 200
        order.append(number)

    calls = [request(n, '/' if n % 2 else '/login') for n in range(6)]
    calls += [request(10, '/api/v1/health'), request(11, '/', 'POST'), request(12, '/_nicegui/x.js')]
    running = [asyncio.create_task(call) for call in calls]
    await until(lambda: len(inside) == 5)
    # two pages, and the rest
    assert sorted(inside) == [('GET', '/'), ('GET', '/_nicegui/x.js'), ('GET', '/api/v1/health'), ('GET', '/login'),
                              ('POST', '/')]  # fmt: skip
    release.set()
    await asyncio.gather(*running)
    assert most == 2
    assert [n for n in order if n < 10] == list(range(6))
