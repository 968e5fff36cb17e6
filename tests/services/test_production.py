"""PostgreSQL production mode: schema upgrades, work that runs once, and a storm of mixed writers"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
import pytest
from tortoise import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from services import coordination, ledger
from services.audit import check_ledger
from services.balances import contract_balances
from services.database import close_database, open_database, tortoise_config
from services.errors import InsufficientBalance
from tests.conftest import truncate_all
from tests.helpers import NOW, buy, flex_contract, use


@pytest.mark.parametrize('lane', ['postgres'])
async def test_a_database_of_the_previous_migration_is_upgraded_in_place(lane: str, postgres_url: str) -> None:
    reset = await asyncpg.connect(postgres_url)
    await reset.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
    await reset.close()
    config = tortoise_config(postgres_url)
    await open_database(postgres_url, apply_migrations=False)
    await MigrationExecutor(connections.get('default'), config['apps']).migrate(
        [MigrationTarget('balances', '0003_api_keys')]
    )
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'])
    await ledger.consume(contract, [use('e', 4, team=teams['A'])], now=NOW)
    await close_database()

    await open_database(postgres_url)  # what the app does at start: migrate to the latest
    indexes = await connections.get('default').execute_query_dict(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'usage_event'"
    )
    assert any('(contract_id, occurred_at)' in row['indexdef'] for row in indexes)
    balance = (await contract_balances(contract, now=NOW)).balances[0]
    assert (balance.available, balance.used) == (6, 4)
    assert await check_ledger(contract, now=NOW) == []
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
            except BaseException as error:  # a deadlock or any other error reaching a client fails the test
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
