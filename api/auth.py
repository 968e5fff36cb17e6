"""Who is calling: ``Authorization: Bearer KEY``

401 without a known key; 404 for a contract the key may not see (never revealing that it exists); then 403 for a
key without the scope the route needs.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.accounts.contracts import ContractInfo, get_contract
from services.accounts.keys import Caller, identify

bearer = HTTPBearer(auto_error=False, description='the operator key, or an API key of a contract')


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    token = credentials.credentials if credentials else ''
    found = await identify(token, request.app.state.operator_key) if token else None
    if found is None:
        raise HTTPException(401, 'a valid bearer key is required', headers={'WWW-Authenticate': 'Bearer'})
    return found


CallerDep = Annotated[Caller, Depends(caller)]


def not_found(contract_id: int) -> HTTPException:
    return HTTPException(404, f'contract {contract_id} does not exist')


async def visible_contract(contract_id: int, who: Caller, scope: str | None) -> ContractInfo:
    """The contract, if this caller may see it (else 404) and holds ``scope`` (else 403; None: operator only)."""
    if not who.sees(contract_id):
        raise not_found(contract_id)
    contract = await get_contract(contract_id)
    if scope is None and not who.is_operator:
        raise HTTPException(403, 'only the operator may do this')
    if scope is not None and not who.may(scope):
        raise HTTPException(403, f'this key lacks the {scope} scope')
    return contract


def require_operator(who: Caller) -> None:
    if not who.is_operator:
        raise HTTPException(403, 'only the operator may do this')
