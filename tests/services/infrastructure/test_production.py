"""PostgreSQL production mode: schema upgrades, work that runs once, and a storm of mixed writers"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from tortoise import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from services import ledger
from services.domain.dates import DateRange
from services.domain.errors import InsufficientBalance
from services.infrastructure import coordination, database
from services.infrastructure.database import close_database, open_database, tortoise_config
from services.reading.audit import check_ledger
from services.reading.state import contract_balances
from services.reading.usage import usage_breakdown
from tests.conftest import truncate_all
from tests.helpers import DAY, NOW, buy, flex_contract, use


async def _previous_version_data() -> None:
    """What the previous version (migration 0004) left: a Flex contract whose team bought 10 and used 4 in three
    events, one of them on another month and one dated ahead of its arrival, with its ``usage_daily`` rollup."""
    conn = connections.get('default')
    mark = partial(database.mark, conn)
    rows: list[tuple[str, dict[str, object]]] = [
        ('contract', {'id': 1, 'name': 'Old', 'region': 'FR', 'mode': 'flex', 'timezone': 'UTC', 'created_at': NOW}),
        ('team', {'id': 1, 'contract_id': 1, 'name': 'A', 'created_at': NOW}),
        ('holder', {'id': 1, 'contract_id': 1, 'team_id': 1}),
        (
            'lot',
            {
                'id': 1,
                'contract_id': 1,
                'holder_id': 1,
                'origin': 'purchase',
                'client_id': 'p',
                'fingerprint': 'f',
                'original': 100_000,
                'remaining': 60_000,
                'purchased_at': NOW - 60 * DAY,
                'expires_at': NOW + 300 * DAY,
                'created_at': NOW - 60 * DAY,
            },
        ),
        (
            'ledger_entry',
            {
                'contract_id': 1,
                'holder_id': 1,
                'lot_id': 1,
                'kind': 'purchase',
                'quantity': 100_000,
                'created_at': NOW - 60 * DAY,
            },
        ),
    ]
    events = [
        ('e1', 'ana', 'cad', 10_000, NOW - 40 * DAY),
        ('e2', 'bob', 'cad', 20_000, NOW - DAY),
        ('e3', 'ana', 'sim', 10_000, NOW + timedelta(minutes=2)),
    ]
    for client_id, user, product, units, occurred in events:
        event_id = str(uuid4())
        rows.append(
            (
                'usage_event',
                {
                    'id': event_id,
                    'contract_id': 1,
                    'client_id': client_id,
                    'fingerprint': 'f',
                    'holder_id': 1,
                    'team_id': 1,
                    'user_name': user,
                    'product': product,
                    'quantity': units,
                    'occurred_at': occurred,
                    'received_at': NOW,
                },
            )
        )
        rows.append(
            (
                'ledger_entry',
                {
                    'contract_id': 1,
                    'holder_id': 1,
                    'lot_id': 1,
                    'kind': 'consume',
                    'quantity': -units,
                    'usage_event_id': event_id,
                    'created_at': NOW,
                },
            )
        )
        rows.append(
            (
                'usage_daily',
                {
                    'contract_id': 1,
                    'holder_id': 1,
                    'team_key': 1,
                    'day': occurred.date(),
                    'product': product,
                    'user_name': user,
                    'quantity': units,
                    'events': 1,
                },
            )
        )
    for table, row in rows:
        columns = ', '.join(row)
        marks = ', '.join(mark(n) for n in range(1, len(row) + 1))
        await conn.execute_query(f'INSERT INTO {table} ({columns}) VALUES ({marks})', list(row.values()))


async def test_a_database_of_the_previous_version_is_upgraded_in_place(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith('sqlite'):
        db_url = f'sqlite://{tmp_path}/old.sqlite3'
    else:
        reset = await asyncpg.connect(db_url)
        await reset.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
        await reset.close()
    await open_database(db_url, apply_migrations=False)
    config = tortoise_config(db_url)
    await MigrationExecutor(connections.get('default'), config['apps']).migrate(
        [MigrationTarget('balances', '0004_usage_event_by_contract_and_time')]
    )
    await _previous_version_data()
    await close_database()

    await open_database(db_url)  # what the app does at start: migrate to the latest
    balance = (await contract_balances(1, now=NOW)).balances[0]
    assert (balance.available, balance.used, balance.products_90_days, balance.users_90_days) == (6, 4, 1, 2)
    later = (await contract_balances(1, now=NOW + timedelta(minutes=3))).balances[0]
    assert (later.products_90_days, later.users_90_days) == (2, 2)  # the event dated ahead has now occurred
    assert await check_ledger(1, now=NOW) == []  # the new rollups equal the events
    by_product = await usage_breakdown(1, DateRange(date(2026, 1, 1), date(2026, 12, 31)), now=NOW)
    assert [(row.key, row.quantity) for row in by_product.rows] == [('cad', 3), ('sim', 1)]
    await close_database()


@pytest.mark.parametrize('lane', ['postgres'])
async def test_one_leader_at_a_time_and_a_follower_takes_over(lane: str, postgres_url: str) -> None:
    first = coordination.Leadership(postgres_url, coordination.DEMO_FEED)
    second = coordination.Leadership(postgres_url, coordination.DEMO_FEED)
    runs: list[str] = []

    def job(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            runs.append(name)

        return run

    for _ in range(3):
        await first.run(job('first'))
        await second.run(job('second'))
    assert runs == ['first'] * 3
    await first.release()  # the leader's process is gone
    await second.run(job('second'))
    assert runs[-1] == 'second'
    await second.release()


WORKERS, OPERATIONS = 16, 500


@pytest.mark.parametrize('lane', ['postgres'])
async def test_16_workers_500_mixed_operations_on_a_few_holders(lane: str, postgres_url: str) -> None:
    await open_database(f'{postgres_url}?minsize=1&maxsize={WORKERS + 4}')  # a connection per worker: real races
    await truncate_all()
    contract, teams = await flex_contract('A', 'B', 'C')
    names = list(teams)
    for name in names:
        await buy(contract, f'seed-{name}', 300, teams[name])
    errors: list[BaseException] = []

    async def worker(n: int) -> int:
        rng = random.Random(n)
        bought = 0
        done: list[Callable[[], Awaitable[object]]] = []
        for i in range(OPERATIONS):
            kind = rng.choice(['consume', 'consume', 'consume', 'transfer', 'purchase', 'replay'])
            a, b = rng.sample(names, 2)
            call: Callable[[], Awaitable[object]]
            if kind == 'consume':
                events = [use(f'{n}-{i}-{k}', rng.choice(['0.5', '1', '2.25']), team=teams[a]) for k in range(3)]
                call = partial(ledger.consume, contract, events, now=NOW)
            elif kind == 'transfer':
                call = partial(
                    ledger.transfer,
                    contract,
                    client_id=f't{n}-{i}',
                    from_team=teams[a],
                    to_team=teams[b],
                    quantity='1.5',
                    now=NOW,
                )
            elif kind == 'purchase':
                call = partial(buy, contract, f'p{n}-{i}', 5, teams[a])
            elif done:
                call = rng.choice(done)
            else:
                continue
            try:
                await call()
            except InsufficientBalance:
                continue  # a refusal the client is meant to see
            except BaseException as error:  # noqa: BLE001 - a deadlock or any other error reaching a client fails the test
                errors.append(error)
                continue
            if kind == 'purchase':
                bought += 5
            if kind != 'replay':
                done.append(call)
        return bought

    bought = await asyncio.gather(*(worker(n) for n in range(WORKERS)))
    assert errors == []
    balances = (await contract_balances(contract, now=NOW)).balances
    assert all(b.available >= 0 for b in balances)
    assert sum(b.total for b in balances) == 900 + sum(bought)  # transfers conserve tokens, replays add nothing
    assert await check_ledger(contract, now=NOW) == []
    await close_database()


@pytest.mark.parametrize('lane', ['postgres'])
async def test_the_pool_takes_a_connection_back_without_a_round_trip_and_never_in_a_transaction(
    lane: str, postgres_url: str
) -> None:
    """asyncpg's pool would send ``… RESET ALL`` after each statement outside a transaction; this app's does not (the
    last statement the server saw on the connection is the app's own), and a transaction left open is still rolled
    back before the connection serves again."""
    await open_database(f'{postgres_url}?minsize=1&maxsize=1')  # one connection: every statement below on it
    watcher = await asyncpg.connect(postgres_url)
    try:
        conn = connections.get('default')
        (row,) = await conn.execute_query_dict('SELECT pg_backend_pid() AS pid')

        async def seen() -> tuple[str, str]:
            found = await watcher.fetchrow('SELECT state, query FROM pg_stat_activity WHERE pid = $1', row['pid'])
            assert found is not None
            return found['state'], found['query']

        assert await seen() == ('idle', 'SELECT pg_backend_pid() AS pid')
        async with conn._pool.acquire() as raw:  # a transaction begun and never ended, as a bug would leave it
            await raw.execute('BEGIN')
            await raw.execute('SELECT 1 AS one')
        assert await seen() == ('idle', 'ROLLBACK')  # not 'idle in transaction'
        assert (await conn.execute_query_dict('SELECT pg_backend_pid() AS pid')) == [row]  # the same connection
    finally:
        await watcher.close()
        await close_database()
