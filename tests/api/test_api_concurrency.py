"""50 concurrent POST /usage racing for the last tokens: exactly the right number accepted, never below 0"""

import asyncio

import httpx

from tests.api.conftest import OPERATOR, event, provision


async def test_50_concurrent_requests_for_the_last_tokens(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    a = tenant.teams['A']
    await client.post(tenant.url('/purchases'), json={'id': 'p', 'team': a, 'quantity': '17.5'}, headers=OPERATOR)

    async def post(n: int) -> int:
        response = await client.post(
            tenant.url('/usage'), json={'events': [event(f'race-{n}', '1.25', a)]}, headers=tenant.keys['usage:write']
        )
        return response.status_code

    statuses = await asyncio.gather(*(post(n) for n in range(50)))
    assert sorted(set(statuses)) == [200, 409]
    assert statuses.count(200) == 14
    balance = (await client.get(tenant.url('/balances'), headers=OPERATOR)).json()['balances'][0]
    assert (balance['available'], balance['used']) == ('0', '17.5')
