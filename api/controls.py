"""Rates, product sessions, the entitlement check and the administrators' controls (../shared/spec/API.md)

- products and their rates: the operator writes, any valid key reads;
- ``POST …/sessions`` (usage:write): sessions rated into 24-hour windows, charged as usage;
- ``GET …/entitlement`` (entitlements:read or balances:read) and ``GET …/refusals`` (balances:read);
- product lists and caps: controls:write to change, balances:read to read.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field, StrictInt

from api.auth import AnyKey, ControlsContract, EntitlementContract, Operator, ReadContract, UsageContract, parse_id
from api.exact_json import ExactJSONRoute
from api.reading import From, To, date_range
from api.schemas import (
    KEYED,
    NO_CONTROL,
    UNDER_CONTRACT,
    WITH_BODY,
    WRITING,
    Body,
    ClientId,
    ConflictOut,
    Quantity,
    QuantityOut,
    TeamId,
    Timestamp,
    operation_id,
    quantity_out,
)
from services.catalog import products
from services.catalog.products import ProductInfo, UnknownProduct
from services.controls import caps, entitlement, lists
from services.controls.caps import CapInfo
from services.domain.checks import PLAIN_TEXT
from services.ingest.events import MAX_BATCH, MAX_PRODUCT, MAX_USER
from services.ingest.sessions import SessionInput
from services.ledger.sessions import rate_sessions

router = APIRouter(route_class=ExactJSONRoute, generate_unique_id_function=operation_id)

Code = Annotated[
    str, NO_CONTROL, Field(min_length=1, max_length=MAX_PRODUCT, pattern=PLAIN_TEXT, examples=['render-studio'])
]
User = Annotated[str, NO_CONTROL, Field(min_length=1, max_length=MAX_USER, pattern=PLAIN_TEXT, examples=['ana@x.fr'])]


class RateOut(BaseModel):
    daily_rate: QuantityOut
    effective_from: datetime


class ProductOut(BaseModel):
    code: str
    name: str
    daily_rate: Annotated[QuantityOut | None, Field(description='the rate in effect now (null before the first)')]
    effective_from: datetime | None
    rates: list[RateOut]


class ProductsOut(BaseModel):
    products: list[ProductOut]


class ProductIn(Body):
    code: Code
    name: Annotated[str, NO_CONTROL, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT, examples=['Render'])]
    daily_rate: Quantity
    effective_from: Timestamp | None = None


class RateIn(Body):
    daily_rate: Quantity
    effective_from: Timestamp


def _product(found: ProductInfo) -> ProductOut:
    return ProductOut(
        code=found.code,
        name=found.name,
        daily_rate=quantity_out(found.daily_rate) if found.daily_rate is not None else None,
        effective_from=found.effective_from,
        rates=[RateOut(daily_rate=quantity_out(r.daily_rate), effective_from=r.effective_from) for r in found.rates],
    )


@router.post(
    '/products',
    status_code=201,
    response_model=ProductOut,
    tags=['products'],
    responses={**WITH_BODY, 409: {'model': ConflictOut, 'description': 'a product with this code exists'}},
)
async def create_product(_: Operator, body: ProductIn) -> ProductOut:
    """Add a product with its first daily rate (tokens a user's 24-hour window of it costs), effective from
    `effective_from` (default: now). Operator only."""
    return _product(
        await products.create_product(body.code, body.name, body.daily_rate, effective_from=body.effective_from)
    )


CodePath = Annotated[str, Path(description='a product code')]


@router.post(
    '/products/{code}/rates',
    status_code=201,
    response_model=ProductOut,
    tags=['products'],
    responses={
        **WITH_BODY,
        404: {'description': 'no such product'},
        409: {'model': ConflictOut, 'description': 'a rate with this effective_from exists'},
    },
)
async def add_rate(_: Operator, code: CodePath, body: RateIn) -> ProductOut:
    """A new daily rate for the windows that open from `effective_from`; windows already open keep theirs."""
    if not code or len(code) > MAX_PRODUCT:
        raise UnknownProduct(code)
    return _product(await products.add_rate(code, body.daily_rate, body.effective_from))


@router.get('/products', response_model=ProductsOut, tags=['products'], responses=KEYED)
async def list_products(_: AnyKey) -> ProductsOut:
    """Every product, sorted by code, with its current rate and its rates, oldest first. Any valid key."""
    return ProductsOut(products=[_product(found) for found in await products.list_products()])


class SessionIn(Body):
    id: ClientId
    team: TeamId | None = None
    user: User
    product: Code
    started_at: Timestamp
    minutes: Annotated[StrictInt, Field(ge=0, le=1440, description='whole minutes, 0 to 1440')]


class SessionsIn(Body):
    sessions: Annotated[list[SessionIn], Field(min_length=1, max_length=MAX_BATCH)]


class ChargeOut(BaseModel):
    id: str
    quantity: QuantityOut
    window_start: datetime | None
    window_end: datetime | None


class SessionsAccepted(BaseModel):
    accepted: int
    duplicates: int
    charged: Annotated[list[ChargeOut], Field(description='one per accepted session, in the order given')]


@router.post(
    '/contracts/{contract_id}/sessions',
    response_model=SessionsAccepted,
    tags=['sessions'],
    responses={
        **WRITING,
        409: {
            'model': ConflictOut,
            'description': 'a session the balance cannot cover (its `id` is named), or an id reused with another '
            'payload; nothing of the batch is written',
        },
    },
)
async def post_sessions(contract: UsageContract, body: SessionsIn) -> SessionsAccepted:
    """Rate 1 to 1,000 product sessions into usage, all or nothing: a session of 5 minutes or more that starts
    outside a charged window of its user and product opens one (24 hours) charged the rate effective at its
    `started_at`; any other session costs nothing. Sessions already recorded count as `duplicates`."""
    sessions = [SessionInput(s.id, s.user, s.product, s.started_at, s.minutes, s.team) for s in body.sessions]
    result = await rate_sessions(contract.id, sessions)
    return SessionsAccepted(
        accepted=result.accepted,
        duplicates=result.duplicates,
        charged=[
            ChargeOut(id=c.id, quantity=quantity_out(c.quantity), window_start=c.window_start, window_end=c.window_end)
            for c in result.charged
        ],
    )


class EntitlementOut(BaseModel):
    allowed: bool
    reason: Literal[
        'window_open', 'unknown_product', 'product_not_allowed', 'cap_reached', 'insufficient_balance', 'ok'
    ]
    daily_rate: QuantityOut | None
    available: QuantityOut
    window_ends_at: datetime | None


@router.get(
    '/contracts/{contract_id}/entitlement',
    response_model=EntitlementOut,
    tags=['entitlements'],
    responses=UNDER_CONTRACT,
)
async def entitlement_check(
    contract: EntitlementContract,
    request: Request,
    user: Annotated[str, Query(description='who would start the product')],
    product: Annotated[str, Query(description='the product code')],
    team: Annotated[int | None, Query(description='the team (required in Flex mode)')] = None,
) -> EntitlementOut:
    """Whether `user` may start `product` now: the first reason that applies, in the spec's order. Writes nothing to
    the ledger; a refusal is counted (`GET …/refusals`)."""
    found = await entitlement.check(
        contract, user=user, product=product, team=team, refusals=request.app.state.refusals
    )
    return EntitlementOut(
        allowed=found.allowed,
        reason=found.reason,
        daily_rate=quantity_out(found.daily_rate) if found.daily_rate is not None else None,
        available=quantity_out(found.available),
        window_ends_at=found.window_ends_at,
    )


class RefusalOut(BaseModel):
    date: str
    team: int | None
    user: str
    product: str
    reason: str
    count: int


class RefusalsOut(BaseModel):
    refusals: list[RefusalOut]


@router.get(
    '/contracts/{contract_id}/refusals', response_model=RefusalsOut, tags=['entitlements'], responses=UNDER_CONTRACT
)
async def refusals(
    contract: ReadContract,
    request: Request,
    start: From = None,
    to: To = None,
    team: Annotated[int | None, Query(description='only this team')] = None,
) -> RefusalsOut:
    """The entitlement check's refusals per day, team, user, product and reason, over a date range (default the last
    90 days), newest first."""
    found = await entitlement.refusals(
        contract, date_range(contract, start, to), team=team, counted=request.app.state.refusals
    )
    return RefusalsOut(
        refusals=[
            RefusalOut(date=r.date.isoformat(), team=r.team, user=r.user, product=r.product, reason=r.reason,
                       count=r.count)
            for r in found
        ]
    )  # fmt: skip


class ProductListIn(Body):
    allowed: Annotated[list[Code] | None, Field(description='product codes; null (the default) allows every product')]


class ProductListOut(BaseModel):
    team: int
    allowed: list[str] | None


TeamPath = Annotated[str, Path(description='a team id')]


def _team_id(text: str) -> int:
    found = parse_id(text)
    if found is None:
        raise lists.UnknownTeamOfContract(text)
    return found


LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {'description': 'no such contract, or no such team in it'},
    409: {'model': ConflictOut, 'description': 'a cloud-credit contract: product lists are for Flex teams'},
}


@router.put(
    '/contracts/{contract_id}/teams/{team_id}/products',
    response_model=ProductListOut,
    tags=['controls'],
    responses={**WRITING, **LIST_RESPONSES},
)
async def set_product_list(contract: ControlsContract, team_id: TeamPath, body: ProductListIn) -> ProductListOut:
    """Let a Flex team's users start only these products (`null`: every product)."""
    found = await lists.set_product_list(contract.id, _team_id(team_id), body.allowed)  # type: ignore[arg-type]
    return ProductListOut(team=found.team, allowed=list(found.allowed) if found.allowed is not None else None)


