"""Memory handed back: large temporary buffers go back to the system when freed, and what pages leave soon after

Each sign-in checks a password with argon2id, whose 19 MiB buffer is allocated and freed in a worker thread. glibc
serves allocations above its mmap threshold with ``mmap`` (returned at once when freed), but raises that threshold
after each such free, up to 32 MiB: from then on the buffers come from the threads' heaps, which keep them. Measured
(``bench/tenants.py``): 580 KB of resident memory kept per sign-in, 93 KB with the threshold fixed. Fixing it
(``mallopt(M_MMAP_THRESHOLD, …)``, which also ends its adjustment) keeps every buffer over 128 KiB on ``mmap``.

A page that closes (and each sign-in page, closed as its administrator goes on) leaves its objects in reference cycles:
NiceGUI's elements and their classes, style and props, the socket's protocol objects. Python's full collections are
kept rare (``main.py``), so these waited, and the memory between the pages opened since stayed with the process as
holes even once freed; so did what opening a page uses for a moment. ``Sweeper`` collects after pages close and hands
free memory back to the system (``malloc_trim``, glibc only) after pages open or close.
"""

import asyncio
import ctypes
import ctypes.util
import functools
import gc
import logging
import time
from collections.abc import Callable

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THRESHOLD = 128 * 1024  # glibc's own starting value
log = logging.getLogger('balances.memory')


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library('c')
    try:
        return ctypes.CDLL(name) if name is not None else None
    except OSError:
        return None


def return_large_buffers() -> bool:
    """Make buffers of 128 KiB and more go back to the system when freed (glibc only); whether it could."""
    try:
        libc = _libc()
        return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    except AttributeError:  # not glibc: its allocator has its own policy
        log.info('mallopt is not available: large buffers follow the allocator of this system')
        return False


def hand_back() -> bool:
    """Give the heaps' free memory back to the system, wherever it lies in them (glibc only); whether it could."""
    libc = _libc()
    try:
        if libc is not None:
            libc.malloc_trim(0)  # 1 if it gave memory back, 0 if there was none to give
            return True
    except AttributeError:  # not glibc
        pass
    return False


class Sweeper:
    """Memory handed back shortly after pages open or close: one sweep for a burst of them.

    A sweep hands the free memory back to the system (what opening pages used for a moment, what a collection freed);
    before it, a full collection when enough pages closed to be worth it. ``gather`` is how long a sweep waits after
    the first page, so that the pages of a burst are swept together. A collection costs in proportion to what the
    open pages hold and frees what the closed ones left: it runs once the pages closed since the last reach ``worth``
    of those open, and pauses the event loop for as long as it takes, ``t``: the next one waits at least ``t / share``,
    so that the pauses are at most ``share`` of the loop's time (handing memory back takes milliseconds).
    """

    def __init__(
        self, open_pages: Callable[[], int], *, gather: float = 2.0, share: float = 0.02, worth: float = 0.1
    ) -> None:
        self._open_pages = open_pages
        self._gather = gather
        self._share = share
        self._worth = worth
        self._due = asyncio.Event()
        self._closed = 0  # pages closed since the last collection
        self._task: asyncio.Task[None] | None = None
        self.sweeps = 0
        self.collections = 0
        self.freed = 0  # objects in cycles the collections freed

    def opened(self) -> None:
        """A page connected (NiceGUI's ``app.on_connect``)."""
        self._due.set()

    def closed(self) -> None:
        """A page closed (NiceGUI's ``app.on_delete``)."""
        self._closed += 1
        self._due.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name='memory sweeper')

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def worth_collecting(self) -> bool:
        return self._closed > 0 and self._closed >= self._worth * self._open_pages()

    def sweep(self, *, collect: bool) -> float:
        """A full collection if ``collect``, then the free memory handed back; the seconds it took."""
        started = time.perf_counter()
        if collect:
            self._closed = 0
            self.freed += gc.collect()
            self.collections += 1
        hand_back()
        self.sweeps += 1
        return time.perf_counter() - started

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        collections_from = 0.0  # the loop's time from which the next collection may run
        while True:
            await self._due.wait()
            busy = True
            while busy or self.worth_collecting():  # every ``gather`` while pages come and go, until one after the last
                self._due.clear()
                await asyncio.sleep(self._gather)
                busy = self._due.is_set()
                collect = self.worth_collecting() and loop.time() >= collections_from
                took = self.sweep(collect=collect)
                if collect:
                    collections_from = loop.time() + took / self._share
