"""Shared test helpers: a fixed clock, a clock the test moves, small builders, and a snapshot of every table"""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections

from services import ledger
from services.accounts import contracts
from services.infrastructure.clock import Clock
from services.ingest.events import UsageInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class MovedClock(Clock):
    """A clock that stands still until the test moves it: time is moved, never slept."""

    def __init__(self, now: datetime = NOW) -> None:
        self.current = now
        self.seen: datetime | None = None  # the time a waiter last looked at (it then waits for a later one)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self.current

    def move(self, by: timedelta) -> None:
        self.current += by
        self._moved.set()

    async def wait(self, until: datetime | None, wake: asyncio.Event) -> None:
        while not wake.is_set() and (until is None or self.current < until):
            self.seen = self.current
            self._moved.clear()
            waiting = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(self._moved.wait())}
            _, pending = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()


async def until(condition: Any, seconds: float = 5.0) -> None:
    """Wait for a condition something else reaches (a pass of the live models, an evaluation), at most ``seconds``."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition is another task's state, no event to wait on
            await asyncio.sleep(0.01)


async def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to check that a refused call wrote nothing."""
    conn = connections.get('default')
    tables = sorted(model._meta.db_table for model in Tortoise.apps['balances'].values())
    result = {}
    for table in tables:
        rows = await conn.execute_query_dict(f'SELECT * FROM "{table}"')
        result[table] = sorted(tuple(sorted((k, str(v)) for k, v in row.items())) for row in rows)
    return result


async def flex_contract(*teams: str, timezone: str = 'UTC') -> tuple[int, dict[str, int]]:
    contract = await contracts.create_contract('Atelier', 'FR', timezone)
    ids = {name: (await contracts.create_team(contract.id, name)).id for name in teams}
    return contract.id, ids


async def cloud_contract(*teams: str, timezone: str = 'UTC') -> tuple[int, dict[str, int]]:
    contract = await contracts.create_contract('Construtora', 'BR', timezone)
    ids = {name: (await contracts.create_team(contract.id, name)).id for name in teams}
    return contract.id, ids


def use(
    event_id: str,
    quantity: object,
    *,
    team: int | None = None,
    user: str = 'ana@example.com',
    product: str = 'cad',
    at: datetime = NOW,
) -> UsageInput:
    return UsageInput(id=event_id, user=user, product=product, quantity=quantity, occurred_at=at, team=team)


async def buy(contract_id: int, lot_id: str, quantity: object, team: int | None = None, **kwargs: Any) -> None:
    kwargs.setdefault('now', NOW)
    await ledger.purchase(contract_id, client_id=lot_id, quantity=quantity, team=team, **kwargs)


def dec(text: str) -> Decimal:
    return Decimal(text)
