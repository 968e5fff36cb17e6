"""Operator routes: contracts, teams, administrators, API keys and purchases"""

from fastapi import APIRouter, Response

from api.auth import Operator, OperatorContract
from api.exact_json import ExactJSONRoute
from api.schemas import (
    WRITING,
    AdminIn,
    AdminOut,
    ApiKeyIn,
    ApiKeyOut,
    ConflictOut,
    ContractIn,
    ContractOut,
    PurchaseIn,
    PurchaseOut,
    TeamIn,
    TeamOut,
    operation_id,
    quantity_out,
)
from services import ledger
from services.accounts import admins, contracts, keys

router = APIRouter(
    route_class=ExactJSONRoute, tags=['operator'], responses=WRITING, generate_unique_id_function=operation_id
)


@router.post('/contracts', status_code=201, response_model=ContractOut)
async def create_contract(body: ContractIn, who: Operator) -> ContractOut:
    """Create a contract; its region (ISO 3166-1 alpha-2) fixes its mode, `flex` or `cloud_credits`."""
    contract = await contracts.create_contract(body.name, body.region, body.timezone)
    return ContractOut(**contract.__dict__)


@router.post('/contracts/{contract_id}/teams', status_code=201, response_model=TeamOut)
async def create_team(contract: OperatorContract, body: TeamIn) -> TeamOut:
    """Add a team. Team names are unique within a contract (`409` otherwise)."""
    team = await contracts.create_team(contract.id, body.name)
    return TeamOut(id=team.id, name=team.name)


@router.post(
    '/contracts/{contract_id}/admins',
    status_code=201,
    response_model=AdminOut,
    responses={200: {'description': 'an existing administrator was granted this contract too'}},
)
async def grant_admin(contract: OperatorContract, body: AdminIn, response: Response) -> AdminOut:
    """Grant this contract to an administrator; a new e-mail needs a password of at least 12 characters."""
    admin, created = await admins.grant(body.email, contract.id, body.password)
    response.status_code = 201 if created else 200
    return AdminOut(id=admin.id, email=admin.email)


@router.post('/contracts/{contract_id}/api-keys', status_code=201, response_model=ApiKeyOut)
async def create_api_key(contract: OperatorContract, body: ApiKeyIn) -> ApiKeyOut:
    """Create a key for this contract with scopes among `usage:write`, `balances:read`, `transfers:write`.

    The key is in this answer only: it is stored as a digest.
    """
    key = await keys.create_key(contract.id, list(body.scopes))
    return ApiKeyOut(id=key.id, key=key.key, scopes=list(key.scopes))


@router.post(
    '/contracts/{contract_id}/purchases',
    status_code=201,
    response_model=PurchaseOut,
    responses={
        200: {'description': 'a replay of a recorded purchase: the original, unchanged'},
        409: {'model': ConflictOut, 'description': 'this id was used with another payload'},
    },
)
async def purchase(contract: OperatorContract, body: PurchaseIn, response: Response) -> PurchaseOut:
    """Record a purchase as a lot: `team` is required for Flex and refused for cloud credits.

    `expires_at` defaults to `purchased_at` + 365 days; `purchased_at` (default now) may not be in the future.
    """
    result = await ledger.purchase(
        contract.id,
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
