"""Lots, run-out forecast and transfer suggestions (balances:read)"""

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import ReadContract
from api.exact_json import ExactJSONRoute
from api.reading import TeamQuery, check_team
from api.schemas import UNDER_CONTRACT, QuantityOut, operation_id, quantity_out
from services.reading.forecast import WINDOW_DAYS
from services.reading.lots import contract_lots
from services.reading.state import contract_forecast

router = APIRouter(
    route_class=ExactJSONRoute, tags=['reading'], responses=UNDER_CONTRACT, generate_unique_id_function=operation_id
)


class HolderLotOut(BaseModel):
    id: Annotated[str, Field(description="the purchase's id; for a part moved by a transfer, `<transfer id>/<lot id>`")]
    team: int | None
    origin: Literal['purchase', 'transfer']
    from_team: Annotated[int | None, Field(description='the team a transfer moved it from (origin transfer only)')] = (
        None
    )
    purchased_at: datetime
    expires_at: datetime
    original: QuantityOut
    remaining: QuantityOut
    state: Literal['active', 'expired', 'empty']


class LotsOut(BaseModel):
    lots: list[HolderLotOut]


StateQuery = Annotated[
    Literal['active', 'expired', 'empty'] | None, Query(description='only lots in this state (default: all)')
]


@router.get('/contracts/{contract_id}/lots', response_model=LotsOut, response_model_exclude_unset=True)
async def lots(contract: ReadContract, team: TeamQuery = None, state: StateQuery = None) -> LotsOut:
    """Each holder's lots in consumption order (Flex: holders by team name): a purchase, or what a transfer moved
    (with `from_team`); `state` is `active`, `expired` (what it held when it expired is lost) or `empty`."""
    await check_team(contract.id, team)
    found = await contract_lots(contract.id, team=team, state=state)
    out = []
    for lot in found:
        item = HolderLotOut(
            id=lot.id,
            team=lot.team,
            origin=lot.origin,
            purchased_at=lot.purchased_at,
            expires_at=lot.expires_at,
            original=quantity_out(lot.original),
            remaining=quantity_out(lot.remaining),
            state=lot.state,
        )
        if lot.origin == 'transfer':
            item.from_team = lot.from_team
        out.append(item)
    return LotsOut(lots=out)


class ExpiringOut(BaseModel):
    date: date
    quantity: QuantityOut


class HolderForecastOut(BaseModel):
    team: int | None
    team_name: str | None
    available: QuantityOut
    daily_rate: Annotated[str, Field(description='usage of the last 28 complete days / 28, to 4 decimals')]
    runs_out_on: Annotated[date | None, Field(description='first day the lots cannot cover; null: never, or > 365 d')]
    days_left: int | None
    expires_unused: list[ExpiringOut]
    expires_unused_total: QuantityOut


class SuggestionOut(BaseModel):
    from_team: int
    to_team: int
    quantity: QuantityOut
    expires_at: Annotated[datetime, Field(description='the expiry of the tokens it moves')]
    recovers: Annotated[str, Field(description='how much less would expire unused, under the same projection')]


class ForecastOut(BaseModel):
    contract: int
    as_of: datetime
    window_days: int
    holders: list[HolderForecastOut]
    suggestions: list[SuggestionOut]


@router.get('/contracts/{contract_id}/forecast', response_model=ForecastOut)
async def forecast(contract: ReadContract, team: TeamQuery = None) -> ForecastOut:
    """When each holder runs out at the last 28 complete days' pace, what will expire unused, and transfers between
    teams that would save tokens (Flex). `team` (Flex only) keeps that team and the suggestions from or to it."""
    await check_team(contract.id, team)
    found = await contract_forecast(contract.id, team=team)
    return ForecastOut(
        contract=contract.id,
        as_of=found.as_of,
        window_days=WINDOW_DAYS,
        holders=[
            HolderForecastOut(
                team=h.team,
                team_name=h.team_name,
                available=quantity_out(h.available),
                daily_rate=quantity_out(h.daily_rate),
                runs_out_on=h.runs_out_on,
                days_left=h.days_left,
                expires_unused=[ExpiringOut(date=d, quantity=quantity_out(q)) for d, q in h.expires_unused],
                expires_unused_total=quantity_out(h.expires_unused_total),
            )
            for h in found.holders
        ],
        suggestions=[
            SuggestionOut(
                from_team=s.from_team,
                to_team=s.to_team,
                quantity=quantity_out(s.quantity),
                expires_at=s.expires_at,
                recovers=quantity_out(s.recovers),
            )
            for s in found.suggestions
        ],
    )
