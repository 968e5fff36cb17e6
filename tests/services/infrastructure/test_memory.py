"""Large temporary buffers go back to the system: a password check's 19 MiB is not kept by a worker thread"""

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from argon2 import PasswordHasher

from services.infrastructure import memory
from tests.helpers import until


def resident() -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS')


def test_a_password_check_in_a_thread_leaves_no_19_mib_behind() -> None:
    assert memory.return_large_buffers()  # glibc: the threshold is set, and no longer adjusted
    hasher = PasswordHasher(memory_cost=19 * 1024, time_cost=2, parallelism=1)  # OWASP's, as services/accounts
    digest = hasher.hash('a long enough password')
    before = resident()

    def check() -> None:
        for _ in range(3):
            hasher.verify(digest, 'a long enough password')

    for _ in range(4):  # new threads, as a pool starts them: each would keep a heap of its own
        worker = threading.Thread(target=check)
        worker.start()
        worker.join()
    assert resident() - before < 8 * 1024 * 1024


class Cycle:
    """What a closed page leaves: objects that refer to each other, which only the cycle collector frees."""

    def __init__(self) -> None:
        self.me = self


@contextmanager
def no_automatic_collections() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def test_a_closed_page_s_cycles_are_collected_by_the_next_sweep() -> None:
    sweeper = memory.Sweeper(lambda: 0, gather=0.01)
    with no_automatic_collections():
        left = weakref.ref(Cycle())
        sweeper.start()
        try:
            sweeper.closed()
            await until(lambda: left() is None)
        finally:
            await sweeper.stop()
    assert sweeper.freed >= 1


async def test_an_opened_page_hands_memory_back_without_a_collection() -> None:
    sweeper = memory.Sweeper(lambda: 0, gather=0.01)
    with no_automatic_collections():
        kept = Cycle()
        left = weakref.ref(kept)
        del kept
        sweeper.start()
        try:
            sweeper.opened()
            await until(lambda: sweeper.sweeps == 1)
            assert left() is not None  # no collection ran
            assert sweeper.freed == 0
        finally:
            await sweeper.stop()
            gc.collect()


async def test_collections_are_spaced_by_their_pause_and_trims_go_on_between() -> None:
    class Timed(memory.Sweeper):
        """A sweeper whose collections say they took 50 ms."""

        collected_at: ClassVar[list[float]] = []

        def sweep(self, *, collect: bool) -> float:
            super().sweep(collect=collect)
            if collect:
                self.collected_at.append(asyncio.get_running_loop().time())
            return 0.05 if collect else 0.0

    sweeper = Timed(lambda: 0, gather=0.01, share=0.1)  # a 50 ms collection: the next waits 0.5 s
    sweeper.start()
    try:
        sweeper.closed()
        await until(lambda: len(sweeper.collected_at) == 1)
        trims = sweeper.sweeps
        sweeper.closed()
        await until(lambda: len(sweeper.collected_at) == 2)
        assert sweeper.collected_at[1] - sweeper.collected_at[0] >= 0.5
        assert sweeper.sweeps - trims >= 10  # memory went back every 10 ms meanwhile
    finally:
        await sweeper.stop()


async def test_a_collection_waits_until_enough_pages_closed_to_be_worth_its_cost() -> None:
    sweeper = memory.Sweeper(lambda: 100, gather=0.01)  # 100 pages open: worth it once 10 closed
    with no_automatic_collections():
        left = weakref.ref(Cycle())
        sweeper.start()
        try:
            for _ in range(9):
                sweeper.closed()
            await until(lambda: sweeper.sweeps >= 1)
            assert sweeper.collections == 0
            assert left() is not None
            sweeper.closed()
            await until(lambda: left() is None)
            assert sweeper.collections == 1
        finally:
            await sweeper.stop()


def test_memory_can_be_handed_back_on_this_system() -> None:
    assert memory.hand_back()  # glibc: the sweeps' second half is not a no-op here
