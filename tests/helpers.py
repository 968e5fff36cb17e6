"""Shared test helpers: a fixed clock, small builders, and a snapshot of every table"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections

from services import ledger
from services.accounts import contracts
from services.ingest.events import UsageInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


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
