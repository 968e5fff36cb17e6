"""The token-event timeline: purchases, expirations, and transfers in and out between teams"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from models import Lot, Transfer
from services.accounts.contracts import get_contract, list_teams
from services.domain.dates import DateRange, local_date
from services.domain.errors import UnknownTeam
from services.domain.quantity import from_units
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

    def add(kind: str, at: datetime, team_id: int | None, units: int, other: int | None = None) -> None:
        day = local_date(at, contract.timezone)
        if day in date_range and (team is None or team == team_id):
            found.append(TokenEvent(kind, day, at, team_id, names[team_id], from_units(units), other, names.get(other)))

    lots = await Lot.filter(contract_id=contract_id).values_list(
        'origin', 'holder__team_id', 'original', 'remaining', 'purchased_at', 'expires_at'
    )
    for origin, team_id, original, remaining, purchased_at, expires_at in lots:
        if origin == 'purchase':
            add('purchase', purchased_at, team_id, original)
        if expires_at <= now and remaining > 0:
            add('expiration', expires_at, team_id, remaining)
    transfers = await Transfer.filter(contract_id=contract_id).values_list(
        'from_team_id', 'to_team_id', 'quantity', 'created_at'
    )
    for from_team, to_team, units, created_at in transfers:
        add('transfer_out', created_at, from_team, units, to_team)
        add('transfer_in', created_at, to_team, units, from_team)
    order = {'expiration': 0, 'transfer_in': 1, 'transfer_out': 2, 'purchase': 3}
    found.sort(key=lambda event: (event.at, -order[event.type], event.team or 0), reverse=True)
    return tuple(found)