@router.get(
    '/contracts/{contract_id}/teams/{team_id}/products',
    response_model=ProductListOut,
    tags=['controls'],
    responses={**UNDER_CONTRACT, **LIST_RESPONSES},
)
async def get_product_list(contract: ReadContract, team_id: TeamPath) -> ProductListOut:
    """A Flex team's product list (`null`: every product)."""
    found = await lists.product_list(contract.id, _team_id(team_id))
    return ProductListOut(team=found.team, allowed=list(found.allowed) if found.allowed is not None else None)


class StageIn(Body):
    at_percent: Annotated[int, Field(gt=0, le=200, description='a whole percentage of the limit, in (0, 200]')]
    action: Literal['notify', 'deny']


class CapIn(Body):
    team: TeamId | None = None
    user: User | None = None
    product: Code | None = None
    period: Literal['day', 'month']
    limit: Quantity
    stages: Annotated[
        list[StageIn] | None,
        Field(min_length=1, max_length=10, description='ascending; default: notify at 80, deny at 100'),
    ] = None


class StageOut(BaseModel):
    at_percent: int
    action: Literal['notify', 'deny']


class CapOut(BaseModel):
    id: int
    team: int | None
    user: str | None
    product: str | None
    period: Literal['day', 'month']
    limit: QuantityOut
    stages: list[StageOut]
    used: Annotated[QuantityOut, Field(description='the matching usage in the current period')]
    stage: Annotated[int | None, Field(description='the highest at_percent reached, or null')]


