"""Writing usage: the events, their ledger entries and the daily rollup, in the caller's transaction

The rollup (day × holder × team tag × product × user) is incremented with an upsert, so reports read O(days)
rows. Days are calendar dates in the contract's time zone.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from uuid import uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from models import Contract, UsageEvent
from services.database import insert_rows
from services.dates import local_date
from services.usage_input import CheckedUsage

LOOKUP_CHUNK = 1000
NO_TEAM = 0

EVENT_COLUMNS = (
    'id',
    'contract_id',
    'client_id',
    'fingerprint',
    'holder_id',
    'team_id',
    'user_name',
    'product',
    'quantity',
    'occurred_at',
    'received_at',
)
ENTRY_COLUMNS = ('contract_id', 'holder_id', 'lot_id', 'kind', 'quantity', 'usage_event_id', 'created_at')
DAILY_COLUMNS = ('contract_id', 'holder_id', 'team_key', 'day', 'product', 'user_name', 'quantity', 'events')
DAILY_UPSERT = (
    'ON CONFLICT (holder_id, team_key, day, product, user_name) DO UPDATE SET '
    'quantity = usage_daily.quantity + excluded.quantity, events = usage_daily.events + excluded.events'
)


async def recorded_fingerprints(conn: BaseDBAsyncClient, contract_id: int, client_ids: list[str]) -> dict[str, str]:
    """The payload fingerprints of the events among ``client_ids`` already recorded for this contract."""
    found: dict[str, str] = {}
    for start in range(0, len(client_ids), LOOKUP_CHUNK):
        chunk = client_ids[start : start + LOOKUP_CHUNK]
        rows = (
            await UsageEvent.filter(contract_id=contract_id, client_id__in=chunk)
            .using_db(conn)
            .values_list('client_id', 'fingerprint')
        )
        found.update(rows)
    return found


async def insert_new(
    conn: BaseDBAsyncClient, contract: Contract, events: Sequence[CheckedUsage], now: datetime
) -> dict[str, str]:
    """Insert the events whose client id is new to the contract; returns their row ids by client id.

    The unique index decides what is new (``ON CONFLICT DO NOTHING``): no lookup whose plan could degrade with the
    table's size, and a concurrent writer of the same id waits on the index instead of racing past a read.
    """
    ids = {event.client_id: str(uuid4()) for event in events}
    inserted = await insert_rows(
        conn,
        'usage_event',
        EVENT_COLUMNS,
        [
            (
                ids[e.client_id],
                contract.id,
                e.client_id,
                e.fingerprint,
                e.holder_id,
                e.team_id,
                e.user,
                e.product,
                e.units,
                e.occurred_at,
                now,
            )
            for e in events
        ],
        suffix='ON CONFLICT (contract_id, client_id) DO NOTHING RETURNING client_id',
    )
    return {row['client_id']: ids[row['client_id']] for row in inserted}


async def record(
    conn: BaseDBAsyncClient,
    contract: Contract,
    events: Sequence[CheckedUsage],
    ids: dict[str, str],
    draws: Sequence[tuple[CheckedUsage, int, int]],
    now: datetime,
) -> None:
    """Append a ``consume`` entry per draw ``(event, lot id, units)`` and add the new ``events`` to the rollup."""
    await insert_rows(
        conn,
        'ledger_entry',
        ENTRY_COLUMNS,
        [
            (contract.id, event.holder_id, lot_id, 'consume', -units, ids[event.client_id], now)
            for event, lot_id, units in draws
        ],
    )
    days: dict[tuple[int, int, date, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for event in events:
        key = (
            event.holder_id,
            event.team_id or NO_TEAM,
            local_date(event.occurred_at, contract.timezone),
            event.product,
            event.user,
        )
        days[key][0] += event.units
        days[key][1] += 1
    await insert_rows(
        conn,
        'usage_daily',
        DAILY_COLUMNS,
        [
            (contract.id, holder_id, team_key, day, product, user, units, count)
            for (holder_id, team_key, day, product, user), (units, count) in days.items()
        ],
        suffix=DAILY_UPSERT,
    )
