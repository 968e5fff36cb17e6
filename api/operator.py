"""Operator routes: contracts, teams, administrators, API keys and purchases"""

from fastapi import APIRouter, Response

from api.auth import CallerDep, require_operator, visible_contract
from api.exact_json import ExactJSONRoute
from api.schemas import (
    AdminIn,
    AdminOut,
    ApiKeyIn,
    ApiKeyOut,
    ContractIn,
    ContractOut,
    PurchaseIn,
    PurchaseOut,
    TeamIn,
    TeamOut,
    quantity_out,
)
from services import ledger
from services.accounts import admins, contracts, keys

router = APIRouter(route_class=ExactJSONRoute, tags=['operator'])


@router.post('/contracts', status_code=201, response_model=ContractOut)
async def create_contract(body: ContractIn, who: CallerDep) -> ContractOut:
    """Create a contract; its region (ISO 3166-1 alpha-2) fixes its mode, `flex` or `cloud_credits`."""
    require_operator(who)
    contract = await contracts.create_contract(body.name, body.region, body.timezone)
    return ContractOut(**contract.__dict__)


@router.post('/contracts/{contract_id}/teams', status_code=201, response_model=TeamOut)
async def create_team(contract_id: int, body: TeamIn, who: CallerDep) -> TeamOut:
    """Add a team. Team names are unique within a contract (`409` otherwise)."""
    await visible_contract(contract_id, who, None)
    team = await contracts.create_team(contract_id, body.name)
    return TeamOut(id=team.id, name=team.name)


@router.post(
    '/contracts/{contract_id}/admins',
    status_code=201,
    response_model=AdminOut,
    responses={200: {'description': 'an existing administrator was granted this contract too'}},
)
async def grant_admin(contract_id: int, body: AdminIn, who: CallerDep, response: Response) -> AdminOut:
    """Grant this contract to an administrator; a new e-mail needs a password of at least 12 characters."""
    await visible_contract(contract_id, who, None)
    admin, created = await admins.grant(body.email, contract_id, body.password)
    response.status_code = 201 if created else 200
    return AdminOut(id=admin.id, email=admin.email)


@router.post('/contracts/{contract_id}/api-keys', status_code=201, response_model=ApiKeyOut)
async def create_api_key(contract_id: int, body: ApiKeyIn, who: CallerDep) -> ApiKeyOut:
    """Create a key for this contract with scopes among `usage:write`, `balances:read`, `transfers:write`.

    The key is in this answer only: it is stored as a digest.
    """
    await visible_contract(contract_id, who, None)
    key = await keys.create_key(contract_id, body.scopes)
    return ApiKeyOut(id=key.id, key=key.key, scopes=list(key.scopes))


@router.post(
    '/contracts/{contract_id}/purchases',
    status_code=201,
    response_model=PurchaseOut,
    responses={
        200: {'description': 'a replay of a recorded purchase: the original, unchanged'},
        409: {'description': 'this id was used with another payload'},
    },
)
async def purchase(contract_id: int, body: PurchaseIn, who: CallerDep, response: Response) -> PurchaseOut:
    """Record a purchase as a lot: `team` is required for Flex and refused for cloud credits.

    `expires_at` defaults to `purchased_at` + 365 days; `purchased_at` (default now) may not be in the future.
    """
    await visible_contract(contract_id, who, None)
    result = await ledger.purchase(
        contract_id,
        client_id=body.id,
        quantity=body.quantity,
        team=body.team,
        purchased_at=body.purchased_at,
        expires_at=body.expires_at,
    )
    response.status_code = 201 if result.created else 200
    return PurchaseOut(
        id=result.id,
        team=result.team,
        quantity=quantity_out(result.quantity),
        purchased_at=result.purchased_at,
        expires_at=result.expires_at,
    )
