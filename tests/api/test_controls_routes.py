"""Rates, product sessions, the entitlement check and the controls, over HTTP exactly as the spec words them"""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.infrastructure.clock import utcnow
from tests.api.conftest import OPERATOR, Tenant, bearer, provision
from tests.helpers import snapshot

NOW = utcnow()


@pytest.fixture(autouse=True)
def now() -> None:
    """Each test's "now", read as it starts — not when the module was collected: by the time a test runs that may be
    minutes ago, and a session 6 minutes ahead of it would no longer be ahead of the server's clock."""
    global NOW
    NOW = utcnow()


def at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


async def product(client: httpx.AsyncClient, code: str, rate: object, since: timedelta = -timedelta(days=30)) -> Any:
    answer = await client.post(
        '/api/v1/products', json={'code': code, 'name': code.title(), 'daily_rate': rate, 'effective_from': at(since)},
        headers=OPERATOR,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


async def tenant_with_tokens(client: httpx.AsyncClient, region: str = 'FR', tokens: object = '100') -> Tenant:
    tenant = await provision(client, region)
    for name, team in tenant.teams.items():
        body: dict[str, Any] = {'id': f'lot-{name}', 'quantity': tokens, 'purchased_at': at(-timedelta(days=40))}
        if region == 'FR':
            body['team'] = team
        answer = await client.post(tenant.url('/purchases'), json=body, headers=OPERATOR)
        assert answer.status_code == 201, answer.text
        if region != 'FR':
            break
    return tenant


async def key(client: httpx.AsyncClient, tenant: Tenant, *scopes: str) -> dict[str, str]:
    made = await client.post(tenant.url('/api-keys'), json={'scopes': list(scopes)}, headers=OPERATOR)
    assert made.status_code == 201, made.text
    return bearer(made.json()['key'])


def session(sid: str, team: int | None, started: timedelta, minutes: object = 30, **fields: Any) -> dict[str, Any]:
    body = {'id': sid, 'user': 'ana@x.fr', 'product': 'cad', 'started_at': at(started), 'minutes': minutes, **fields}
    if team is not None:
        body['team'] = team
    return body


async def test_products_and_their_rates(client: httpx.AsyncClient, db: str) -> None:
    made = await product(client, 'render', '10')
    assert (made['code'], made['name'], made['daily_rate']) == ('render', 'Render', '10')
    assert made['rates'] == [{'daily_rate': '10', 'effective_from': made['effective_from']}]
    later = (await client.post('/api/v1/products/render/rates', json={'daily_rate': 12.5, 'effective_from': at(
        timedelta(days=2))}, headers=OPERATOR))  # fmt: skip
    assert later.status_code == 201
    assert later.json()['daily_rate'] == '10'  # the one in effect now; the new one is in its rates
    assert [r['daily_rate'] for r in later.json()['rates']] == ['10', '12.5']
    await product(client, 'cad', 7)
    tenant = await provision(client)
    listed = await client.get('/api/v1/products', headers=tenant.keys['usage:write'])  # any valid key reads
    assert [p['code'] for p in listed.json()['products']] == ['cad', 'render']
    for status, answer in (
        (409, await client.post('/api/v1/products', json={'code': 'cad', 'name': 'x', 'daily_rate': 1},
                                headers=OPERATOR)),
        (409, await client.post('/api/v1/products/render/rates', json={'daily_rate': 3,
                                'effective_from': later.json()['rates'][1]['effective_from']}, headers=OPERATOR)),
        (404, await client.post('/api/v1/products/nothing/rates', json={'daily_rate': 3, 'effective_from': at(
            timedelta())}, headers=OPERATOR)),
        (422, await client.post('/api/v1/products', json={'code': 'x', 'name': 'x', 'daily_rate': 0},
                                headers=OPERATOR)),
        (422, await client.post('/api/v1/products', json={'code': 'x', 'name': 'x', 'daily_rate': -2},
                                headers=OPERATOR)),
        (403, await client.post('/api/v1/products', json={'code': 'y', 'name': 'y', 'daily_rate': 1},
                                headers=tenant.all_scopes)),
        (401, await client.get('/api/v1/products')),
    ):  # fmt: skip
        assert answer.status_code == status, answer.text


async def test_sessions_are_rated_into_windows_charged_as_usage(client: httpx.AsyncClient, db: str) -> None:
    await product(client, 'cad', 7)
    tenant = await tenant_with_tokens(client)
    team = tenant.teams['A']
    start = -timedelta(days=3)
    body = {'sessions': [
        session('s1', team, start),
        session('s2', team, start + timedelta(hours=23, minutes=59)),  # inside s1's window
        session('s3', team, start + timedelta(hours=24)),  # at its end: a new window
        session('s4', team, start + timedelta(days=2), 4),  # under 5 minutes
        session('s1', team, start),  # the same id and body: a duplicate
    ]}  # fmt: skip
    answer = await client.post(tenant.url('/sessions'), json=body, headers=tenant.keys['usage:write'])
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result['accepted'], result['duplicates']) == (4, 1)
    assert [(c['id'], c['quantity']) for c in result['charged']] == [('s1', '7'), ('s2', '0'), ('s3', '7'), ('s4', '0')]
    assert result['charged'][0]['window_start'] is not None
    assert result['charged'][1]['window_start'] is None  # it cost nothing: no window of its own
    again = await client.post(tenant.url('/sessions'), json=body, headers=tenant.keys['usage:write'])
    assert again.json() == {'accepted': 0, 'duplicates': 5, 'charged': []}
    balances = (await client.get(tenant.url('/balances'), headers=tenant.keys['balances:read'])).json()
    assert {b['team']: b['available'] for b in balances['balances']}[team] == '86'
    usage = (await client.get(tenant.url('/usage?by=user'), headers=tenant.keys['balances:read'])).json()
    assert usage['rows'] == [{'key': 'ana@x.fr', 'quantity': '14'}]  # in every read, like posted usage


