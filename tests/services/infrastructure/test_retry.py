"""Which failed transactions are retried: decided by error codes, never by the text of a message"""

import gc
import sqlite3

import asyncpg
import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from services.infrastructure.retry import is_transient, retrying


def postgres(kind: type[asyncpg.PostgresError], message: str, **fields: str) -> OperationalError:
    """A PostgreSQL error as Tortoise raises it, with a message in French (lc_messages = 'fr_FR')."""
    cause = kind(message)
    for name, value in fields.items():
        setattr(cause, name, value)
    try:
        raise OperationalError(cause) from cause
    except OperationalError as wrapped:
        return wrapped


def sqlite_unique(table: str) -> IntegrityError:
    """A real SQLite unique violation on ``table``."""
    connection = sqlite3.connect(':memory:')
    connection.execute(f'CREATE TABLE {table} (contract_id INT, client_id TEXT, UNIQUE (contract_id, client_id))')
    connection.execute(f"INSERT INTO {table} VALUES (1, 'a')")
    try:
        connection.execute(f"INSERT INTO {table} VALUES (1, 'a')")
    except sqlite3.IntegrityError as cause:
        try:
            raise IntegrityError(cause) from cause
        except IntegrityError as wrapped:
            return wrapped
    raise AssertionError('no unique violation')


def test_postgres_codes_decide_whatever_the_language() -> None:
    assert is_transient(postgres(asyncpg.DeadlockDetectedError, 'blocage mortel détecté'))
    assert is_transient(postgres(asyncpg.SerializationError, 'n’a pas pu sérialiser un accès'))
    assert is_transient(postgres(asyncpg.UniqueViolationError, 'la valeur d’une clé dupliquée', table_name='lot'))
    assert is_transient(postgres(asyncpg.UniqueViolationError, 'clé dupliquée', table_name='transfer'))
    # a unique violation elsewhere is a bug or a real conflict, not a race: retrying would only repeat it
    assert not is_transient(postgres(asyncpg.UniqueViolationError, 'clé dupliquée', table_name='team'))
    assert not is_transient(postgres(asyncpg.CheckViolationError, 'deadlock unique database is locked'))
    assert not is_transient(OperationalError('deadlock detected'))  # the words alone decide nothing


def test_sqlite_result_codes() -> None:
    assert is_transient(sqlite_unique('lot'))
    assert not is_transient(sqlite_unique('team'))
    busy = sqlite3.OperationalError('database is locked')
    busy.sqlite_errorcode = 5
    assert is_transient(OperationalError(busy))
    other = sqlite3.OperationalError('no such table')
    other.sqlite_errorcode = 1
    assert not is_transient(OperationalError(other))


async def test_a_transient_failure_runs_again_and_another_does_not() -> None:
    calls: list[int] = []

    async def lost_a_race_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise postgres(asyncpg.DeadlockDetectedError, 'blocage')
        return 'done'

    assert await retrying(lost_a_race_once) == 'done'
    assert len(calls) == 2

    async def broken() -> None:
        raise postgres(asyncpg.NotNullViolationError, 'valeur NULL')

    with pytest.raises(OperationalError):
        await retrying(broken)


async def test_a_race_lost_every_time_gives_up_after_the_attempts_with_the_database_error() -> None:
    calls: list[int] = []

    async def always_deadlocked() -> None:
        calls.append(1)
        raise postgres(asyncpg.DeadlockDetectedError, 'blocage')

    with pytest.raises(OperationalError):
        await retrying(always_deadlocked, attempts=3)
    assert len(calls) == 3


async def test_a_transaction_that_wins_its_race_leaves_no_garbage_for_the_cycle_collector() -> None:
    async def work() -> str:
        return 'done'

    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            assert await retrying(work) == 'done'
        assert gc.collect() == 0  # tenacity's loop left ~30 objects in cycles per transaction
    finally:
        gc.enable()
