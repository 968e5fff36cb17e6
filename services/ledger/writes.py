"""The ledger's writes: purchases and consumption, and what every write shares (locks, lots, commit)

Every write locks the holders it touches (``SELECT … FOR UPDATE`` on PostgreSQL, in ascending id order so that
two writers never wait on each other; SQLite's single connection serialises transactions by itself), re-reads
their lots, checks idempotency, allocates in consumption order, and appends ledger entries, all in one
transaction. A refused call raises a ``services.domain.errors`` exception and writes nothing.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar, cast

from pypika_tortoise import Table
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import Contract, Holder, LedgerEntry, Lot, Team
from services.accounts.contracts import contract_row
from services.domain import regions
from services.domain.checks import client_id_of, fingerprint, instant, units_of
from services.domain.errors import (
    ClientIdConflict,
    InsufficientBalance,
    InvalidInput,
    UnknownTeam,
    WrongMode,
)
from services.domain.quantity import format_quantity, from_units
from services.infrastructure import bus, database
from services.infrastructure.clock import resolve
from services.infrastructure.retry import retrying
from services.ingest import rollups
from services.ingest.events import CheckedBatch, CheckedUsage, UsageInput, checked_events
from services.ledger.allocation import LotState, allocate, available, usable_filter

DEFAULT_VALIDITY = timedelta(days=365)
ENTRY_COLUMNS = ('contract_id', 'holder_id', 'lot_id', 'kind', 'quantity', 'usage_event_id', 'created_at')

__all__ = ['ConsumeResult', 'PurchaseResult', 'UsageInput', 'consume', 'purchase']


@dataclass(frozen=True)
class PurchaseResult:
    id: str
    team: int | None
    quantity: Decimal
    purchased_at: datetime
    expires_at: datetime
    created: bool
    holders: frozenset[int] = frozenset()  # the holders the write changed: none for a replay


@dataclass(frozen=True)
class ConsumeResult:
    accepted: int
    duplicates: int
    holders: frozenset[int] = frozenset()


async def holders_of(contract: Contract) -> dict[int | None, int]:
    """Holder ids by team id (Flex), or ``{None: pool}`` (cloud credits)."""
    rows = await Holder.filter(contract_id=contract.id).values_list('team_id', 'id')
    return dict(rows)


async def lock_holders(conn: BaseDBAsyncClient, holder_ids: set[int]) -> None:
    """Lock the holders' rows for the transaction, in ascending id order (PostgreSQL; SQLite serialises anyway)."""
    if holder_ids and database.is_postgres(conn):
        await database.fetch_shaped(conn, _lock_sql, sorted(holder_ids), len(holder_ids))


@database.shaped
def _lock_sql(marks: database.Marks, holders: int) -> database.Built:
    holder = Table('holder')
    return (
        marks.query.from_(holder)
        .select(holder.id)
        .where(holder.id.isin(marks.many(holders)))
        .orderby(holder.id)
        .for_update()
    )


async def open_lots(conn: BaseDBAsyncClient, holder_ids: set[int], now: datetime) -> dict[int, list[LotState]]:
    rows = (
        await Lot.filter(usable_filter(now), holder_id__in=holder_ids)
        .using_db(conn)
        .values_list('id', 'holder_id', 'original', 'remaining', 'purchased_at', 'expires_at')
    )
    lots: dict[int, list[LotState]] = {holder_id: [] for holder_id in holder_ids}
    for row in rows:
        lots[row[1]].append(LotState(*row))
    return lots


