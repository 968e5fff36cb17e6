"""Writing usage: the events and the rollups, in the caller's transaction (the entries are ``ledger.writes``'s)

Each batch adds to the rollups of the right grain (totals, products, users, and users and products together — what
a cap counts — per team tag, by day and by calendar month, in the contract's time zone) with upserts, and moves the
last time each product and user was seen per holder, so that every read is O(days × keys), never O(events). Upsert
rows are sorted by key: two batches touching the same rows lock them in the same order and cannot deadlock.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from uuid import uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from models import Contract, UsageEvent
from services.domain.dates import local_date
from services.infrastructure.database import insert_rows, micros
from services.ingest.events import CheckedUsage

DAY, MONTH = 1, 2  # the grains of the rollups
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


def _adding(table: str, keys: str, *columns: str) -> str:
    """The ``ON CONFLICT`` clause that adds a new row's ``columns`` to those of the row already there."""
    sums = ', '.join(f'{column} = {table}.{column} + excluded.{column}' for column in columns)
    return f'ON CONFLICT ({keys}) DO UPDATE SET {sums}'


PERIOD_KEY = 'contract_id, team_key, grain, day'
TOTAL_UPSERT = _adding('usage_total', PERIOD_KEY, 'quantity', 'events')
PRODUCT_UPSERT = _adding('usage_by_product', f'{PERIOD_KEY}, product', 'quantity')
USER_UPSERT = _adding('usage_by_user', f'{PERIOD_KEY}, user_name', 'quantity')
USER_PRODUCT_UPSERT = _adding('usage_by_user_product', f'{PERIOD_KEY}, user_name, product', 'quantity')
SEEN_UPSERT = (
    'ON CONFLICT (holder_id, kind, key) DO UPDATE SET last_at = excluded.last_at '
    'WHERE excluded.last_at > usage_seen.last_at'
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


async def add_to_rollups(
    conn: BaseDBAsyncClient, contract: Contract, events: Sequence[CheckedUsage], now: datetime
) -> None:
    """Add new events to the rollups and to the last-seen times of their products and users."""
    totals: dict[tuple[int, int, date], list[int]] = defaultdict(lambda: [0, 0])
    products: dict[tuple[int, int, date, str], int] = defaultdict(int)
    users: dict[tuple[int, int, date, str], int] = defaultdict(int)
    pairs: dict[tuple[int, int, date, str, str], int] = defaultdict(int)
    seen: dict[tuple[int, str, str], int] = {}
    ahead: list[tuple[int, int, str, str, int]] = []
    for event in events:
        day = local_date(event.occurred_at, contract.timezone)
        team_key = event.team_id or NO_TEAM
        for grain, period in ((DAY, day), (MONTH, day.replace(day=1))):
            total = totals[team_key, grain, period]
            total[0] += event.units
            total[1] += 1
            products[team_key, grain, period, event.product] += event.units
            users[team_key, grain, period, event.user] += event.units
            pairs[team_key, grain, period, event.user, event.product] += event.units
        at = micros(event.occurred_at)
        if event.occurred_at > now:
            ahead.append((contract.id, event.holder_id, event.product, event.user, at))
            continue
        for kind, key in (('p', event.product), ('u', event.user)):
            if seen.get((event.holder_id, kind, key), -1) < at:
                seen[event.holder_id, kind, key] = at
    columns = ('contract_id', 'team_key', 'grain', 'day')
    await insert_rows(
        conn,
        'usage_total',
        (*columns, 'quantity', 'events'),
        [(contract.id, *key, units, count) for key, (units, count) in sorted(totals.items())],
        suffix=TOTAL_UPSERT,
    )
    for table, column, upsert, sums in (
        ('usage_by_product', 'product', PRODUCT_UPSERT, products),
        ('usage_by_user', 'user_name', USER_UPSERT, users),
    ):
        rows = [(contract.id, *key, units) for key, units in sorted(sums.items())]
        await insert_rows(conn, table, (*columns, column, 'quantity'), rows, suffix=upsert)
    await insert_rows(
        conn,
        'usage_by_user_product',
        (*columns, 'user_name', 'product', 'quantity'),
        [(contract.id, *key, units) for key, units in sorted(pairs.items())],
        suffix=USER_PRODUCT_UPSERT,
    )
    await insert_rows(
        conn,
        'usage_seen',
        ('contract_id', 'holder_id', 'kind', 'key', 'last_at'),
        [(contract.id, *key, at) for key, at in sorted(seen.items())],
        suffix=SEEN_UPSERT,
    )
    await insert_rows(conn, 'usage_ahead', ('contract_id', 'holder_id', 'product', 'user_name', 'occurred_at'), ahead)
