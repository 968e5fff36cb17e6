"""Who is calling, and what they may do: ``Authorization: Bearer KEY``

401 without a known key; 404 for a contract the key may not see, or an id no contract could have (never revealing
that a contract exists); then 403 for a key without the scope the route needs. Routes declare it once, as a
dependency (``Allowed``); ``api.exact_json`` checks it before reading a body, so that a request that may not write
costs nothing to refuse, whatever it carries.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.accounts.contracts import ContractInfo, get_contract
from services.accounts.keys import Caller, identify
from services.domain.errors import UnknownContract

MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; anything beyond is no id of ours
bearer = HTTPBearer(auto_error=False, description='the operator key, or an API key of a contract')
ContractPath = Annotated[str, Path(description='a contract id', examples=['1'])]


def parse_id(text: object) -> int | None:
    """An id as the API issues them (1 to 2³¹ − 1, plain digits), or ``None`` for anything else."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


async def _caller(request: Request) -> Caller:
    credentials = await bearer(request)
    token = credentials.credentials if credentials else ''
    found = await identify(token, request.app.state.operator_key) if token else None
    if found is None:
        raise HTTPException(401, 'a valid bearer key is required', headers={'WWW-Authenticate': 'Bearer'})
    return found


def who_asked(request: Request) -> str:
    """Who made a request, for the records (``operator``, or ``API key 7``), once its access was checked."""
    kept = request.scope.get('balances.access')
    caller = kept[1] if kept else None
    if caller is None or caller.is_operator:
        return 'operator'
    return f'API key {caller.key_id}'


def not_found() -> HTTPException:
    return HTTPException(404, 'no such contract')


Scopes = str | tuple[str, ...] | None  # one scope, any of several (``()``: any valid key), or the operator only


class Allowed:
    """A route's access rule: the caller holds ``scope`` (one of them, for a tuple; ``None``: the operator only);
    under a contract's path, that contract must exist and be the caller's. The dependency's value is the contract (or
    ``None``) and the caller."""

    def __init__(self, scope: Scopes, *, contract: bool = True) -> None:
        self.scope, self.contract = scope, contract

    async def check(self, request: Request) -> tuple[ContractInfo | None, Caller]:
        """Decide from the headers and the path alone; the answer is kept for the rest of the request."""
        kept: tuple[ContractInfo | None, Caller] | None = request.scope.get('balances.access')
        if kept is not None:
            return kept
        who = await _caller(request)
        found = None
        if self.contract:
            contract_id = parse_id(request.path_params.get('contract_id'))
            if contract_id is None or not who.sees(contract_id):
                raise not_found()
            try:
                found = await get_contract(contract_id)
            except UnknownContract:
                raise not_found() from None
        if self.scope is None and not who.is_operator:
            raise HTTPException(403, 'only the operator may do this')
        scopes = (self.scope,) if isinstance(self.scope, str) else self.scope
        if scopes and not any(who.may(scope) for scope in scopes):
            raise HTTPException(403, f'this key lacks the {" or ".join(scopes)} scope')
        request.scope['balances.access'] = (found, who)
        return found, who


class ContractAccess(Allowed):
    async def __call__(
        self,
        request: Request,
        contract_id: ContractPath,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ContractInfo:
        contract, _ = await self.check(request)
        if contract is None:  # check() raises first: this is only for the type
            raise not_found()
        return contract


class KeyAccess(Allowed):
    def __init__(self, scope: Scopes) -> None:
        super().__init__(scope, contract=False)

    async def __call__(
        self, request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Caller:
        _, who = await self.check(request)
        return who


Operator = Annotated[Caller, Depends(KeyAccess(None))]
AnyKey = Annotated[Caller, Depends(KeyAccess(()))]
Reader = Annotated[Caller, Depends(KeyAccess('balances:read'))]
OperatorContract = Annotated[ContractInfo, Depends(ContractAccess(None))]
ReadContract = Annotated[ContractInfo, Depends(ContractAccess('balances:read'))]
UsageContract = Annotated[ContractInfo, Depends(ContractAccess('usage:write'))]
TransferContract = Annotated[ContractInfo, Depends(ContractAccess('transfers:write'))]
AlertsContract = Annotated[ContractInfo, Depends(ContractAccess('alerts:write'))]
EntitlementContract = Annotated[ContractInfo, Depends(ContractAccess(('entitlements:read', 'balances:read')))]
ControlsContract = Annotated[ContractInfo, Depends(ContractAccess('controls:write'))]
