"""Alert rules and the alert history through the API: the spec's fields, raw JSON refusals, other tenants"""

import httpx
import pytest

from tests.api.conftest import OPERATOR, Tenant, bearer, provision
from tests.helpers import snapshot


async def alerts_key(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    made = await client.post(tenant.url('/api-keys'), json={'scopes': ['alerts:write']}, headers=OPERATOR)
    assert made.status_code == 201, made.text
    return bearer(made.json()['key'])


async def test_the_seeds_rule_is_there_from_the_start(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    await client.post(tenant.url('/admins'), json={'email': 'chef@example.com', 'password': 'p' * 12}, headers=OPERATOR)
    answer = await client.get(tenant.url('/alert-rules'), headers=await alerts_key(client, tenant))
    assert answer.status_code == 200, answer.text
    (rule,) = answer.json()['rules']
    assert (rule['kind'], rule['threshold'], rule['team'], rule['webhook_url']) == (
        'expiring_within_days',
        90,
        None,
        None,
    )
    assert rule['emails'] == ['chef@example.com']
    assert 'webhook_secret' not in rule or rule['webhook_secret'] is None


async def test_create_list_and_delete_a_rule(client: httpx.AsyncClient) -> None:
    client._transport.app.state.webhook_allow_private = True  # type: ignore[attr-defined]
    tenant = await provision(client)
    key = await alerts_key(client, tenant)
    team = tenant.teams['A']
    body = (
        f'{{"kind": "available_below_percent", "threshold": 12.5, "team": {team}, '
        '"emails": ["Ops@Example.com"], "webhook_url": "http://127.0.0.1:9/hook"}'
    )
    created = await client.post(
        tenant.url('/alert-rules'), content=body, headers={**key, 'Content-Type': 'application/json'}
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule['threshold'] == '12.5'
    assert rule['team'] == tenant.teams['A']
    assert rule['emails'] == ['ops@example.com']
    assert rule['webhook_secret'].startswith('whsec_')
    listed = (await client.get(tenant.url('/alert-rules'), headers=key)).json()['rules']
    assert [r['id'] for r in listed][1:] == [rule['id']]
    assert all('webhook_secret' not in r or r['webhook_secret'] is None for r in listed)  # shown once only
    assert (await client.delete(tenant.url(f'/alert-rules/{rule["id"]}'), headers=key)).status_code == 204
    assert (await client.delete(tenant.url(f'/alert-rules/{rule["id"]}'), headers=key)).status_code == 404
    assert (await client.delete(tenant.url('/alert-rules/x'), headers=key)).status_code == 404
    assert (await client.delete(tenant.url('/alert-rules/99999999999'), headers=key)).status_code == 404


async def test_a_rule_that_already_holds_fires_at_once_and_shows_in_the_history(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    await client.post(
        tenant.url('/purchases'), json={'id': 'p', 'team': tenant.teams['A'], 'quantity': '3'}, headers=OPERATOR
    )
    rule = await client.post(
        tenant.url('/alert-rules'),
        json={'kind': 'available_below', 'threshold': '5', 'team': tenant.teams['A'], 'emails': ['a@example.com']},
        headers=OPERATOR,
    )
    assert rule.status_code == 201, rule.text
    history = await client.get(tenant.url('/alerts'), headers=tenant.keys['balances:read'])
    assert history.status_code == 200, history.text
    (alert,) = history.json()['alerts']
    assert set(alert) == {'id', 'rule', 'cap', 'team', 'state', 'at', 'message', 'deliveries'}
    assert (alert['rule'], alert['team'], alert['state']) == (rule.json()['id'], tenant.teams['A'], 'firing')
    assert alert['deliveries'] == [{'channel': 'email', 'target': 'a@example.com', 'status': 'pending', 'attempts': 0}]
    assert 'A: tokens available under 5' in alert['message']
    empty = await client.get(tenant.url('/alerts?from=2020-01-01&to=2020-01-31'), headers=OPERATOR)
    assert empty.json() == {'alerts': []}


BAD = [
    ('{"kind": "available_below_ratio", "threshold": 1}', 'kind'),
    ('{"kind": "available_below_percent", "threshold": 0}', 'threshold'),
    ('{"kind": "available_below_percent", "threshold": 100.5}', 'threshold'),
    ('{"kind": "available_below_percent", "threshold": 1e999999}', 'threshold'),
    ('{"kind": "available_below", "threshold": "-3"}', 'threshold'),
    ('{"kind": "available_below", "threshold": true}', 'threshold'),
    ('{"kind": "expiring_within_days", "threshold": 3651}', 'threshold'),
    ('{"kind": "expiring_within_days", "threshold": 2.5}', 'threshold'),
    ('{"kind": "runs_out_within_days"}', 'threshold'),
    ('{"kind": "available_below", "threshold": 1, "emails": ["nobody"]}', 'emails'),
    ('{"kind": "available_below", "threshold": 1, "emails": "a@example.com"}', 'emails'),
    ('{"kind": "available_below", "threshold": 1, "webhook_url": "ftp://example.com/x"}', 'webhook_url'),
    ('{"kind": "available_below", "threshold": 1, "webhook_url": "http://127.0.0.1/x"}', 'webhook_url'),
    ('{"kind": "available_below", "threshold": 1, "webhook_url": "http://localhost:8080/x"}', 'webhook_url'),
    ('{"kind": "available_below", "threshold": 1, "webhook_url": "http://[::1]/x"}', 'webhook_url'),
    ('{"kind": "available_below", "threshold": 1, "webhook_url": "http://10.1.2.3/x"}', 'webhook_url'),
    ('{"kind": "available_below", "threshold": 1, "team": "1"}', 'team'),
    ('{"kind": "available_below", "threshold": 1, "colour": "red"}', 'colour'),
]


@pytest.mark.parametrize(('body', 'field'), BAD, ids=[field for _, field in BAD])
async def test_invalid_rules_are_refused_naming_the_field(client: httpx.AsyncClient, body: str, field: str) -> None:
    client._transport.app.state.webhook_allow_private = False  # type: ignore[attr-defined]
    tenant = await provision(client)
    before = await snapshot()
    answer = await client.post(
        tenant.url('/alert-rules'), content=body.encode(), headers={**OPERATOR, 'Content-Type': 'application/json'}
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.json()['detail'][0]['loc']
    assert await snapshot() == before


async def test_another_tenants_team_and_rules(client: httpx.AsyncClient) -> None:
    tenant, other = await provision(client), await provision(client)
    foreign_team = {'kind': 'available_below', 'threshold': 1, 'team': other.teams['A']}
    refused = await client.post(tenant.url('/alert-rules'), json=foreign_team, headers=OPERATOR)
    assert refused.status_code == 422
    assert refused.json()['detail'][0]['loc'] == ['body', 'team']
    theirs = (await client.get(other.url('/alert-rules'), headers=OPERATOR)).json()['rules'][0]['id']
    assert (await client.delete(tenant.url(f'/alert-rules/{theirs}'), headers=OPERATOR)).status_code == 404
    mine = await alerts_key(client, tenant)
    assert (await client.get(other.url('/alert-rules'), headers=mine)).status_code == 404
    assert (await client.get(other.url('/alerts'), headers=tenant.keys['balances:read'])).status_code == 404
    assert (await client.get(tenant.url('/alert-rules'), headers=tenant.keys['balances:read'])).status_code == 403
