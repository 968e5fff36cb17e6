"""``GET …/lots`` and ``GET …/forecast`` as a client reads them: exact strings, the spec's fields, refusals"""

from datetime import timedelta

import httpx

from services.infrastructure.clock import utcnow
from tests.api.conftest import OPERATOR, event, provision


async def test_lots_in_consumption_order_with_their_origin_and_state(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a, b = tenant.teams['A'], tenant.teams['B']
    soon = (utcnow() + timedelta(days=30)).isoformat()
    for body in (
        {'id': 'big', 'team': a, 'quantity': '100'},
        {'id': 'small', 'team': a, 'quantity': '10', 'expires_at': soon},
        {'id': 'gone', 'team': a, 'quantity': '5', 'expires_at': soon},
    ):
        assert (await client.post(tenant.url('/purchases'), json=body, headers=OPERATOR)).status_code == 201
    usage = {'events': [event('e', '5', a)]}
    assert (await client.post(tenant.url('/usage'), json=usage, headers=tenant.all_scopes)).status_code == 200
    move = {'id': 'mv', 'from_team': a, 'to_team': b, 'quantity': '12.5'}
    assert (await client.post(tenant.url('/transfers'), json=move, headers=tenant.all_scopes)).status_code == 201

    answer = await client.get(tenant.url('/lots'), headers=tenant.keys['balances:read'])
    assert answer.status_code == 200, answer.text
    lots = answer.json()['lots']
    by_team = {team: [lot['id'] for lot in lots if lot['team'] == team] for team in (a, b)}
    assert by_team[a] == ['gone', 'small', 'big']
    assert by_team[b] == ['mv/small', 'mv/big']
    moved = next(lot for lot in lots if lot['id'] == 'mv/big')
    assert (moved['from_team'], moved['original'], moved['remaining']) == (a, '2.5', '2.5')
    assert 'from_team' not in next(lot for lot in lots if lot['id'] == 'big')
    assert [lot['state'] for lot in lots if lot['team'] == a] == ['empty', 'empty', 'active']

    active = await client.get(tenant.url(f'/lots?team={b}&state=active'), headers=tenant.keys['balances:read'])
    assert [lot['id'] for lot in active.json()['lots']] == ['mv/small', 'mv/big']


async def test_lots_refusals(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    read = tenant.keys['balances:read']
    assert (await client.get(tenant.url('/lots?state=gone'), headers=read)).status_code == 422
    assert (await client.get(tenant.url('/lots?team=999999'), headers=read)).status_code == 404
    assert (await client.get('/api/v1/contracts/x/lots', headers=read)).status_code == 404


async def test_forecast_fields_as_the_spec_names_them(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a = tenant.teams['A']
    assert (
        await client.post(tenant.url('/purchases'), json={'id': 'p', 'team': a, 'quantity': '50'}, headers=OPERATOR)
    ).status_code == 201
    answer = await client.get(tenant.url('/forecast'), headers=tenant.keys['balances:read'])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {'contract', 'as_of', 'window_days', 'holders', 'suggestions'}
    assert (body['contract'], body['window_days'], body['suggestions']) == (tenant.id, 28, [])
    assert [h['team_name'] for h in body['holders']] == ['A', 'B']
    holder = body['holders'][0]
    assert holder == {
        'team': a,
        'team_name': 'A',
        'available': '50',
        'daily_rate': '0',
        'runs_out_on': None,
        'days_left': None,
        'expires_unused': [holder['expires_unused'][0]],
        'expires_unused_total': '50',
    }
    assert holder['expires_unused'][0]['quantity'] == '50'
    one = await client.get(tenant.url(f'/forecast?team={a}'), headers=tenant.keys['balances:read'])
    assert [h['team'] for h in one.json()['holders']] == [a]
    assert (await client.get(tenant.url('/forecast?team=999999'), headers=OPERATOR)).status_code == 404


async def test_forecast_of_a_cloud_contract_has_one_holder_and_no_suggestions(client: httpx.AsyncClient) -> None:
    tenant = await provision(client, region='BR')
    body = (await client.get(tenant.url('/forecast'), headers=OPERATOR)).json()
    assert [(h['team'], h['team_name']) for h in body['holders']] == [(None, None)]
    assert body['suggestions'] == []
    refused = await client.get(tenant.url(f'/forecast?team={tenant.teams["A"]}'), headers=OPERATOR)
    assert refused.status_code == 422
    assert refused.json()['detail'][0]['loc'] == ['query', 'team']