async def test_sessions_refused_whole_naming_the_field_and_index(client: httpx.AsyncClient, db: str) -> None:
    await product(client, 'cad', 7)
    await product(client, 'later', 5, since=timedelta(days=1))
    tenant = await tenant_with_tokens(client, tokens='10')
    team = tenant.teams['A']
    headers = tenant.keys['usage:write']
    before = await snapshot()
    for bad, loc in (
        (session('x', team, -timedelta(hours=1), minutes=1441), 'minutes'),
        (session('x', team, -timedelta(hours=1), minutes=2.5), 'minutes'),
        (session('x', team, -timedelta(hours=1), minutes='5'), 'minutes'),
        (session('x', team, timedelta(minutes=6)), 'started_at'),
        (session('x', team, -timedelta(hours=1), product='nothing'), 'product'),
        (session('x', team, -timedelta(hours=1), product='later'), 'product'),  # no rate effective yet
        (session('x', None, -timedelta(hours=1)), 'team'),
        (session('x', tenant.teams['B'] + 1000, -timedelta(hours=1)), 'team'),
    ):
        answer = await client.post(
            tenant.url('/sessions'), json={'sessions': [session('ok', team, -timedelta(hours=2)), bad]}, headers=headers
        )
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()['detail'][0]['loc'][:3] == ['body', 'sessions', 1], answer.text
        assert loc in answer.json()['detail'][0]['loc'] or loc in str(answer.json()), answer.text
    too_much = await client.post(
        tenant.url('/sessions'),
        json={'sessions': [session('a', team, -timedelta(hours=2)), session('b', team, -timedelta(hours=1),
                                                                            user='leo@x.fr')]},
        headers=headers,
    )  # fmt: skip
    assert too_much.status_code == 409
    assert too_much.json()['id'] == 'b'
    assert await snapshot() == before
    first = await client.post(tenant.url('/sessions'), json={'sessions': [session('a', team, -timedelta(hours=2))]},
                              headers=headers)  # fmt: skip
    assert first.status_code == 200
    other_body = await client.post(
        tenant.url('/sessions'), json={'sessions': [session('a', team, -timedelta(hours=2), 45)]}, headers=headers
    )
    assert other_body.status_code == 409


