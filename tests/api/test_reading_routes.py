"""Reading routes: contracts, balances, events, usage and its CSV export"""

from datetime import timedelta

import httpx

from services.infrastructure.clock import utcnow
from tests.api.conftest import OPERATOR, event, provision


async def test_balances_shape_and_arithmetic(client: httpx.AsyncClient) -> None:
    tenant = await provision(client, teams=('Zeta', 'Alpha'))
    z = tenant.teams['Zeta']
    await client.post(tenant.url('/purchases'), json={'id': 'p', 'team': z, 'quantity': 100}, headers=OPERATOR)
    await client.post(
        tenant.url('/usage'), json={'events': [event('e', '80.5', z)]}, headers=tenant.keys['usage:write']
    )
    body = (await client.get(tenant.url('/balances'), headers=tenant.keys['balances:read'])).json()
    assert (body['contract'], body['mode']) == (tenant.id, 'flex')
    assert body['as_of'].endswith('Z')
    alpha, zeta = body['balances']
    assert alpha == {
        'team': tenant.teams['Alpha'],
        'team_name': 'Alpha',
        'available': '0',
        'used': '0',
        'expired': '0',
        'total': '0',
        'health': 'red',
        'next_expiry': None,
        'expiring_within_90_days': '0',
        'alert': False,
        'usage_90_days': {'products': 0, 'users': 0},
    }
    assert (zeta['available'], zeta['used'], zeta['total'], zeta['health']) == ('19.5', '80.5', '100', 'red')
    assert zeta['next_expiry']['days_left'] == 365
    assert zeta['usage_90_days'] == {'products': 1, 'users': 1}


async def test_cloud_balances_have_one_entry_with_a_null_team(client: httpx.AsyncClient) -> None:
    tenant = await provision(client, 'BR', teams=('Ops',))
    body = (await client.get(tenant.url('/balances'), headers=OPERATOR)).json()
    assert [entry['team'] for entry in body['balances']] == [None]
    assert body['mode'] == 'cloud_credits'


async def test_contracts_lists_what_the_key_may_see(client: httpx.AsyncClient) -> None:
    first, second = await provision(client), await provision(client, 'BR', teams=())
    mine = (await client.get('/api/v1/contracts', headers=first.keys['balances:read'])).json()['contracts']
    assert [c['id'] for c in mine] == [first.id]
    everything = (await client.get('/api/v1/contracts', headers=OPERATOR)).json()['contracts']
    assert {c['id'] for c in everything} == {first.id, second.id}


async def test_usage_report_and_csv(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a, b = tenant.teams['A'], tenant.teams['B']
    for team in (a, b):
        await client.post(
            tenant.url('/purchases'), json={'id': f'p{team}', 'team': team, 'quantity': 100}, headers=OPERATOR
        )
    await client.post(
        tenant.url('/usage'),
        json={
            'events': [
                event('1', '1.5', a, product='cad', user='ana'),
                event('2', 3, b, product='render', user='bob'),
                event('3', 1, a, product='render', user='ana'),
            ]
        },
        headers=tenant.keys['usage:write'],
    )
    key = tenant.keys['balances:read']
    by_product = (await client.get(tenant.url('/usage'), headers=key)).json()
    today = utcnow().date()
    assert by_product == {
        'from': str(today - timedelta(days=89)),
        'to': str(today),
        'by': 'product',
        'total': '5.5',
        'rows': [{'key': 'render', 'quantity': '4'}, {'key': 'cad', 'quantity': '1.5'}],
    }
    by_team = (await client.get(tenant.url('/usage'), params={'by': 'team'}, headers=key)).json()
    assert by_team['rows'] == [{'key': b, 'quantity': '3'}, {'key': a, 'quantity': '2.5'}]
    only_a = (await client.get(tenant.url('/usage'), params={'by': 'user', 'team': a}, headers=key)).json()
    assert only_a['rows'] == [{'key': 'ana', 'quantity': '2.5'}]
    csv = await client.get(tenant.url('/usage.csv'), params={'by': 'product'}, headers=key)
    assert csv.headers['content-type'].startswith('text/csv')
    assert csv.text == 'key,quantity\nrender,4\ncad,1.5\n'


async def test_range_and_parameter_refusals(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    key = tenant.keys['balances:read']
    for path in ('/usage', '/usage.csv', '/events'):
        after = await client.get(tenant.url(path), params={'from': '2026-02-02', 'to': '2026-02-01'}, headers=key)
        assert after.status_code == 422
        assert after.json()['detail'][0]['loc'] == ['query', 'from']
        too_long = await client.get(tenant.url(path), params={'from': '2025-01-01', 'to': '2026-01-02'}, headers=key)
        assert too_long.status_code == 422
        bad_date = await client.get(tenant.url(path), params={'from': '2026-13-01'}, headers=key)
        assert bad_date.status_code == 422
        assert (await client.get(tenant.url(path), params={'team': 999}, headers=key)).status_code == 404
    assert (await client.get(tenant.url('/usage'), params={'by': 'colour'}, headers=key)).status_code == 422


async def test_events_window_and_team_filter(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a = tenant.teams['A']
    old = (utcnow() - timedelta(days=120)).isoformat()
    await client.post(
        tenant.url('/purchases'), json={'id': 'old', 'team': a, 'quantity': 1, 'purchased_at': old}, headers=OPERATOR
    )
    await client.post(tenant.url('/purchases'), json={'id': 'new', 'team': a, 'quantity': 2}, headers=OPERATOR)
    key = tenant.keys['balances:read']
    recent = (await client.get(tenant.url('/events'), headers=key)).json()['events']
    assert [(e['type'], e['quantity']) for e in recent] == [('purchase', '2')]
    assert 'counterparty_team' not in recent[0]
    year = {'from': str(utcnow().date() - timedelta(days=200))}
    assert len((await client.get(tenant.url('/events'), params=year, headers=key)).json()['events']) == 2
    other = await client.get(tenant.url('/events'), params={'team': tenant.teams['B']}, headers=key)
    assert other.json() == {'events': []}
