"""Operator routes: contracts, teams, administrators, API keys, purchases — and their refusals"""

from typing import Any

import httpx
import pytest

from models import ApiKey
from tests.api.conftest import OPERATOR, bearer, provision
from tests.helpers import snapshot


async def refused(
    client: httpx.AsyncClient,
    url: str,
    body: Any,
    status: int,
    loc: list | None = None,
    headers: dict[str, str] = OPERATOR,
) -> httpx.Response:
    """POST that must be refused with ``status`` (and 422 ``loc``), leaving every table unchanged."""
    before = await snapshot()
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    if loc is not None:
        assert loc in [item['loc'] for item in response.json()['detail']], response.text
    assert await snapshot() == before
    return response


async def test_create_contract_and_team(client: httpx.AsyncClient) -> None:
    made = await client.post(
        '/api/v1/contracts', json={'name': 'Atelier', 'region': 'fr', 'timezone': 'Europe/Paris'}, headers=OPERATOR
    )
    assert made.status_code == 201
    assert made.json() == {
        'id': made.json()['id'],
        'name': 'Atelier',
        'region': 'FR',
        'mode': 'flex',
        'timezone': 'Europe/Paris',
    }
    cloud = await client.post('/api/v1/contracts', json={'name': 'Construtora', 'region': 'BR'}, headers=OPERATOR)
    assert (cloud.json()['mode'], cloud.json()['timezone']) == ('cloud_credits', 'UTC')
    team = await client.post(
        f'/api/v1/contracts/{made.json()["id"]}/teams', json={'name': 'Structure'}, headers=OPERATOR
    )
    assert team.status_code == 201
    assert team.json()['name'] == 'Structure'


@pytest.mark.parametrize(
    ('body', 'loc'),
    [
        ({'name': 'A', 'region': 'ZZ'}, ['body', 'region']),
        ({'name': 'A', 'region': 'FR', 'timezone': 'Nowhere/City'}, ['body', 'timezone']),
        ({'name': '', 'region': 'FR'}, ['body', 'name']),
        ({'region': 'FR'}, ['body', 'name']),
        ({'name': 'A', 'region': 'FR', 'colour': 'red'}, ['body', 'colour']),
        ({'name': 5, 'region': 'FR'}, ['body', 'name']),
    ],
)
async def test_contract_refusals(client: httpx.AsyncClient, body: dict, loc: list) -> None:
    await refused(client, '/api/v1/contracts', body, 422, loc)


