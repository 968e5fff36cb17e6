"""POST …/usage: batches all or nothing, idempotency, refusals naming the field and the event's index"""

import json
from datetime import timedelta

import httpx
import pytest

from services.infrastructure.clock import utcnow
from tests.api.conftest import OPERATOR, Tenant, event, provision
from tests.api.test_operator_routes import refused


async def funded(client: httpx.AsyncClient, quantity: object = 10, region: str = 'FR') -> Tenant:
    tenant = await provision(client, region)
    body = {'id': 'lot', 'quantity': quantity}
    if region == 'FR':
        body['team'] = tenant.teams['A']
    assert (await client.post(tenant.url('/purchases'), json=body, headers=OPERATOR)).status_code == 201
    return tenant


async def test_accepted_then_duplicates(client: httpx.AsyncClient) -> None:
    tenant = await funded(client)
    a = tenant.teams['A']
    repeated = event('e2', 1, a)
    batch = {'events': [event('e1', '2.5', a), repeated, {**repeated, 'quantity': '1.000'}]}
    first = await client.post(tenant.url('/usage'), json=batch, headers=tenant.keys['usage:write'])
    assert (first.status_code, first.json()) == (200, {'accepted': 2, 'duplicates': 1})
    again = await client.post(tenant.url('/usage'), json=batch, headers=tenant.keys['usage:write'])
    assert again.json() == {'accepted': 0, 'duplicates': 3}
    balance = (await client.get(tenant.url('/balances'), headers=tenant.keys['balances:read'])).json()
    assert balance['balances'][0]['used'] == '3.5'


async def test_an_uncoverable_event_is_409_naming_it_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    tenant = await funded(client, 5)
    a = tenant.teams['A']
    response = await refused(
        client,
        tenant.url('/usage'),
        {'events': [event('ok', 4, a), event('big', 2, a)]},
        409,
        headers=tenant.keys['usage:write'],
    )
    assert response.json()['id'] == 'big'
    assert 'big' in response.json()['detail']


async def test_conflicting_payloads_are_409(client: httpx.AsyncClient) -> None:
    tenant = await funded(client)
    a = tenant.teams['A']
    await client.post(tenant.url('/usage'), json={'events': [event('e', 1, a)]}, headers=tenant.keys['usage:write'])
    await refused(client, tenant.url('/usage'), {'events': [event('e', 2, a)]}, 409, headers=tenant.keys['usage:write'])
    await refused(
        client,
        tenant.url('/usage'),
        {'events': [event('f', 1, a), event('f', 2, a)]},
        409,
        headers=tenant.keys['usage:write'],
    )


def _future() -> str:
    return (utcnow() + timedelta(minutes=6)).isoformat()


@pytest.mark.parametrize(
    ('change', 'field'),
    [
        ({'quantity': 0}, 'quantity'),
        ({'quantity': -1}, 'quantity'),
        ({'quantity': '0.00001'}, 'quantity'),
        ({'quantity': 'NaN'}, 'quantity'),
        ({'quantity': True}, 'quantity'),
        ({'quantity': None}, 'quantity'),
        ({'user': ''}, 'user'),
        ({'user': 'u' * 201}, 'user'),
        ({'product': ''}, 'product'),
        ({'product': 'p' * 101}, 'product'),
        ({'occurred_at': 'yesterday'}, 'occurred_at'),
        ({'occurred_at': '2026-11-01T10:00:00'}, 'occurred_at'),
        ({'occurred_at': 'FUTURE'}, 'occurred_at'),
        ({'team': 999}, 'team'),
        ({'team': None}, 'team'),
        ({'id': 7}, 'id'),
        ({'extra': 1}, 'extra'),
    ],
)
async def test_a_bad_event_is_422_naming_its_index_and_field(
    client: httpx.AsyncClient, change: dict, field: str
) -> None:
    tenant = await funded(client)
    bad = {**event('bad', 1, tenant.teams['A']), **change}
    if bad.get('occurred_at') == 'FUTURE':
        bad['occurred_at'] = _future()
    bad = {key: value for key, value in bad.items() if value is not None}
    await refused(
        client,
        tenant.url('/usage'),
        {'events': [event('good', 1, tenant.teams['A']), bad]},
        422,
        ['body', 'events', 1, field],
        headers=tenant.keys['usage:write'],
    )


async def test_batch_bounds_and_body_size(client: httpx.AsyncClient) -> None:
    tenant = await funded(client, 5000)
    a, key = tenant.teams['A'], tenant.keys['usage:write']
    await refused(client, tenant.url('/usage'), {'events': []}, 422, ['body', 'events'], headers=key)
    too_many = {'events': [event(f'e{i}', '0.001', a) for i in range(1001)]}
    await refused(client, tenant.url('/usage'), too_many, 422, ['body', 'events'], headers=key)
    ok = await client.post(tenant.url('/usage'), json={'events': too_many['events'][:1000]}, headers=key)
    assert ok.json() == {'accepted': 1000, 'duplicates': 0}
    huge = json.dumps({'events': [event('x', 1, a, user='u' * 150) for _ in range(5000)]})
    assert len(huge) > 1_000_000
    response = await client.post(
        tenant.url('/usage'), content=huge, headers={**key, 'content-type': 'application/json'}
    )
    assert response.status_code == 413
    broken = await client.post(
        tenant.url('/usage'), content='{"events": [', headers={**key, 'content-type': 'application/json'}
    )
    assert broken.status_code == 422


async def test_cloud_usage_team_is_an_optional_tag(client: httpx.AsyncClient) -> None:
    tenant = await funded(client, 10, 'BR')
    response = await client.post(
        tenant.url('/usage'),
        json={'events': [event('a', 1), event('b', 2, tenant.teams['A'])]},
        headers=tenant.keys['usage:write'],
    )
    assert response.json() == {'accepted': 2, 'duplicates': 0}
    await refused(
        client,
        tenant.url('/usage'),
        {'events': [event('c', 1, 999)]},
        422,
        ['body', 'events', 0, 'team'],
        headers=tenant.keys['usage:write'],
    )
