"""Counting the SQL statements that work issues, by origin: for tests and benchmarks, off by default

Tortoise logs every statement it sends at DEBUG level on ``tortoise.db_client``. While counting is on, a handler
counts those records under the origin set in the current context (``with origin('live'):``), so that the live
model's recomputations can be told apart from the requests that caused them. ``BALANCES_STATS=PATH`` makes the
app count from its start and write the counts, with the live models' own figures, to ``PATH`` when it stops.
"""

import contextlib
import gc
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

_origin: ContextVar[str] = ContextVar('statement_origin', default='other')
statements: Counter[str] = Counter()
LOGGER = 'tortoise.db_client'


class _Counter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        statements[_origin.get()] += 1


_handler = _Counter(logging.DEBUG)


@contextlib.contextmanager
def origin(name: str) -> Iterator[None]:
    """Count the statements of this block (and of the tasks it starts) under ``name``."""
    token = _origin.set(name)
    try:
        yield
    finally:
        _origin.reset(token)


def stop_counting() -> None:
    """Stop counting statements (the counts stay)."""
    logger = logging.getLogger(LOGGER)
    logger.removeHandler(_handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


_gc_started = 0.0
gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
LONG_PAUSE = 10.0  # ms: the pauses recorded with their moment, to tell which phase of a benchmark they fell in
gc_long: list[tuple[float, int, float]] = []  # (wall-clock seconds, generation, ms)


def _gc_callback(phase: str, info: dict[str, int]) -> None:
    global _gc_started
    if phase == 'start':
        _gc_started = time.perf_counter()
    else:
        pause = (time.perf_counter() - _gc_started) * 1000
        gc_pauses[info['generation']].append(pause)
        if pause >= LONG_PAUSE:
            gc_long.append((time.time(), info['generation'], pause))


def start_counting() -> None:
    """Count every statement from now on, and time the cycle collector's pauses."""
    logger = logging.getLogger(LOGGER)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # the statements themselves are not printed
    if _gc_callback not in gc.callbacks:
        gc.callbacks.append(_gc_callback)


def forget_pauses() -> None:
    """Start the collector's record afresh (the start-up's collections, its own full one among them, are not
    the serving's)."""
    for pauses in gc_pauses.values():
        pauses.clear()
    gc_long.clear()


def census() -> dict[str, Any]:
    """How many objects the cycle collector tracks, by type (the largest 25)."""
    kinds = Counter(type(o).__qualname__ for o in gc.get_objects())
    return {'tracked': sum(kinds.values()), 'frozen': gc.get_freeze_count(), 'types': dict(kinds.most_common(25))}


def write(path: Path, extra: dict[str, Any]) -> None:
    """Write the counts, the collector's pauses and ``extra`` to ``path`` as JSON."""
    pauses = {
        f'gen{gen}': {'count': len(ms), 'max ms': max(ms, default=0.0), 'total ms': sum(ms)}
        for gen, ms in gc_pauses.items()
    }
    figures = {'statements': dict(statements), 'gc': pauses, 'gc long pauses': gc_long, **extra}
    path.write_text(json.dumps(figures, indent=2, default=str))
