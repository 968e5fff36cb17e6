"""The token-event timeline: purchases, expirations, and transfers in and out between teams"""

import datetime as dt
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from models import Lot, Transfer
from services.accounts.contracts import get_contract, list_teams
from services.domain.dates import DateRange, local_date
from services.domain.errors import UnknownTeam
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve


@dataclass(frozen=True)
class TokenEvent:
    type: str  # purchase, expiration, transfer_in or transfer_out
    date: date
    at: datetime
    team: int | None
    team_name: str | None
    quantity: Decimal
    counterparty_team: int | None = None
    counterparty_team_name: str | None = None
    expires_on: dt.date | None = None  # a purchase's (or an expired lot's) expiry date
    moved: tuple[tuple[dt.date, Decimal], ...] = ()  # a transfer's quantities by expiry date
    made_by: str | None = None  # who asked for a transfer
    transfer: str | None = None  # a transfer's id
    undoes: str | None = None  # the id of the transfer it undid
    undone: bool = False  # a transfer that was undone since


async def token_events(
    contract_id: int,
    date_range: DateRange | None = None,
    *,
    team: int | None = None,
    now: datetime | None = None,
) -> tuple[TokenEvent, ...]:
    """Events whose date (in the contract's time zone) lies in the range (default: the last 90 days), newest first.

    An expiration carries what remained in the lot when it expired; lots that expired empty are not events.
    """
    now = resolve(now)
    contract = await get_contract(contract_id)
    names: dict[int | None, str | None] = {t.id: t.name for t in await list_teams(contract_id)}
    names[None] = None
    if team is not None and team not in names:
        raise UnknownTeam(team)
    date_range = date_range or DateRange.last_days(local_date(now, contract.timezone))
    found: list[TokenEvent] = []

    def add(kind: str, at: datetime, team_id: int | None, units: int, other: int | None = None, **more: Any) -> None:
        day = local_date(at, contract.timezone)
        if day in date_range and (team is None or team == team_id):
            found.append(
                TokenEvent(kind, day, at, team_id, names[team_id], from_units(units), other, names.get(other), **more)
            )

    async with database.snapshot() as conn:
        lots = (
            await Lot.filter(contract_id=contract_id)
            .using_db(conn)
            .values_list(
                'origin', 'holder__team_id', 'original', 'remaining', 'purchased_at', 'expires_at', 'transfer_id'
            )
        )
        transfers = (
            await Transfer.filter(contract_id=contract_id)
            .using_db(conn)
            .values_list(
                'id', 'client_id', 'from_team_id', 'to_team_id', 'quantity', 'created_at', 'made_by', 'undoes_id'
            )
        )
    moved: dict[int, dict[date, int]] = {}
    for origin, team_id, original, remaining, purchased_at, expires_at, transfer_id in lots:
        expires_on = local_date(expires_at, contract.timezone)
        if origin == 'purchase':
            add('purchase', purchased_at, team_id, original, expires_on=expires_on)
        else:
            by_date = moved.setdefault(transfer_id, {})
            by_date[expires_on] = by_date.get(expires_on, 0) + original
        if expires_at <= now and remaining > 0:
            add('expiration', expires_at, team_id, remaining, expires_on=expires_on)
    client_ids = {row[0]: row[1] for row in transfers}
    undone = {row[7] for row in transfers if row[7] is not None}
    for row_id, client_id, from_team, to_team, units, created_at, made_by, undoes in transfers:
        details = {
            'moved': tuple((day, from_units(q)) for day, q in sorted(moved.get(row_id, {}).items())),
            'made_by': made_by,
            'transfer': client_id,
            'undoes': client_ids.get(undoes),
            'undone': row_id in undone,
        }
        add('transfer_out', created_at, from_team, units, to_team, **details)
        add('transfer_in', created_at, to_team, units, from_team, **details)
    order = {'expiration': 0, 'transfer_in': 1, 'transfer_out': 2, 'purchase': 3}
    found.sort(key=lambda event: (event.at, -order[event.type], event.team or 0), reverse=True)
    return tuple(found)