async def test_team_refusals(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    await refused(client, tenant.url('/teams'), {'name': 'A'}, 409)
    await refused(client, tenant.url('/teams'), {'name': 'x' * 101}, 422, ['body', 'name'])
    await refused(client, '/api/v1/contracts/999/teams', {'name': 'C'}, 404)


async def test_admins_new_needs_a_password_existing_is_granted(client: httpx.AsyncClient) -> None:
    first, second = await provision(client), await provision(client, 'BR', teams=())
    made = await client.post(
        first.url('/admins'), json={'email': 'ana@example.com', 'password': 'twelve chars!'}, headers=OPERATOR
    )
    assert made.status_code == 201
    assert made.json()['email'] == 'ana@example.com'
    again = await client.post(second.url('/admins'), json={'email': 'ANA@example.com'}, headers=OPERATOR)
    assert again.status_code == 200
    assert again.json()['id'] == made.json()['id']
    await refused(
        client, first.url('/admins'), {'email': 'bob@example.com', 'password': 'short'}, 422, ['body', 'password']
    )
    await refused(client, first.url('/admins'), {'email': 'bob@example.com'}, 422, ['body', 'password'])


async def test_api_keys_are_shown_once_and_stored_as_digests(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    made = await client.post(
        tenant.url('/api-keys'), json={'scopes': ['balances:read', 'usage:write']}, headers=OPERATOR
    )
    assert made.status_code == 201
    assert made.json()['scopes'] == ['usage:write', 'balances:read']
    key = made.json()['key']
    assert len(key) > 40
    stored = await ApiKey.get(id=made.json()['id'])
    assert key.split('_')[2] not in (stored.secret_hash, stored.prefix)
    assert len(stored.secret_hash) == 64
    assert (await client.get(tenant.url('/balances'), headers=bearer(key))).status_code == 200
    assert (await client.get(tenant.url('/balances'), headers=bearer(key[:-1] + 'x'))).status_code == 401
    await refused(client, tenant.url('/api-keys'), {'scopes': []}, 422, ['body', 'scopes'])
    await refused(client, tenant.url('/api-keys'), {'scopes': ['admin']}, 422, ['body', 'scopes', 0])


async def test_purchase_201_then_replay_200_then_conflict_409(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    body = {'id': 'p1', 'team': tenant.teams['A'], 'quantity': 1250.5, 'purchased_at': '2026-01-01T00:00:00+01:00'}
    made = await client.post(tenant.url('/purchases'), json=body, headers=OPERATOR)
    assert made.status_code == 201
    assert made.json() == {
        'id': 'p1',
        'team': tenant.teams['A'],
        'quantity': '1250.5',
        'purchased_at': '2025-12-31T23:00:00Z',
        'expires_at': '2026-12-31T23:00:00Z',
    }
    replay = await client.post(tenant.url('/purchases'), json={**body, 'quantity': '1250.50'}, headers=OPERATOR)
    assert replay.status_code == 200
    assert replay.json() == made.json()
    await refused(client, tenant.url('/purchases'), {**body, 'quantity': '1250.6'}, 409)


@pytest.mark.parametrize(
    ('change', 'loc'),
    [
        ({'quantity': 0}, ['body', 'quantity']),
        ({'quantity': -5}, ['body', 'quantity']),
        ({'quantity': '1.00001'}, ['body', 'quantity']),
        ({'quantity': '1e3'}, ['body', 'quantity']),
        ({'quantity': 'Infinity'}, ['body', 'quantity']),
        ({'quantity': '1234567890123'}, ['body', 'quantity']),
        ({'team': None}, ['body', 'team']),
        ({'team': 999}, ['body', 'team']),
        ({'team': 'A'}, ['body', 'team']),
        ({'purchased_at': '2999-01-01T00:00:00Z'}, ['body', 'purchased_at']),
        ({'purchased_at': '2026-01-01T00:00:00'}, ['body', 'purchased_at']),
        ({'purchased_at': '2026-01-02T00:00:00Z', 'expires_at': '2026-01-01T00:00:00Z'}, ['body', 'expires_at']),
        ({'id': ''}, ['body', 'id']),
    ],
)
async def test_purchase_refusals(client: httpx.AsyncClient, change: dict, loc: list) -> None:
    tenant = await provision(client)
    body = {'id': 'p1', 'team': tenant.teams['A'], 'quantity': '10', **change}
    await refused(client, tenant.url('/purchases'), {k: v for k, v in body.items() if v is not None}, 422, loc)


async def test_cloud_purchases_refuse_a_team(client: httpx.AsyncClient) -> None:
    tenant = await provision(client, 'BR', teams=('Ops',))
    await refused(
        client, tenant.url('/purchases'), {'id': 'p', 'team': tenant.teams['Ops'], 'quantity': 5}, 422, ['body', 'team']
    )
    assert (
        await client.post(tenant.url('/purchases'), json={'id': 'p', 'quantity': 5}, headers=OPERATOR)
    ).status_code == 201


async def test_json_numbers_stay_exact(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    raw = f'{{"id": "p", "team": {tenant.teams["A"]}, "quantity": 999999999999.9999}}'
    made = await client.post(
        tenant.url('/purchases'), content=raw, headers={**OPERATOR, 'content-type': 'application/json'}
    )
    assert made.json()['quantity'] == '999999999999.9999'
    nan = raw.replace('999999999999.9999', 'NaN').replace('"p"', '"q"')
    response = await client.post(
        tenant.url('/purchases'), content=nan, headers={**OPERATOR, 'content-type': 'application/json'}
    )
    assert response.status_code == 422
    assert response.json()['detail'][0]['loc'] == ['body', 'quantity']