async def purchase(
    contract_id: int,
    *,
    client_id: str,
    quantity: object,
    team: int | None = None,
    purchased_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> PurchaseResult:
    """Record a purchase of ``quantity`` (an exact decimal, as ``int``, ``Decimal`` or plain string) as a new lot of
    ``team`` (Flex) or of the contract's pool (cloud credits), valid until ``expires_at`` (default: a year).

    A replay of ``client_id`` with the same payload answers the original (``created`` false). Refuses with
    ``UnknownContract``, ``InvalidInput`` (``quantity``, ``team``, ``purchased_at`` in the future, ``expires_at`` not
    after it) or ``ClientIdConflict`` (the id was used with another payload), writing nothing.
    """
    now = resolve(now)
    contract = await contract_row(contract_id)
    client_id = client_id_of(client_id)
    units = units_of(quantity)
    holders = await holders_of(contract)
    if contract.mode == regions.FLEX and team is None:
        raise WrongMode('team', 'is required: Flex tokens are held by a team')
    if contract.mode == regions.CLOUD_CREDITS and team is not None:
        raise WrongMode('team', 'must be omitted: shared cloud credits are held by the contract')
    if team not in holders:
        raise UnknownTeam(team)
    given_bought = instant(purchased_at, 'purchased_at') if purchased_at is not None else None
    given_expiry = instant(expires_at, 'expires_at') if expires_at is not None else None
    digest = fingerprint(team, units, given_bought, given_expiry)

    async def write() -> PurchaseResult:
        async with in_transaction('default') as conn:
            await lock_holders(conn, {holders[team]})
            lot = await Lot.filter(contract_id=contract.id, client_id=client_id).using_db(conn).first()
            if lot is not None:  # a replay answers with the original, whatever the clock says now
                if lot.fingerprint != digest:
                    raise ClientIdConflict('purchase', client_id)
                created = False
            else:
                bought, expiry = _purchase_dates(given_bought, given_expiry, now)
                lot = await Lot.create(
                    contract_id=contract.id,
                    holder_id=holders[team],
                    origin='purchase',
                    client_id=client_id,
                    fingerprint=digest,
                    original=units,
                    remaining=0,  # the database adds the purchase entry's units
                    purchased_at=bought,
                    expires_at=expiry,
                    created_at=now,
                    using_db=conn,
                )
                await LedgerEntry.create(
                    contract_id=contract.id,
                    holder_id=lot.holder_id,
                    lot_id=lot.id,
                    kind='purchase',
                    quantity=units,
                    created_at=now,
                    using_db=conn,
                )
                await bus.announce(conn, contract.id, [lot.holder_id])
                created = True
            changed = frozenset({lot.holder_id}) if created else frozenset()
            return PurchaseResult(
                client_id, team, from_units(lot.original), lot.purchased_at, lot.expires_at, created, changed
            )

    return await committed(contract.id, write)


class _Written(Protocol):
    @property
    def holders(self) -> frozenset[int]: ...


W = TypeVar('W', bound=_Written)


async def committed(contract_id: int, write: Callable[[], Awaitable[W]]) -> W:
    """Run a write transaction (again, when it lost a race that is nobody's fault), then tell this process's live
    pages which holders it changed (on PostgreSQL the transaction's ``NOTIFY`` tells every process)."""
    result = await retrying(write)
    if result.holders:
        bus.publish(contract_id, result.holders)
    return result


def _purchase_dates(bought: datetime | None, expiry: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    bought = bought or now
    if bought > now:
        raise InvalidInput('purchased_at', 'is in the future')
    expiry = expiry or bought + DEFAULT_VALIDITY
    if expiry <= bought:
        raise InvalidInput('expires_at', 'must be after purchased_at')
    return bought, expiry


async def consume(contract_id: int, events: Sequence[UsageInput], *, now: datetime | None = None) -> ConsumeResult:
    """Charge a batch of 1 to 1,000 usage events to their holders' lots, in consumption order, all or nothing.

    Events already recorded with the same payload count as duplicates and are not charged again. Refuses with
    ``UnknownContract``, ``InvalidInput`` naming the field and the event's index, ``ClientIdConflict`` (an id reused
    with another payload) or ``InsufficientBalance`` naming the event the lots cannot cover, writing nothing.
    """
    now = resolve(now)
    contract = await contract_row(contract_id)
    holders = await holders_of(contract)
    team_ids = set(cast(list[int], await Team.filter(contract_id=contract.id).values_list('id', flat=True)))
    batch = checked_events(contract, holders, team_ids, events, now)
    holder_ids = {event.holder_id for event in batch.unique}

    async def write() -> ConsumeResult:
        async with in_transaction('default') as conn:
            await lock_holders(conn, holder_ids)
            return await charge(conn, contract, batch, now)

    return await committed(contract.id, write)


async def charge(
    conn: BaseDBAsyncClient,
    contract: Contract,
    batch: CheckedBatch,
    now: datetime,
    *,
    naming: dict[str, str] | None = None,
) -> ConsumeResult:
    """Inside a write transaction that holds the batch's holders: record the new events of ``batch``, draw each from
    its holder's lots in consumption order, append the entries and the rollups — the one way usage reaches the ledger
    (posted usage, and the windows rated sessions charge). Refuses with ``ClientIdConflict`` or
    ``InsufficientBalance`` naming the event (by ``naming`` of its id, when the caller knows it by another)."""
    ids = await rollups.insert_new(conn, contract, batch.unique, now)
    new = [event for event in batch.unique if event.client_id in ids]
    replayed = [event for event in batch.unique if event.client_id not in ids]
    if replayed:
        recorded = await rollups.recorded_fingerprints(conn, contract.id, [e.client_id for e in replayed])
        for event in replayed:
            if recorded[event.client_id] != event.fingerprint:
                raise ClientIdConflict('usage event', event.client_id)
    lots = await open_lots(conn, {event.holder_id for event in new}, now)
    entries: list[tuple[CheckedUsage, int, int]] = []
    for event in new:
        draws = allocate(lots[event.holder_id], event.units, now)
        if draws is None:
            raise InsufficientBalance(
                holder='the team' if contract.mode == regions.FLEX else 'the contract',
                requested=format_quantity(from_units(event.units)),
                available=format_quantity(from_units(available(lots[event.holder_id], now))),
                event_id=(naming or {}).get(event.client_id, event.client_id),
            )
        for lot, take in draws:
            entries.append((event, lot.id, take))
    await database.insert_rows(  # a consume entry per draw: the ledger's own writing, here
        conn,
        'ledger_entry',
        ENTRY_COLUMNS,
        [
            (contract.id, event.holder_id, lot_id, 'consume', -units, ids[event.client_id], now)
            for event, lot_id, units in entries
        ],
    )
    await rollups.add_to_rollups(conn, contract, new, now)
    charged = {event.holder_id for event in new}
    if new:
        await bus.announce(conn, contract.id, charged)
    return ConsumeResult(len(new), batch.duplicates + len(batch.unique) - len(new), frozenset(charged))
