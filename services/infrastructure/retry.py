"""Retrying a write transaction that lost a race

Two writers can collide without either being wrong: the same new client id of a purchase or transfer sent to two
processes at once (the loser hits the unique index of ``(contract, client_id)``; on retry it sees the winner's row
and answers as a replay), a deadlock or serialisation failure PostgreSQL broke, or SQLite busy with another
process. Such a transaction rolled back whole, so it is run again. Whether a failure is one of these is read from
the database's error codes — SQLSTATE on PostgreSQL, result codes on SQLite — never from its messages, which a
server may speak in any language.
"""

import asyncio
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

T = TypeVar('T')
ATTEMPTS = 6
FIRST_WAIT = 0.01  # seconds: the longest wait after a first lost race; each later one may be twice as long
MAX_WAIT = 0.5
RETRIED_SQLSTATES = {'40P01', '40001'}  # deadlock_detected, serialization_failure
UNIQUE_VIOLATION = '23505'
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CONSTRAINT_UNIQUE = 5, 6, 2067
IDEMPOTENT_TABLES = {'lot', 'transfer'}  # their only unique keys besides the id: (contract_id, client_id)


def _driver_error(error: BaseException) -> BaseException | None:
    """The database driver's own exception under Tortoise's wrapper."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (asyncpg.PostgresError, sqlite3.Error)):
            return seen
        seen = seen.__cause__ or next((a for a in getattr(seen, 'args', ()) if isinstance(a, BaseException)), None)
    return None


def is_transient(error: BaseException) -> bool:
    """Whether a failed transaction lost a race that is nobody's fault, and may simply run again."""
    cause = _driver_error(error)
    if isinstance(cause, asyncpg.PostgresError):
        state = getattr(cause, 'sqlstate', None)
        if state == UNIQUE_VIOLATION:
            return getattr(cause, 'table_name', None) in IDEMPOTENT_TABLES
        return state in RETRIED_SQLSTATES
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, 'sqlite_errorcode', None)
        if code == SQLITE_CONSTRAINT_UNIQUE:
            # SQLite's messages are not translated: "UNIQUE constraint failed: lot.contract_id, lot.client_id"
            return str(cause).rpartition(': ')[2].split('.', 1)[0] in IDEMPOTENT_TABLES
        return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return False


def _retried(error: BaseException) -> bool:
    return isinstance(error, (IntegrityError, OperationalError, TransactionManagementError)) and is_transient(error)


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction), again after a transient failure, at most ``attempts`` times, each after
    a random wait of up to 10 ms, 20 ms, 40 ms… (full jitter: racing writers do not collide again in step); any other
    failure, or the last attempt's, is raised as it is.

    The first attempt runs on its own: tenacity's loop leaves some 30 objects in reference cycles per run, garbage
    for the cycle collector on every write, and nearly every transaction wins its race."""
    try:
        return await work()
    except Exception as error:
        if attempts <= 1 or not _retried(error):
            raise
    await asyncio.sleep(random.uniform(0, FIRST_WAIT))  # noqa: S311 - a jitter, not a secret
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(attempts - 1),
        wait=wait_random_exponential(multiplier=2 * FIRST_WAIT, max=MAX_WAIT),  # from the second wait on
        retry=retry_if_exception(_retried),
        reraise=True,
    ):
        with attempt:
            return await work()
    raise AssertionError('unreachable')  # tenacity returns or raises from inside the loop
