"""What this app changes in NiceGUI for a thousand open pages, each change measured and pinned to ``TESTED_WITH``

- Each page's outbox (``nicegui.outbox.Outbox.loop``) waits for something to send with a one-second timeout, only to
  check again whether it should stop — which ``Outbox.stop`` already says by setting the same event. A thousand
  pages woke a thousand times a second doing nothing: ``bench/tenants.py`` at 500 pages and no usage, 7.5 → 5.8 %
  of a core. The outbox module's ``asyncio`` is given a ``wait_for`` that waits without that timeout (it is the
  module's only call of it; ``tests/ui/test_broadcast.py`` checks that it still is, on the NiceGUI it was made for).
"""

import asyncio
import inspect
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import TypeVar

from nicegui import outbox

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


def install() -> None:
    if outbox_waits_for_its_event() and not isinstance(outbox.asyncio, SimpleNamespace):
        outbox.asyncio = SimpleNamespace(**{**vars(asyncio), 'wait_for': _until_set})  # type: ignore[assignment]