async def entitled(client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str], **query: Any) -> Any:
    answer = await client.get(tenant.url('/entitlement'), params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_entitlement_check_gives_the_first_reason_that_applies(client: httpx.AsyncClient, db: str) -> None:
    await product(client, 'cad', 7)
    await product(client, 'gis', 60)
    tenant = await tenant_with_tokens(client, tokens='50')
    team = tenant.teams['A']
    check = await key(client, tenant, 'entitlements:read')
    controls = await key(client, tenant, 'controls:write')
    ask = {'user': 'ana@x.fr', 'team': team}
    before = await snapshot()
    ok = await entitled(client, tenant, check, product='cad', **ask)
    assert ok == {'allowed': True, 'reason': 'ok', 'daily_rate': '7', 'available': '50', 'window_ends_at': None}
    assert (await entitled(client, tenant, check, product='nothing', **ask))['reason'] == 'unknown_product'
    assert (await entitled(client, tenant, check, product='nothing', **ask))['daily_rate'] is None
    assert (await entitled(client, tenant, check, product='gis', **ask))['reason'] == 'insufficient_balance'
    after = await snapshot()
    assert {t: r for t, r in after.items() if t != 'refusal'} == {t: r for t, r in before.items() if t != 'refusal'}
    listed = await client.put(tenant.url(f'/teams/{team}/products'), json={'allowed': ['gis']}, headers=controls)
    assert listed.json() == {'team': team, 'allowed': ['gis']}
    assert (await entitled(client, tenant, check, product='cad', **ask))['reason'] == 'product_not_allowed'
    await client.put(tenant.url(f'/teams/{team}/products'), json={'allowed': None}, headers=controls)
    cap = await client.post(
        tenant.url('/caps'), json={'user': 'ana@x.fr', 'period': 'day', 'limit': 5,
                                   'stages': [{'at_percent': 100, 'action': 'deny'}]}, headers=controls,
    )  # fmt: skip
    assert cap.status_code == 201, cap.text
    today = {**session('s', team, timedelta()), 'started_at': utcnow().isoformat()}  # today, whatever the hour
    used = await client.post(tenant.url('/sessions'), json={'sessions': [today]}, headers=tenant.keys['usage:write'])
    assert used.status_code == 200
    # ana has a window open now: allowed, whatever her cap says
    opened = await entitled(client, tenant, check, product='cad', **ask)
    assert (opened['allowed'], opened['reason'], opened['available']) == (True, 'window_open', '43')
    assert opened['window_ends_at'] is not None
    capped = await entitled(client, tenant, check, product='gis', user='ana@x.fr', team=team)
    assert (capped['allowed'], capped['reason']) == (False, 'cap_reached')  # 7 of 5 used today
    caps = (await client.get(tenant.url('/caps'), headers=tenant.keys['balances:read'])).json()['caps']
    assert (caps[0]['used'], caps[0]['stage']) == ('7', 100)
    assert (await client.delete(tenant.url(f'/caps/{caps[0]["id"]}'), headers=controls)).status_code == 204
    assert (await entitled(client, tenant, check, product='gis', **ask))['reason'] == 'insufficient_balance'
    refusals = (await client.get(tenant.url('/refusals'), headers=tenant.keys['balances:read'])).json()['refusals']
    counted = {(r['product'], r['reason']): r['count'] for r in refusals}
    assert counted == {
        ('nothing', 'unknown_product'): 2,
        ('gis', 'insufficient_balance'): 2,
        ('cad', 'product_not_allowed'): 1,
        ('gis', 'cap_reached'): 1,
    }
    assert {(r['team'], r['user']) for r in refusals} == {(team, 'ana@x.fr')}


async def test_who_may_check_and_control(client: httpx.AsyncClient, db: str) -> None:
    await product(client, 'cad', 7)
    tenant = await tenant_with_tokens(client)
    other = await tenant_with_tokens(client)
    team = tenant.teams['A']
    query: dict[str, str | int] = {'user': 'u', 'product': 'cad', 'team': team}
    reader = tenant.keys['balances:read']
    assert (await client.get(tenant.url('/entitlement'), params=query, headers=reader)).status_code == 200
    for headers, status in ((tenant.keys['usage:write'], 403), ({}, 401), (other.all_scopes, 404)):
        assert (await client.get(tenant.url('/entitlement'), params=query, headers=headers)).status_code == status
    assert (await client.get(tenant.url('/entitlement'), params={**query, 'team': other.teams['A']},
                             headers=reader)).status_code == 422  # fmt: skip
    assert (await client.get(tenant.url('/entitlement'), params={'user': 'u', 'product': 'cad'},
                             headers=reader)).status_code == 422  # a Flex check names its team  # fmt: skip
    body = {'period': 'month', 'limit': 10}
    assert (await client.post(tenant.url('/caps'), json=body, headers=reader)).status_code == 403
    made = await client.post(tenant.url('/caps'), json=body, headers=OPERATOR)
    assert made.status_code == 201
    assert (await client.delete(other.url(f'/caps/{made.json()["id"]}'), headers=OPERATOR)).status_code == 404
    assert (await client.delete(tenant.url('/caps/nope'), headers=OPERATOR)).status_code == 404
    assert (await client.get(other.url(f'/teams/{team}/products'), headers=OPERATOR)).status_code == 404
    cloud = await tenant_with_tokens(client, 'BR')
    answer = await client.put(cloud.url(f'/teams/{cloud.teams["A"]}/products'), json={'allowed': None},
                              headers=OPERATOR)  # fmt: skip
    assert answer.status_code == 409


async def test_bad_controls_are_refused_naming_the_field(client: httpx.AsyncClient, db: str) -> None:
    await product(client, 'cad', 7)
    tenant = await tenant_with_tokens(client)
    other = await tenant_with_tokens(client)
    before = await snapshot()
    for body, field in (
        ({'period': 'week', 'limit': 10}, 'period'),
        ({'period': 'day', 'limit': 0}, 'limit'),
        ({'period': 'day', 'limit': 10, 'stages': []}, 'stages'),
        ({'period': 'day', 'limit': 10, 'stages': [{'at_percent': 0, 'action': 'notify'}]}, 'stages'),
        ({'period': 'day', 'limit': 10, 'stages': [{'at_percent': 201, 'action': 'notify'}]}, 'stages'),
        ({'period': 'day', 'limit': 10, 'stages': [{'at_percent': 50, 'action': 'shout'}]}, 'stages'),
        ({'period': 'day', 'limit': 10, 'stages': [{'at_percent': 90, 'action': 'notify'},
                                                  {'at_percent': 50, 'action': 'notify'}]}, 'stages'),
        ({'period': 'day', 'limit': 10, 'stages': [{'at_percent': 50, 'action': 'deny'},
                                                  {'at_percent': 80, 'action': 'notify'}]}, 'stages'),
        ({'period': 'day', 'limit': 10, 'product': 'nothing'}, 'product'),
        ({'period': 'day', 'limit': 10, 'team': other.teams['A']}, 'team'),
    ):  # fmt: skip
        answer = await client.post(tenant.url('/caps'), json=body, headers=OPERATOR)
        assert answer.status_code == 422, (body, answer.text)
        assert field in str(answer.json()['detail'][0]['loc']), answer.text
    answer = await client.put(tenant.url(f'/teams/{tenant.teams["A"]}/products'), json={'allowed': ['cad', 'none']},
                              headers=OPERATOR)  # fmt: skip
    assert answer.status_code == 422
    assert await snapshot() == before
