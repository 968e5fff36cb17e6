"""What this app changes in NiceGUI for a thousand open pages, each change measured and pinned to ``TESTED_WITH``

- Each page's outbox (``nicegui.outbox.Outbox.loop``) waits for something to send with a one-second timeout, only to
  check again whether it should stop — which ``Outbox.stop`` already says by setting the same event. A thousand
  pages woke a thousand times a second doing nothing: ``bench/tenants.py`` at 500 pages and no usage, 7.5 → 5.8 %
  of a core. The outbox module's ``asyncio`` is given a ``wait_for`` that waits without that timeout (it is the
  module's only call of it; ``tests/ui/test_broadcast.py`` checks that it still is, on the NiceGUI it was made for).
- Each page keeps the request it was built for (``Client.request``: its session, its administrator, its address),
  and with it what answered that request: the ``send`` it was given, and through it every middleware's wrapper, the
  compressor, the closed connection; and in its scope FastAPI's three exit stacks, closed. Once the page is connected
  its response is long sent: ``let_go_of_the_response`` drops them from the request, which keeps its scope.
"""

import asyncio
import inspect
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import TypeVar

from nicegui import Client, app, outbox
from starlette.requests import empty_receive, empty_send

T = TypeVar('T')
TESTED_WITH = '3.18.0'
OUTBOX_WAIT = 'await asyncio.wait_for(self._enqueue_event.wait(), timeout=1.0)'


async def _until_set(awaitable: Awaitable[T], timeout: float | None = None) -> T:  # noqa: ASYNC109 - wait_for's
    """The outbox's wait for its event, without the timeout: ``Outbox.stop`` sets the event itself."""
    return await awaitable


def outbox_waits_for_its_event() -> bool:
    """Whether NiceGUI's outbox still waits for its event as this module expects."""
    return inspect.getsource(outbox.Outbox.loop).count('asyncio.wait_for(') == 1 and OUTBOX_WAIT in inspect.getsource(
        outbox.Outbox.loop
    )


def let_go_of_the_response(client: Client) -> None:
    """A connected page's request keeps its scope, not what answered it (NiceGUI's ``app.on_connect``)."""
    request = client.request
    if request is None:
        return
    request._send, request._receive = empty_send, empty_receive  # starlette's own, for a request with no connection
    for key in [key for key in request.scope if key.startswith('fastapi_') and key.endswith('astack')]:
        del request.scope[key]


def install() -> None:
    app.on_connect(let_go_of_the_response)
    if outbox_waits_for_its_event() and not isinstance(outbox.asyncio, SimpleNamespace):
        outbox.asyncio = SimpleNamespace(**{**vars(asyncio), 'wait_for': _until_set})  # type: ignore[assignment]