class CapsOut(BaseModel):
    caps: list[CapOut]


def _cap(found: CapInfo) -> CapOut:
    return CapOut(
        id=found.id,
        team=found.team,
        user=found.user,
        product=found.product,
        period=found.period,
        limit=quantity_out(found.limit),
        stages=[StageOut(at_percent=s.at_percent, action=s.action) for s in found.stages],
        used=quantity_out(found.used),
        stage=found.stage,
    )


@router.post('/contracts/{contract_id}/caps', status_code=201, response_model=CapOut, tags=['controls'],
             responses=WRITING)  # fmt: skip
async def create_cap(contract: ControlsContract, body: CapIn) -> CapOut:
    """Cap the usage of a team, a user, a product or any combination (one left out matches all) per calendar day
    or month in the contract's time zone, with stages: `notify` (one alert per cap, stage and period) and `deny`
    (the entitlement check refuses until the period ends)."""
    stages = [stage.model_dump() for stage in body.stages] if body.stages is not None else None
    return _cap(
        await caps.create_cap(
            contract.id,
            team=body.team,
            user=body.user,
            product=body.product,
            period=body.period,
            limit=body.limit,
            stages=stages,
        )
    )


@router.get('/contracts/{contract_id}/caps', response_model=CapsOut, tags=['controls'], responses=UNDER_CONTRACT)
async def list_caps(contract: ReadContract) -> CapsOut:
    """Every cap of the contract, with its usage in the current period and the stage reached."""
    return CapsOut(caps=[_cap(found) for found in await caps.list_caps(contract.id)])


CapPath = Annotated[str, Path(description='a cap id')]


@router.delete(
    '/contracts/{contract_id}/caps/{cap_id}',
    status_code=204,
    response_class=Response,
    tags=['controls'],
    responses={**UNDER_CONTRACT, 404: {'description': 'no such contract, or no such cap in it'}},
)
async def delete_cap(contract: ControlsContract, cap_id: CapPath) -> Response:
    """Remove a cap: a deny stage it reached is lifted at once."""
    found = parse_id(cap_id)
    if found is None:
        raise caps.UnknownCap(cap_id)
    await caps.delete_cap(contract.id, found)
    return Response(status_code=204)
