"""Product sessions rated into usage: a user's first use of a product opens a 24-hour window charged its daily rate

The spec's rules, per contract, user and product: a session starting inside an already charged window ``[start,
start + 24 h)`` costs nothing; otherwise a session of 5 minutes or more opens a window at its ``started_at``, charged
the rate effective then, as a usage event of its team, user and product (``occurred_at`` = ``started_at``, id
``session:`` + the session's id) — through ``writes.charge``, the one way usage reaches the ledger; a shorter one
costs nothing. Within a batch, sessions are rated in ``started_at`` order; charges are final.

One transaction per batch: the sessions are recorded (the unique id decides what is new), the windows that may cover
them read — those of the batch's (user, product) opened in the 24 hours before its earliest session, from an index:
O(sessions + windows), never the history — the new windows and the usage written. Two batches of the same user and
product wait for each other (an advisory lock of that pair on PostgreSQL; SQLite has one writer), so they charge one
window, not two.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from pypika_tortoise import Table, Tuple
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import Contract, Team
from services.accounts.contracts import contract_row
from services.catalog.products import RateBook, rate_book
from services.domain.checks import fingerprint
from services.domain.errors import ClientIdConflict
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.ingest.events import CheckedBatch, CheckedUsage
from services.ingest.sessions import CheckedSession, SessionInput, checked_sessions
from services.ledger.writes import charge, committed, holders_of, lock_holders

WINDOW = timedelta(hours=24)
FREE_UNDER = 5  # minutes: a shorter session that opens no window costs nothing
EVENT_PREFIX = 'session:'
SESSION_COLUMNS = (
    'contract_id', 'client_id', 'fingerprint', 'holder_id', 'team_id', 'user_name', 'product', 'started_at',
    'minutes', 'charged', 'received_at',
)  # fmt: skip


@dataclass(frozen=True)
class Charge:
    """What one accepted session cost, and the window it opened (none when it cost nothing)."""

    id: str
    quantity: Decimal
    window_start: datetime | None
    window_end: datetime | None


@dataclass(frozen=True)
class RatedSessions:
    accepted: int
    duplicates: int
    charged: tuple[Charge, ...]  # one per accepted session, in the order given
    holders: frozenset[int] = frozenset()


async def _lock_pairs(conn: BaseDBAsyncClient, contract_id: int, pairs: set[tuple[str, str]]) -> None:
    """On PostgreSQL, hold each (user, product) of the batch for the transaction, in one order (no deadlock)."""
    if database.is_postgres(conn):
        for user, product in sorted(pairs):
            await conn.execute_query(
                'SELECT pg_advisory_xact_lock(hashtext($1))', [f'balances window {contract_id} {user} {product}']
            )


SESSION, WINDOWS = Table('product_session'), Table('usage_window')


@database.shaped
def _windows_sql(marks: database.Marks, pairs: int) -> database.Built:
    contract, since = marks.many(2)
    wanted = [Tuple(*marks.many(2)) for _ in range(pairs)]
    return (
        marks.query.from_(WINDOWS)
        .select(WINDOWS.user_name, WINDOWS.product, WINDOWS.starts_at)
        .where(
            (WINDOWS.contract_id == contract)
            & (WINDOWS.starts_at > since)
            & Tuple(WINDOWS.user_name, WINDOWS.product).isin(wanted)
        )
    )


@database.shaped
def _fingerprints_sql(marks: database.Marks, sessions: int) -> database.Built:
    contract = marks.next()
    chosen = (SESSION.contract_id == contract) & SESSION.client_id.isin(marks.many(sessions))
    return marks.query.from_(SESSION).select(SESSION.client_id, SESSION.fingerprint).where(chosen)


@database.shaped
def _charged_sql(marks: database.Marks) -> database.Built:
    charged, window_start, contract, client_id = marks.many(4)
    return (
        marks.query.update(SESSION)
        .set(SESSION.charged, charged)
        .set(SESSION.window_start, window_start)
        .where((SESSION.contract_id == contract) & (SESSION.client_id == client_id))
    )


async def _windows(
    conn: BaseDBAsyncClient, contract_id: int, pairs: set[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], list[datetime]]:
    """The start of each window of these (user, product) pairs that opened after ``since``."""
    rows = []
    for start in range(0, len(pairs), 500):
        chunk = sorted(pairs)[start : start + 500]
        values = [contract_id, since, *(value for pair in chunk for value in pair)]
        rows += await database.fetch_shaped(conn, _windows_sql, values, len(chunk))
    found: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for row in rows:
        found[str(row['user_name']), str(row['product'])].append(database.to_datetime(row['starts_at']))
    return found


def _rate(
    sessions: list[CheckedSession], windows: dict[tuple[str, str], list[datetime]], book: RateBook
) -> tuple[dict[str, Charge], list[tuple[CheckedSession, int]]]:
    """Each session's charge, in ``started_at`` order (ties: the order given); the sessions that open a window,
    with its rate."""
    charges: dict[str, Charge] = {}
    opened: list[tuple[CheckedSession, int]] = []
    for session in sorted(sessions, key=lambda s: (s.started_at, s.index)):
        starts = windows[session.user, session.product]
        inside = any(start <= session.started_at < start + WINDOW for start in starts)
        rate = book.rate_at(session.product, session.started_at)
        if inside or session.minutes < FREE_UNDER or rate is None:
            charges[session.client_id] = Charge(session.client_id, Decimal(0), None, None)
            continue
        starts.append(session.started_at)
        opened.append((session, rate))
        end = session.started_at + WINDOW
        charges[session.client_id] = Charge(session.client_id, from_units(rate), session.started_at, end)
    return charges, opened


def _usage(session: CheckedSession, rate: int) -> CheckedUsage:
    """The usage event a window's charge is: of its team, user and product, when the session started."""
    digest = fingerprint('session', session.team_id, session.user, session.product, rate, session.started_at)
    return CheckedUsage(
        EVENT_PREFIX + session.client_id,
        session.holder_id,
        session.team_id,
        session.user,
        session.product,
        rate,
        session.started_at,
        digest,
    )


