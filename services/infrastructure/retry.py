"""Retrying a write transaction that lost a race

Two writers can collide without either being wrong: the same new client id sent to two processes at once (the
loser hits the unique index; on retry it sees the winner's row and answers as a replay), a deadlock PostgreSQL
broke, or SQLite busy with another process. Such a transaction rolled back whole, so it is run again.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

T = TypeVar('T')
ATTEMPTS = 6
TRANSIENT = ('unique', 'duplicate key', 'deadlock', 'could not serialize', 'database is locked')


def is_transient(error: Exception) -> bool:
    """Whether a failed transaction lost a race that is nobody's fault, and may simply run again."""
    text = str(error).lower()
    return any(marker in text for marker in TRANSIENT)


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction), again after a transient failure, at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except (IntegrityError, OperationalError, TransactionManagementError) as error:
            if attempt == attempts or not is_transient(error):
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter, not a secret
    raise AssertionError('unreachable')
