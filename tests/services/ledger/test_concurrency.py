"""Concurrent writers on one holder: never an overdraft, never a double charge, no deadlock

On PostgreSQL the writers run on separate pooled connections and really race (``SELECT … FOR UPDATE`` serialises
them); on SQLite they interleave on one connection whose transactions are serialised.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any

from services import ledger
from services.domain.errors import InsufficientBalance
from services.reading.audit import check_ledger
from services.reading.state import contract_balances
from tests.helpers import NOW, buy, flex_contract, use

RACERS = 50


async def test_50_consumers_race_for_the_last_tokens(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'p1', '7.5', team)
    await buy(contract, 'p2', '5', team)  # 12.5 tokens: 12 events of 1 fit, with 0.5 left over

    async def racer(n: int) -> bool:
        try:
            await ledger.consume(contract, [use(f'race-{n}', 1, team=team)], now=NOW)
        except InsufficientBalance:
            return False
        return True

    outcomes = await asyncio.gather(*(racer(n) for n in range(RACERS)))
    assert sum(outcomes) == 12
    balance = (await contract_balances(contract, now=NOW)).balances[0]
    assert (str(balance.available), balance.used) == ('0.5', 12)
    assert await check_ledger(contract, now=NOW) == []


async def test_concurrent_replays_of_one_new_event_charge_it_once(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 100, teams['A'])
    results = await asyncio.gather(
        *(ledger.consume(contract, [use('same', 3, team=teams['A'])], now=NOW) for _ in range(20))
    )
    assert sum(r.accepted for r in results) == 1
    assert sum(r.duplicates for r in results) == 19
    assert (await contract_balances(contract, now=NOW)).balances[0].used == 3


async def test_crossed_transfers_and_usage_do_not_deadlock(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'pa', 100, a)
    await buy(contract, 'pb', 100, b)
    calls: list[Coroutine[Any, Any, object]] = []
    for n in range(20):
        source, target = (a, b) if n % 2 else (b, a)
        calls.append(
            ledger.transfer(contract, client_id=f't{n}', from_team=source, to_team=target, quantity=1, now=NOW)
        )
        calls.append(ledger.consume(contract, [use(f'e{n}', 1, team=source)], now=NOW))
    await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    balances = (await contract_balances(contract, now=NOW)).balances
    assert sum(b.total for b in balances) == 200
    assert sum(b.used for b in balances) == 20
    assert await check_ledger(contract, now=NOW) == []
