"""Lots as an administrator reads them: where each came from, when it expires, what is left, and its state

A lot is a purchase, or the part of a lot that a transfer moved to another team (keeping its expiry date). Its
``id`` says which: a purchase's lot carries the purchase's id; a moved part carries the transfer's id and, after a
slash, the id of the lot it was taken from (``t-7/p-2026-01``), so that every lot of a contract has its own id and
a moved part names its origin.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pypika_tortoise import Table

from services.accounts.contracts import ContractInfo, get_contract, list_teams
from services.domain.dates import local_date
from services.domain.errors import InvalidInput, UnknownTeam
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.ledger.allocation import LotState, consumption_order

State = Literal['active', 'expired', 'empty']
STATES: tuple[State, ...] = ('active', 'expired', 'empty')


@dataclass(frozen=True)
class LotInfo:
    id: str
    team: int | None
    team_name: str | None
    origin: Literal['purchase', 'transfer']
    from_team: int | None
    from_team_name: str | None
    purchased_at: datetime
    expires_at: datetime
    expires_on: date  # the expiry date in the contract's time zone
    original: Decimal
    remaining: Decimal
    state: State
    transferred_at: datetime | None = None
    undone: bool = False  # moved by an assignment undone since (what was left of it went back)
    returned: bool = False  # what an undoing gave back to the team it was assigned from

    @property
    def trace(self) -> bool:
        """An assignment's part emptied by its undoing: the ledger keeps it, the active view need not show it."""
        return self.undone and self.remaining == 0


@dataclass(frozen=True)
class LotRow:
    """A lot as read, in integer units, with what the consumption order and the ids need."""

    lot: LotState
    team: int | None
    origin: str
    client_id: str | None
    transfer: int | None
    source_lot: int | None
    created_at: datetime


def state_of(remaining: int, expires_at: datetime, now: datetime) -> State:
    """``empty`` once nothing is left (used or moved), else ``expired`` from its expiry on, else ``active``."""
    if remaining == 0:
        return 'empty'
    return 'expired' if expires_at <= now else 'active'


@database.shaped
def _lots_sql(marks: database.Marks) -> database.Built:
    lot, holder = Table('lot'), Table('holder')
    return (
        marks.query.from_(lot)
        .join(holder)
        .on(holder.id == lot.holder_id)
        .select(
            lot.id,
            lot.holder_id,
            holder.team_id,
            lot.origin,
            lot.client_id,
            lot.transfer_id,
            lot.source_lot_id,
            lot.original,
            lot.remaining,
            lot.purchased_at,
            lot.expires_at,
            lot.created_at,
        )
        .where(lot.contract_id == marks.next())
    )


@database.shaped
def _transfers_sql(marks: database.Marks) -> database.Built:
    transfer = Table('transfer')
    return (
        marks.query.from_(transfer)
        .select(transfer.id, transfer.client_id, transfer.from_team_id, transfer.undoes_id)
        .where(transfer.contract_id == marks.next())
    )


async def read_lots(contract: ContractInfo) -> list[LotRow]:
    """Every lot of the contract, in one statement."""
    rows = await database.fetch_shaped(database.connection(), _lots_sql, [contract.id])
    return [
        LotRow(
            LotState(
                int(row['id']),
                int(row['holder_id']),
                int(row['original']),
                int(row['remaining']),
                database.to_datetime(row['purchased_at']),
                database.to_datetime(row['expires_at']),
            ),
            row['team_id'],
            str(row['origin']),
            row['client_id'],
            row['transfer_id'],
            row['source_lot_id'],
            database.to_datetime(row['created_at']),
        )
        for row in rows
    ]


async def _transfers(contract: ContractInfo) -> dict[int, tuple[str, int, int | None]]:
    """(client id, from team, the transfer it undoes) of each transfer of the contract, by transfer row id."""
    rows = await database.fetch_shaped(database.connection(), _transfers_sql, [contract.id])
    return {
        int(row['id']): (str(row['client_id']), int(row['from_team_id']), row['undoes_id'] and int(row['undoes_id']))
        for row in rows
    }


def _ids(rows: list[LotRow], transfers: dict[int, tuple[str, int, int | None]]) -> dict[int, str]:
    by_id = {row.lot.id: row for row in rows}
    ids: dict[int, str] = {}

    def id_of(lot_id: int) -> str:
        if lot_id not in ids:
            row = by_id[lot_id]
            if row.transfer is None or row.source_lot is None:
                ids[lot_id] = row.client_id or str(lot_id)
            else:
                ids[lot_id] = f'{transfers[row.transfer][0]}/{id_of(row.source_lot)}'
        return ids[lot_id]

    for row in sorted(rows, key=lambda row: row.lot.id):  # sources are older than what was moved from them
        id_of(row.lot.id)
    return ids


async def contract_lots(
    contract_id: int, *, team: int | None = None, state: str | None = None, now: datetime | None = None
) -> tuple[LotInfo, ...]:
    """The lots of the contract's holders — one team's with ``team`` — each holder's in consumption order (Flex:
    holders by team name), with their state at ``now``; ``state`` keeps only ``active``, ``expired`` or ``empty``
    ones.

    Refuses with ``UnknownContract``, ``UnknownTeam`` or ``InvalidInput`` (``state``).
    """
    if state is not None and state not in STATES:
        raise InvalidInput('state', f'must be one of {", ".join(STATES)}')
    now = resolve(now)
    contract = await get_contract(contract_id)
    names: dict[int | None, str | None] = {info.id: info.name for info in await list_teams(contract_id)}
    if team is not None and team not in names:
        raise UnknownTeam(team)
    names[None] = None
    async with database.snapshot():
        rows = await read_lots(contract)
        transfers = await _transfers(contract)
    ids = _ids(rows, transfers)
    undone = {undoes for _, _, undoes in transfers.values() if undoes is not None}
    chosen = [row for row in rows if team is None or row.team == team]
    chosen.sort(key=lambda row: (names.get(row.team) or '', row.team or 0, consumption_order(row.lot)))
    found = []
    for row in chosen:
        lot = row.lot
        lot_state = state_of(lot.remaining, lot.expires_at, now)
        if state is not None and lot_state != state:
            continue
        source_team = transfers[row.transfer][1] if row.transfer is not None else None
        found.append(
            LotInfo(
                id=ids[lot.id],
                team=row.team,
                team_name=names.get(row.team),
                origin='transfer' if row.origin == 'transfer' else 'purchase',
                from_team=source_team,
                from_team_name=names.get(source_team),
                purchased_at=lot.purchased_at,
                expires_at=lot.expires_at,
                expires_on=local_date(lot.expires_at, contract.timezone),
                original=from_units(lot.original),
                remaining=from_units(lot.remaining),
                state=lot_state,
                transferred_at=row.created_at if row.transfer is not None else None,
                undone=row.transfer in undone,
                returned=row.transfer is not None and transfers[row.transfer][2] is not None,
            )
        )
    return tuple(found)
