"""Transfers: preview writes nothing, the transfer keeps expiry dates, replays and refusals"""

import httpx

from tests.api.conftest import OPERATOR, provision
from tests.api.test_operator_routes import refused
from tests.helpers import snapshot


async def test_preview_then_transfer_then_replay(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a, b = tenant.teams['A'], tenant.teams['B']
    for lot_id, quantity, expiry in (('soon', 4, '2027-01-01T00:00:00Z'), ('late', 10, '2027-06-01T00:00:00Z')):
        await client.post(
            tenant.url('/purchases'),
            json={'id': lot_id, 'team': a, 'quantity': quantity, 'expires_at': expiry},
            headers=OPERATOR,
        )
    body = {'id': 't1', 'from_team': a, 'to_team': b, 'quantity': '5.5'}
    key = tenant.keys['transfers:write']
    before = await snapshot()
    preview = await client.post(tenant.url('/transfers/preview'), json=body, headers=key)
    assert await snapshot() == before
    assert preview.json() == {
        'lots': [
            {'expires_at': '2027-01-01T00:00:00Z', 'quantity': '4'},
            {'expires_at': '2027-06-01T00:00:00Z', 'quantity': '1.5'},
        ]
    }
    done = await client.post(tenant.url('/transfers'), json=body, headers=key)
    assert done.status_code == 201
    assert done.json() == {'id': 't1', 'from_team': a, 'to_team': b, 'quantity': '5.5', **preview.json()}
    replay = await client.post(tenant.url('/transfers'), json={**body, 'quantity': 5.50}, headers=key)
    assert replay.status_code == 200
    assert replay.json() == done.json()
    await refused(client, tenant.url('/transfers'), {**body, 'quantity': 1}, 409, headers=key)
    events = (await client.get(tenant.url('/events'), headers=tenant.keys['balances:read'])).json()['events']
    assert {'type': 'transfer_in', 'team': b, 'counterparty_team': a, 'quantity': '5.5'}.items() <= events[0].items()


async def test_transfer_refusals(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a, b, key = tenant.teams['A'], tenant.teams['B'], tenant.keys['transfers:write']
    await client.post(tenant.url('/purchases'), json={'id': 'p', 'team': a, 'quantity': 3}, headers=OPERATOR)
    body = {'id': 't', 'from_team': a, 'to_team': b, 'quantity': 1}
    await refused(client, tenant.url('/transfers'), {**body, 'to_team': a}, 422, ['body', 'to_team'], headers=key)
    await refused(client, tenant.url('/transfers'), {**body, 'quantity': 4}, 409, headers=key)
    await refused(client, tenant.url('/transfers'), {**body, 'to_team': 999}, 422, ['body', 'to_team'], headers=key)
    await refused(client, tenant.url('/transfers/preview'), {**body, 'quantity': 4}, 409, headers=key)
    await refused(client, tenant.url('/transfers'), {**body, 'quantity': '0'}, 422, ['body', 'quantity'], headers=key)
    cloud = await provision(client, 'BR', teams=('X', 'Y'))
    cloud_body = {'id': 't', 'from_team': cloud.teams['X'], 'to_team': cloud.teams['Y'], 'quantity': 1}
    await refused(client, cloud.url('/transfers'), cloud_body, 409, headers=cloud.keys['transfers:write'])
