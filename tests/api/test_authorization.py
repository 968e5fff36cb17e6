"""The authorization matrix: every route × {no key, wrong scope, another contract's key, operator}

401 without a valid key; 404 for a contract the key may not see (no tenant leak, on every route); 403 for a key of
the right contract without the scope; the operator may do everything. A refused request writes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import OPERATOR, Tenant, event, provision
from tests.helpers import snapshot


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {c}: the contract
    scope: str | None  # None: operator only
    body: Callable[[Tenant], Any] | None = None
    success: int = 200


ROUTES = [
    Route('POST', '/contracts/{c}/teams', None, lambda t: {'name': 'New'}, 201),
    Route('POST', '/contracts/{c}/admins', None, lambda t: {'email': 'x@example.com', 'password': 'p' * 12}, 201),
    Route('POST', '/contracts/{c}/api-keys', None, lambda t: {'scopes': ['balances:read']}, 201),
    Route('POST', '/contracts/{c}/purchases', None, lambda t: {'id': 'np', 'team': t.teams['A'], 'quantity': 1}, 201),
    Route('POST', '/contracts/{c}/usage', 'usage:write', lambda t: {'events': [event('ne', 1, t.teams['A'])]}),
    Route(
        'POST',
        '/contracts/{c}/transfers/preview',
        'transfers:write',
        lambda t: {'id': 'nt', 'from_team': t.teams['A'], 'to_team': t.teams['B'], 'quantity': 1},
    ),
    Route(
        'POST',
        '/contracts/{c}/transfers',
        'transfers:write',
        lambda t: {'id': 'nt', 'from_team': t.teams['A'], 'to_team': t.teams['B'], 'quantity': 1},
        201,
    ),
    Route('GET', '/contracts/{c}/balances', 'balances:read'),
    Route('GET', '/contracts/{c}/events', 'balances:read'),
    Route('GET', '/contracts/{c}/usage', 'balances:read'),
    Route('GET', '/contracts/{c}/usage.csv', 'balances:read'),
    Route('GET', '/contracts/{c}/lots', 'balances:read'),
    Route('GET', '/contracts/{c}/forecast', 'balances:read'),
    Route('GET', '/contracts/{c}/alerts', 'balances:read'),
    Route('GET', '/contracts/{c}/alert-rules', 'alerts:write'),
    Route(
        'POST', '/contracts/{c}/alert-rules', 'alerts:write', lambda t: {'kind': 'available_below', 'threshold': 1}, 201
    ),
]
CALLERS = ['no key', 'unknown key', 'wrong scope', "other contract's key", 'operator']


async def _call(client: httpx.AsyncClient, route: Route, tenant: Tenant, headers: dict[str, str]) -> httpx.Response:
    url = '/api/v1' + route.path.format(c=tenant.id)
    body = route.body(tenant) if route.body else None
    return await client.request(route.method, url, json=body, headers=headers)


@pytest.mark.parametrize('route', ROUTES, ids=lambda r: f'{r.method} {r.path}')
@pytest.mark.parametrize('who', CALLERS)
async def test_route_by_caller(client: httpx.AsyncClient, route: Route, who: str) -> None:
    tenant, other = await provision(client), await provision(client)
    await client.post(
        tenant.url('/purchases'), json={'id': 'lot', 'team': tenant.teams['A'], 'quantity': 10}, headers=OPERATOR
    )
    wrong = next(headers for scope, headers in tenant.keys.items() if scope != route.scope)
    headers, expected = {
        'no key': ({}, 401),
        'unknown key': ({'Authorization': 'Bearer bal_000000000000_guess'}, 401),
        'wrong scope': (wrong if route.scope else tenant.all_scopes, 403),
        "other contract's key": (other.all_scopes, 404),
        'operator': (OPERATOR, route.success),
    }[who]
    before = await snapshot()
    response = await _call(client, route, tenant, headers)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert await snapshot() == before
    if who == "other contract's key":  # indistinguishable from a contract that does not exist
        missing = await _call(client, route, Tenant(99_999, tenant.teams, {}, {}), headers)
        assert (missing.status_code, missing.text.replace('99999', str(tenant.id))) == (404, response.text)
    if who == 'operator':
        missing = await _call(client, route, Tenant(99_999, tenant.teams, {}, {}), OPERATOR)
        assert missing.status_code in (404, 422), missing.text


async def test_creating_contracts_is_for_the_operator_only(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    body = {'name': 'Another', 'region': 'FR'}
    assert (await client.post('/api/v1/contracts', json=body)).status_code == 401
    assert (await client.post('/api/v1/contracts', json=body, headers=tenant.all_scopes)).status_code == 403
    assert (await client.post('/api/v1/contracts', json=body, headers=OPERATOR)).status_code == 201


async def test_listing_contracts_needs_balances_read_and_shows_only_ones_own(client: httpx.AsyncClient) -> None:
    tenant, other = await provision(client), await provision(client)
    assert (await client.get('/api/v1/contracts')).status_code == 401
    assert (await client.get('/api/v1/contracts', headers=tenant.keys['usage:write'])).status_code == 403
    seen = (await client.get('/api/v1/contracts', headers=tenant.keys['balances:read'])).json()['contracts']
    assert [c['id'] for c in seen] == [tenant.id]
    assert other.id != tenant.id


async def test_health_needs_no_key(client: httpx.AsyncClient) -> None:
    assert (await client.get('/api/v1/health')).json() == {'status': 'ok'}
