"""Database wiring

One Tortoise configuration for the app, the tests and the ``tortoise`` CLI (``tortoise -c
services.database.TORTOISE_ORM makemigrations``). The schema is created and upgraded by Tortoise's built-in
migrations in ``models/migrations``, never by ``generate_schemas``.
"""

import asyncio
import contextlib
import contextvars
import functools
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from pypika_tortoise import Dialects, Query
from pypika_tortoise.dialects import PostgreSQLQuery, SQLLiteQuery
from pypika_tortoise.dialects.postgresql import PostgreSQLQueryBuilder
from pypika_tortoise.dialects.sqlite import SQLLiteQueryBuilder
from pypika_tortoise.queries import QueryBuilder, _SetOperation
from pypika_tortoise.terms import Field, Parameter
from tortoise import Tortoise, connections
from tortoise.backends.base import executor
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from models import APP_LABEL, MODEL_MODULES

DEFAULT_DB_URL = 'sqlite://data/balances.sqlite3'
READER = 'reader'
_snapshot: contextvars.ContextVar[BaseDBAsyncClient | None] = contextvars.ContextVar('snapshot', default=None)


def tortoise_config(db_url: str) -> dict[str, Any]:
    """The Tortoise configuration for a database URL (``sqlite://PATH`` or ``postgres://…``): on a SQLite file, a
    second connection for snapshots (``READER``): in WAL mode its reads run beside the writer's transactions, so that
    a page's read or an entitlement check never queues behind a batch of usage; on PostgreSQL, a pool that takes its
    connections back as they are (``_handed_back_as_is``)."""
    connections: dict[str, Any] = {'default': db_url}
    if db_url.startswith('sqlite://') and ':memory:' not in db_url:
        connections[READER] = db_url
    elif db_url.startswith('postgres'):
        connections['default'] = expand_db_url(db_url)
        connections['default']['credentials']['reset'] = _handed_back_as_is
    return {
        'connections': connections,
        'apps': {APP_LABEL: {'models': MODEL_MODULES, 'migrations': 'models.migrations'}},
        'use_tz': True,
        'timezone': 'UTC',
    }


async def _handed_back_as_is(connection: object) -> None:
    """How the PostgreSQL pool resets a connection it takes back, after asyncpg rolled back a transaction left open:
    not at all. asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` — a round trip
    for every statement or transaction outside one — to undo session state this app never leaves on a pooled
    connection: its advisory locks there end with their transaction, its settings are ``SET TRANSACTION``, and its
    session locks and ``LISTEN`` have connections of their own (``coordination``, ``bus``)."""


TORTOISE_ORM = tortoise_config(os.environ.get('BALANCES_DB_URL', DEFAULT_DB_URL))


def ensure_sqlite_folder(db_url: str) -> None:
    """Create the folder of a SQLite file, so that a fresh clone starts without a manual step."""
    if db_url.startswith('sqlite://') and ':memory:' not in db_url:
        Path(db_url.removeprefix('sqlite://')).parent.mkdir(parents=True, exist_ok=True)


async def open_database(db_url: str, *, apply_migrations: bool = True) -> None:
    """Initialise Tortoise for this process, then create or upgrade the schema on that same connection.

    Migrating on the open connection (rather than through ``tortoise.migrations.api.migrate``, which opens and
    closes its own) keeps an in-memory SQLite database alive for the tests.
    """
    ensure_sqlite_folder(db_url)
    config = tortoise_config(db_url)
    # Tortoise caches INSERT statements by connection name, not by dialect: drop those of a previous database
    executor.EXECUTOR_CACHE.clear()

    async def init() -> None:
        await Tortoise.close_connections()  # a database this process had open (an app started inside another's tests)
        # as register_tortoise does: tasks started elsewhere (NiceGUI handlers, the tests' loops) see this ORM context
        await Tortoise.init(config=config, _enable_global_fallback=True)
        if apply_migrations:
            try:
                await MigrationExecutor(connection(), config['apps']).migrate()
            except BaseException:
                await Tortoise.close_connections()
                raise

    # in an empty context: the ORM's context is then found through the process-wide fallback only, never through a
    # context variable that tasks copy; otherwise a task begun before a restart (the tests start the app again and
    # again in one process) would keep reading the closed database of the earlier start
    await asyncio.create_task(init(), context=contextvars.Context())


async def close_database() -> None:
    """Close this process's connections."""
    await Tortoise.close_connections()


def connection() -> BaseDBAsyncClient:
    """The connection of the current context: a snapshot's inside ``snapshot()``, the transaction's inside
    ``in_transaction('default')``, else the pool's."""
    return _snapshot.get() or cast(BaseDBAsyncClient, connections.get('default'))