async def rate_sessions(
    contract_id: int, sessions: list[SessionInput], *, now: datetime | None = None
) -> RatedSessions:
    """Rate a batch of 1 to 1,000 product sessions into usage (see the module's rules), all or nothing.

    Sessions already recorded with the same payload count as duplicates and are not charged again. Refuses with
    ``UnknownContract``, ``InvalidInput`` naming the field and the session's index (a product without a rate at its
    ``started_at`` among them), ``ClientIdConflict`` (an id reused with another payload) or ``InsufficientBalance``
    naming the session the lots cannot cover, writing nothing."""
    now = resolve(now)
    contract = await contract_row(contract_id)
    holders = await holders_of(contract)
    team_ids = set(cast(list[int], await Team.filter(contract_id=contract.id).values_list('id', flat=True)))
    book = await rate_book()
    batch = checked_sessions(contract, holders, team_ids, book, sessions, now)

    async def write() -> RatedSessions:
        async with in_transaction('default') as conn:
            await lock_holders(conn, {session.holder_id for session in batch.unique})
            await _lock_pairs(conn, contract.id, {(s.user, s.product) for s in batch.unique})
            new = await _record(conn, contract, list(batch.unique), now)
            if not new:
                return RatedSessions(0, batch.duplicates + len(batch.unique), ())
            since = min(session.started_at for session in new) - WINDOW
            windows = await _windows(conn, contract.id, {(s.user, s.product) for s in new}, since)
            charges, opened = _rate(new, windows, book)
            result = None
            if opened:
                usage = CheckedBatch(tuple(_usage(session, rate) for session, rate in opened), 0)
                naming = {EVENT_PREFIX + session.client_id: session.client_id for session, _ in opened}
                result = await charge(conn, contract, usage, now, naming=naming)
                await _write_windows(conn, contract, opened)
            given = sorted(new, key=lambda s: s.index)
            return RatedSessions(
                len(new),
                batch.duplicates + len(batch.unique) - len(new),
                tuple(charges[session.client_id] for session in given),
                result.holders if result else frozenset(),
            )

    return await committed(contract.id, write)


async def _record(
    conn: BaseDBAsyncClient, contract: Contract, sessions: list[CheckedSession], now: datetime
) -> list[CheckedSession]:
    """Record the sessions whose id is new to the contract (what the unique index says); check that those it knew
    came with the same payload. The new ones."""
    rows = [
        (contract.id, s.client_id, s.fingerprint, s.holder_id, s.team_id, s.user, s.product, s.started_at,
         s.minutes, 0, now)
        for s in sessions
    ]  # fmt: skip
    inserted = await database.insert_rows(
        conn,
        'product_session',
        SESSION_COLUMNS,
        rows,
        suffix='ON CONFLICT (contract_id, client_id) DO NOTHING RETURNING client_id',
    )
    ids = {str(row['client_id']) for row in inserted}
    replayed = [session for session in sessions if session.client_id not in ids]
    if replayed:
        values = [contract.id, *(session.client_id for session in replayed)]
        found = await database.fetch_shaped(conn, _fingerprints_sql, values, len(replayed))
        known = {str(row['client_id']): str(row['fingerprint']) for row in found}
        for session in replayed:
            if known.get(session.client_id) != session.fingerprint:
                raise ClientIdConflict('session', session.client_id)
    return [session for session in sessions if session.client_id in ids]


async def _write_windows(conn: BaseDBAsyncClient, contract: Contract, opened: list[tuple[CheckedSession, int]]) -> None:
    """The windows the batch opened, and what each opening session was charged."""
    await database.insert_rows(
        conn,
        'usage_window',
        ('contract_id', 'user_name', 'product', 'starts_at', 'ends_at', 'daily_rate'),
        [(contract.id, s.user, s.product, s.started_at, s.started_at + WINDOW, rate) for s, rate in opened],
    )
    await conn.execute_many(
        _charged_sql(database.is_postgres(conn)), [[rate, s.started_at, contract.id, s.client_id] for s, rate in opened]
    )
