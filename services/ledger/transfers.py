"""Transfers between the teams of a Flex contract: assigning tokens (with a preview), and undoing an assignment

A transfer draws from the source team's lots in consumption order, like usage, and gives each part to the target
team as a new lot with the same purchase and expiry dates. Undoing one moves back what is left of exactly the lots
it created — a new transfer, recorded as the undoing of the first.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import Contract, LedgerEntry, Lot, Transfer
from services.accounts.contracts import contract_row
from services.domain import regions
from services.domain.checks import client_id_of, fingerprint, units_of
from services.domain.errors import (
    ClientIdConflict,
    InsufficientBalance,
    InvalidInput,
    NothingToUndo,
    TransfersNotAvailable,
    UnknownTeam,
)
from services.domain.quantity import format_quantity, from_units
from services.infrastructure import bus
from services.infrastructure.clock import resolve
from services.ledger.allocation import LotState, allocate, available, usable_filter
from services.ledger.writes import committed, holders_of, lock_holders, open_lots


@dataclass(frozen=True)
class LotMove:
    """Tokens with one expiry date that a transfer moves (or would move)."""

    expires_at: datetime
    quantity: Decimal


@dataclass(frozen=True)
class TransferResult:
    id: str
    from_team: int
    to_team: int
    quantity: Decimal
    lots: tuple[LotMove, ...]
    created: bool
    holders: frozenset[int] = frozenset()


async def _transfer_plan(
    conn: BaseDBAsyncClient, contract: Contract, from_team: int, to_team: int, quantity: object, now: datetime
) -> tuple[int, dict[int | None, int], list[tuple[LotState, int]]]:
    if contract.mode != regions.FLEX:
        raise TransfersNotAvailable()
    units = units_of(quantity)
    holders = await holders_of(contract)
    for field, team in (('from_team', from_team), ('to_team', to_team)):
        if team not in holders or team is None:
            raise UnknownTeam(team, field=field)
    if from_team == to_team:
        raise InvalidInput('to_team', 'must be another team than from_team')
    await lock_holders(conn, {holders[from_team], holders[to_team]})
    source = (await open_lots(conn, {holders[from_team]}, now))[holders[from_team]]
    draws = allocate(source, units, now)
    if draws is None:
        raise InsufficientBalance(
            holder='the team',
            requested=format_quantity(from_units(units)),
            available=format_quantity(from_units(available(source, now))),
        )
    return units, holders, draws


async def move_lots(
    conn: BaseDBAsyncClient,
    contract_id: int,
    record: Transfer,
    draws: Sequence[tuple[LotState, int]],
    to_holder: int,
    now: datetime,
) -> None:
    """Move each draw to a new lot of ``to_holder`` (same purchase and expiry), with its two ledger entries."""
    for lot, take in draws:
        moved_lot = await Lot.create(
            contract_id=contract_id,
            holder_id=to_holder,
            origin='transfer',
            transfer_id=record.id,
            source_lot_id=lot.id,
            original=take,
            remaining=0,  # the database adds the transfer_in entry's units
            purchased_at=lot.purchased_at,
            expires_at=lot.expires_at,
            created_at=now,
            using_db=conn,
        )
        await LedgerEntry.bulk_create(
            [
                LedgerEntry(
                    contract_id=contract_id,
                    holder_id=lot.holder_id,
                    lot_id=lot.id,
                    kind='transfer_out',
                    quantity=-take,
                    transfer_id=record.id,
                    created_at=now,
                ),
                LedgerEntry(
                    contract_id=contract_id,
                    holder_id=to_holder,
                    lot_id=moved_lot.id,
                    kind='transfer_in',
                    quantity=take,
                    transfer_id=record.id,
                    created_at=now,
                ),
            ],
            using_db=conn,
        )


def moves_of(draws: list[tuple[datetime, int]]) -> tuple[LotMove, ...]:
    """Merge the draws by expiry, in consumption order."""
    merged: dict[datetime, int] = {}
    for expires_at, units in draws:
        merged[expires_at] = merged.get(expires_at, 0) + units
    return tuple(LotMove(expires_at, from_units(units)) for expires_at, units in sorted(merged.items()))


async def preview_transfer(
    contract_id: int, *, from_team: int, to_team: int, quantity: object, now: datetime | None = None
) -> tuple[LotMove, ...]:
    """What ``transfer`` would move now: quantities (exact decimals) by expiry date, in consumption order.

    Writes nothing; refuses as ``transfer`` does.
    """
    now = resolve(now)
    contract = await contract_row(contract_id)
    async with in_transaction('default') as conn:
        _, _, draws = await _transfer_plan(conn, contract, from_team, to_team, quantity, now)
    return moves_of([(lot.expires_at, take) for lot, take in draws])


async def transfer(
    contract_id: int,
    *,
    client_id: str,
    from_team: int,
    to_team: int,
    quantity: object,
    made_by: str | None = None,
    now: datetime | None = None,
) -> TransferResult:
    """Assign ``quantity`` available tokens of one Flex team to another; the moved tokens keep their expiry dates.
    ``made_by`` says who asked (an administrator's e-mail, an API key), for the token events.

    A replay of ``client_id`` with the same payload answers the original. Refuses with ``UnknownContract``,
    ``TransfersNotAvailable`` (cloud credits), ``InvalidInput`` (``quantity``, an unknown team, the same team on both
    sides), ``InsufficientBalance`` or ``ClientIdConflict``, writing nothing.
    """
    now = resolve(now)
    contract = await contract_row(contract_id)
    client_id = client_id_of(client_id)
    digest = fingerprint(from_team, to_team, units_of(quantity))

    async def write() -> TransferResult:
        async with in_transaction('default') as conn:
            # the two teams are locked before the id is looked up: a replay racing its original waits for it to
            # commit and answers as a replay, instead of finding the tokens gone
            holders = await holders_of(contract)
            await lock_holders(conn, {holders[t] for t in (from_team, to_team) if t is not None and t in holders})
            if replayed := await _replay(conn, contract.id, client_id, digest, from_team, to_team):
                return replayed
            units, holders, draws = await _transfer_plan(conn, contract, from_team, to_team, quantity, now)
            record = await Transfer.create(
                contract_id=contract.id,
                client_id=client_id,
                fingerprint=digest,
                from_team_id=from_team,
                to_team_id=to_team,
                quantity=units,
                created_at=now,
                made_by=made_by,
                using_db=conn,
            )
            await move_lots(conn, contract.id, record, draws, holders[to_team], now)
            touched = frozenset({holders[from_team], holders[to_team]})
            await bus.announce(conn, contract.id, touched)
            moves = moves_of([(lot.expires_at, take) for lot, take in draws])
            return TransferResult(
                client_id, from_team, to_team, from_units(units), moves, created=True, holders=touched
            )

    return await committed(contract.id, write)


async def _replay(
    conn: BaseDBAsyncClient, contract_id: int, client_id: str, digest: str, from_team: int, to_team: int
) -> TransferResult | None:
    """The answer to a replay of ``client_id`` (its teams locked by the caller); ``None`` when the id is new.
    Refuses with ``ClientIdConflict`` when the id was used for something else."""
    done = await Transfer.filter(contract_id=contract_id, client_id=client_id).using_db(conn).first()
    if done is None:
        return None
    if done.fingerprint != digest:
        raise ClientIdConflict('transfer', client_id)
    moved = await Lot.filter(transfer_id=done.id).using_db(conn).values_list('expires_at', 'original')
    quantity = from_units(done.quantity)
    return TransferResult(client_id, from_team, to_team, quantity, moves_of(list(moved)), created=False)


async def undo_transfer(
    contract_id: int, *, client_id: str, transfer: str, made_by: str | None = None, now: datetime | None = None
) -> TransferResult:
    """Assign back what is left of the lots a transfer created (each with its own expiry date), as a new transfer
    recorded as its undoing. A replay of ``client_id`` answers the original.

    Refuses with ``UnknownContract``, ``TransfersNotAvailable``, ``InvalidInput`` (``transfer``: no such transfer,
    or one that is itself an undoing), ``ClientIdConflict``, or ``NothingToUndo`` (undone already, or nothing of it
    left), writing nothing."""
    now = resolve(now)
    contract = await contract_row(contract_id)
    if contract.mode != regions.FLEX:
        raise TransfersNotAvailable()
    client_id = client_id_of(client_id)
    original = await Transfer.filter(contract_id=contract.id, client_id=transfer).first()
    if original is None or original.undoes_id is not None:
        raise InvalidInput('transfer', f'{transfer!r} is not a transfer of this contract that can be undone')
    source, target = original.to_team_id, original.from_team_id  # type: ignore[attr-defined]
    digest = fingerprint('undo', original.id)

    async def write() -> TransferResult:
        async with in_transaction('default') as conn:
            holders = await holders_of(contract)
            await lock_holders(conn, {holders[source], holders[target]})
            if replayed := await _replay(conn, contract.id, client_id, digest, source, target):
                return replayed
            if await Transfer.filter(undoes_id=original.id).using_db(conn).exists():
                raise NothingToUndo(transfer, undone=True)
            rows = (
                await Lot.filter(usable_filter(now), transfer_id=original.id)
                .using_db(conn)
                .values_list('id', 'holder_id', 'original', 'remaining', 'purchased_at', 'expires_at')
            )
            draws = [(LotState(*row), row[3]) for row in rows]
            units = sum(take for _, take in draws)
            if not units:
                raise NothingToUndo(transfer, undone=False)
            record = await Transfer.create(
                contract_id=contract.id,
                client_id=client_id,
                fingerprint=digest,
                from_team_id=source,
                to_team_id=target,
                quantity=units,
                created_at=now,
                made_by=made_by,
                undoes_id=original.id,
                using_db=conn,
            )
            await move_lots(conn, contract.id, record, draws, holders[target], now)
            touched = frozenset({holders[source], holders[target]})
            await bus.announce(conn, contract.id, touched)
            moves = moves_of([(lot.expires_at, take) for lot, take in draws])
            return TransferResult(client_id, source, target, from_units(units), moves, created=True, holders=touched)

    return await committed(contract.id, write)
