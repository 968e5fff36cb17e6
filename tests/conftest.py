"""Database lanes

Every test that asks for ``db`` runs twice: on a fresh SQLite database, and on PostgreSQL 15 (a throwaway cluster
this session starts, or ``BALANCES_TEST_PG_URL``), truncated before each test. Both lanes always run; a missing
PostgreSQL is an error, never a skip. A fresh SQLite database is a copy of one migrated once per session, in memory
(``/dev/shm``) when the machine has it: running the migrations costs 0.2 s a database, a copy a millisecond.
"""

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections

from services.infrastructure.database import close_database, open_database
from tests.pg_cluster import throwaway_cluster

LANES = ['sqlite', 'postgres']


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
