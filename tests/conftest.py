"""Database lanes

Every test that asks for ``db`` runs twice: on a fresh SQLite database, and on PostgreSQL 15 (a throwaway cluster
this session starts, or ``BALANCES_TEST_PG_URL``), truncated before each test. Both lanes always run; a missing
PostgreSQL is an error, never a skip. A fresh SQLite database is a copy of one migrated once per session, in memory
(``/dev/shm``) when the machine has it: running the migrations costs 0.2 s a database, a copy a millisecond.
"""

import asyncio
import os
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiosqlite
import asyncpg
import pytest
from tortoise import Tortoise, connections

from services.infrastructure.database import close_database, open_database
from tests.pg_cluster import throwaway_cluster

LANES = ['sqlite', 'postgres']
EXIT_STATUS = pytest.StashKey[int]()


@pytest.fixture(scope='session')
def postgres_url() -> Iterator[str]:
    if url := os.environ.get('BALANCES_TEST_PG_URL'):
        yield url
        return
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(scope='session')
def sqlite_template() -> Iterator[Path]:
    """A SQLite database file with every migration applied, to copy."""
    folder = Path(tempfile.mkdtemp(prefix='balances-sqlite-', dir='/dev/shm' if Path('/dev/shm').is_dir() else None))
    template = folder / 'template.sqlite3'

    async def migrate() -> None:
        await open_database(f'sqlite://{template}')
        await close_database()

    asyncio.run(migrate())
    yield template
    shutil.rmtree(folder, ignore_errors=True)


def fresh_sqlite(template: Path) -> str:
    """The URL of a new copy of the migrated template (removed with the session's folder)."""
    copy = template.with_name(f'{uuid.uuid4().hex}.sqlite3')
    shutil.copyfile(template, copy)
    return f'sqlite://{copy}'


@pytest.fixture(params=LANES)
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == 'sqlite':
        return fresh_sqlite(request.getfixturevalue('sqlite_template'))
    return str(request.getfixturevalue('postgres_url'))


async def truncate_all() -> None:
    tables = [model._meta.db_table for model in Tortoise.apps['balances'].values()]
    await connections.get('default').execute_script(f'TRUNCATE {", ".join(tables)} RESTART IDENTITY CASCADE')


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """An empty, migrated database of the lane; yields its dialect (``sqlite`` or ``postgres``)."""
    await open_database(db_url)
    dialect = connections.get('default').capabilities.dialect
    if dialect == 'postgres':
        await truncate_all()
    yield dialect
    await close_database()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A SQLite connection left open keeps a thread that would keep pytest from exiting (a CI run that never ends):
    say so, and stop it (its worker ends at the sentinel of ``close``)."""
    session.config.stash[EXIT_STATUS] = int(exitstatus)
    worker_of = aiosqlite.core._connection_worker_thread
    workers = [t for t in threading.enumerate() if getattr(t, '_target', None) is worker_of]
    for worker in workers:
        worker._args[0].put_nowait((None, lambda: aiosqlite.core._STOP_RUNNING_SENTINEL))  # type: ignore[attr-defined]
    if workers:
        print(f'\nwarning: {len(workers)} SQLite connection(s) were left open by the tests; stopped at exit')


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last resort: a thread that would still hold the interpreter open after the results are reported (and the
    coverage saved) is named, and the process ends with the run's own status rather than waiting for it forever."""
    time_left = 5.0
    lingering = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in lingering:
        thread.join(timeout=time_left / len(lingering))
    lingering = [t for t in lingering if t.is_alive()]
    if lingering:
        names = ', '.join(sorted(t.name for t in lingering))
        print(f'\nwarning: threads left running at exit ({names}); exiting without waiting for them', flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(EXIT_STATUS, 1))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each lane's tests, so that ``-m sqlite`` or ``-m postgres`` runs one lane."""
    for item in items:
        params = getattr(getattr(item, 'callspec', None), 'params', {})
        lane = params.get('lane') or params.get('db_url')
        if isinstance(lane, str) and lane.startswith('sqlite'):
            item.add_marker(pytest.mark.sqlite)
        elif isinstance(lane, str) and lane.startswith('postgres'):
            item.add_marker(pytest.mark.postgres)


def empty_schema(url: str) -> None:
    """Drop everything of the PostgreSQL database (for tests that start a real server on it)."""

    async def drop() -> None:
        connection = await asyncpg.connect(url)
        await connection.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
        await connection.close()

    asyncio.run(drop())
