"""Work that must happen once across app processes sharing one PostgreSQL

Migrations and the demo load run one process at a time (the others wait, then find the work done); the demo feed
(and later, alerts) runs in one process only, the holder of a session advisory lock, and another process takes
over when the holder dies. Each lock lives on its own connection, outside the pool: closing it releases the lock.
On SQLite there is one process, and every call here simply lets it proceed.
"""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg

MIGRATE_AND_LOAD = 0x42414C01
DEMO_FEED = 0x42414C02
ALERTS = 0x42414C03  # the evaluation of alert rules: one process of a deployment
LEDGER_CHECK = 0x42414C04  # the ledger's scheduled full check: one process of a deployment


def _dsn(db_url: str) -> str | None:
    return db_url.split('?', 1)[0] if db_url.startswith('postgres') else None


@contextlib.asynccontextmanager
async def one_at_a_time(db_url: str, key: int) -> AsyncIterator[None]:
    """Wait for the lock ``key``, hold it for the block, release it."""
    dsn = _dsn(db_url)
    if dsn is None:
        yield
        return
    connection = await asyncpg.connect(dsn, server_settings={'application_name': 'balances-lock'})
    try:
        await connection.execute('SELECT pg_advisory_lock($1)', key)
        yield
    finally:
        await connection.close()


class Leadership:
    """Whether this process runs a job that must run once: it holds the lock ``key`` (retried on every call)."""

    def __init__(self, db_url: str, key: int) -> None:
        self.dsn, self.key = _dsn(db_url), key
        self.connection: asyncpg.Connection | None = None

    async def holds(self) -> bool:
        if self.dsn is None:
            return True
        if self.connection is not None and not self.connection.is_closed():
            return True
        try:
            connection = await asyncpg.connect(self.dsn, server_settings={'application_name': 'balances-leader'})
        except (OSError, asyncpg.PostgresError):
            return False
        if await connection.fetchval('SELECT pg_try_advisory_lock($1)', self.key):
            self.connection = connection
            return True
        await connection.close()
        return False

    async def run(self, job: Callable[[], Awaitable[object]]) -> None:
        """Run ``job`` if this process leads (call it from a timer: followers keep asking, and take over)."""
        if await self.holds():
            await job()

    async def release(self) -> None:
        if self.connection is not None and not self.connection.is_closed():
            await self.connection.close()
        self.connection = None