@contextlib.asynccontextmanager
async def snapshot() -> AsyncIterator[BaseDBAsyncClient]:
    """A read-only transaction whose statements all see one committed state.

    On PostgreSQL, ``REPEATABLE READ``: one snapshot for the whole transaction (the default ``READ COMMITTED``
    takes one per statement). On a SQLite file, a read transaction on the reading connection: WAL gives it the state
    committed when it began, while the writer goes on.
    """
    name = READER if READER in connections.db_config else 'default'
    async with in_transaction(name) as conn:
        if is_postgres(conn):
            await conn.execute_script('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        token = _snapshot.set(conn)
        try:
            yield conn
        finally:
            _snapshot.reset(token)


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    """Whether the connection (by default the current one) speaks PostgreSQL rather than SQLite."""
    return (conn or connection()).capabilities.dialect == 'postgres'


class _SQLiteQuery(SQLLiteQuery):
    """SQLite's, with the parts of a ``UNION`` left unparenthesised: SQLite refuses ``(SELECT …) UNION (…)``."""

    @classmethod
    def _builder(cls, **kwargs: Any) -> SQLLiteQueryBuilder:
        built = SQLLiteQueryBuilder(**{'wrap_set_operation_queries': False, **kwargs})
        built.dialect = Dialects.SQLITE  # type: ignore[attr-defined]  # read by a UNION for its parameters' marks (PyPika does not set it)
        return built


class _PostgresQuery(PostgreSQLQuery):
    """PostgreSQL's, whose ``UNION``s mark their parameters ``$n`` too."""

    @classmethod
    def _builder(cls, **kwargs: Any) -> PostgreSQLQueryBuilder:
        built = PostgreSQLQueryBuilder(**kwargs)
        built.dialect = Dialects.POSTGRESQL  # type: ignore[attr-defined]  # read by a UNION for its parameters' marks (PyPika does not set it)
        return built


Built = QueryBuilder | _SetOperation


def returning(built: QueryBuilder, *fields: Field) -> QueryBuilder:
    """``built … RETURNING fields``: both dialects' builders have it (PyPika's base type does not say so)."""
    return cast(PostgreSQLQueryBuilder | SQLLiteQueryBuilder, built).returning(*fields)


class Marks:
    """What a statement is built with: the dialect's query builder (``query`` — PyPika, as Tortoise builds its own
    statements) and numbered parameter marks, in order. Every value is bound through a mark, never written into the
    SQL; a statement that names the same values several times (a set of holders in each part of a ``UNION``) binds
    them once, so that its parameters stay under the dialects' limit whatever the number of parts."""

    def __init__(self, postgres: bool) -> None:
        self.postgres, self.count = postgres, 0
        self.query: type[Query] = _PostgresQuery if postgres else _SQLiteQuery

    def next(self) -> Parameter:
        self.count += 1
        return Parameter(_mark(self.postgres, self.count))

    def many(self, count: int) -> list[Parameter]:
        return [self.next() for _ in range(count)]


def shaped(build: Callable[..., Built]) -> Callable[..., str]:
    """A statement built once per dialect and shape — the numbers of values it binds, which is all its SQL depends
    on — and kept: a read that runs on every live change pays for PyPika's rendering only the first time.
    ``build(marks, *shape)`` → the statement; the result is called ``(postgres, *shape)`` → its SQL."""

    @functools.lru_cache(maxsize=1024)
    def sql(postgres: bool, *shape: object) -> str:
        built = build(Marks(postgres), *shape)
        base = built.base_query if isinstance(built, _SetOperation) else built
        return built.get_sql(base.QUERY_CLS.SQL_CONTEXT)

    return sql


async def fetch_shaped(
    conn: BaseDBAsyncClient, statement: Callable[..., str], values: Sequence[object], *shape: object
) -> list[dict[str, Any]]:
    """Run a ``shaped`` statement of that shape with its values (in the order of its marks); its rows as dicts."""
    return await conn.execute_query_dict(statement(is_postgres(conn), *shape), list(values))


def placeholders(conn: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    """Positional parameter markers of the connection's dialect (``?`` for SQLite, ``$n`` for PostgreSQL)."""
    if is_postgres(conn):
        return [f'${i}' for i in range(start, start + count)]
    return ['?'] * count


def mark(conn: BaseDBAsyncClient, number: int) -> str:
    """The marker of the ``number``-th parameter (1-based), which a statement may repeat: ``?n`` or ``$n``."""
    return _mark(is_postgres(conn), number)


def _mark(postgres: bool, number: int) -> str:
    return f'${number}' if postgres else f'?{number}'


def to_date(value: object) -> date:
    """A date column's value as a ``date`` (SQLite returns it as ``YYYY-MM-DD`` text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def to_datetime(value: object) -> datetime:
    """A timestamp column's value as an aware ``datetime`` in UTC (SQLite returns it as ISO text)."""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(instant: datetime) -> int:
    """An aware instant as whole microseconds since the epoch (exact: no float on the way), as the rollups store it."""
    return (instant - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    """Whole microseconds since the epoch as an aware UTC ``datetime``."""
    return EPOCH + value * MICROSECOND


MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 32,767 bound parameters per statement


async def insert_rows(
    conn: BaseDBAsyncClient, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, suffix: str = ''
) -> list[dict[str, Any]]:
    """Insert rows with multi-row ``INSERT … VALUES`` statements, as few as the parameter limit allows.

    ``suffix`` follows the values (``ON CONFLICT …``, ``RETURNING …``: the code's own constants); returned rows are
    collected. The one statement not built with PyPika: it carries a usage batch (11,000 values for 1,000 events),
    which PyPika's terms take 16 ms to render against well under 1 ms here — a sixth of the ingestion path's time.
    Only identifiers of the code and parameter marks are written into it; every value is bound.
    """
    returned: list[dict[str, Any]] = []
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    names = ', '.join(f'"{column}"' for column in columns)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        marks = iter(placeholders(conn, len(chunk) * len(columns)))
        values = ', '.join('(' + ', '.join(next(marks) for _ in columns) + ')' for _ in chunk)
        params = [value for row in chunk for value in row]
        returned += await conn.execute_query_dict(f'INSERT INTO "{table}" ({names}) VALUES {values} {suffix}', params)  # noqa: S608
    return returned
