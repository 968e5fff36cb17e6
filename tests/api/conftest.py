"""An httpx client on the API mounted on a bare FastAPI app, over the lane's database"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import api
from services.infrastructure.clock import utcnow

OPERATOR_KEY = 'operator-test-key-0123456789'
OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


@pytest.fixture
async def client(db: str) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    api.install(app, OPERATOR_KEY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://balances') as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {key}'}


@dataclass
class Tenant:
    """A contract provisioned through the API, with a key of every scope."""

    id: int
    teams: dict[str, int]
    keys: dict[str, dict[str, str]]  # scope -> headers
    all_scopes: dict[str, str]

    def url(self, path: str = '') -> str:
        return f'/api/v1/contracts/{self.id}{path}'


async def provision(
    client: httpx.AsyncClient, region: str = 'FR', teams: tuple[str, ...] = ('A', 'B'), **purchase: Any
) -> Tenant:
    response = await client.post(
        '/api/v1/contracts', json={'name': f'Contract {region}', 'region': region}, headers=OPERATOR
    )
    assert response.status_code == 201, response.text
    contract = response.json()['id']
    ids = {}
    for name in teams:
        team = await client.post(f'/api/v1/contracts/{contract}/teams', json={'name': name}, headers=OPERATOR)
        ids[name] = team.json()['id']
    keys = {}
    for scope in ('usage:write', 'balances:read', 'transfers:write', 'alerts:write'):
        made = await client.post(f'/api/v1/contracts/{contract}/api-keys', json={'scopes': [scope]}, headers=OPERATOR)
        keys[scope] = bearer(made.json()['key'])
    every = await client.post(
        f'/api/v1/contracts/{contract}/api-keys',
        json={'scopes': ['usage:write', 'balances:read', 'transfers:write', 'alerts:write']},
        headers=OPERATOR,
    )
    return Tenant(contract, ids, keys, bearer(every.json()['key']))


def event(event_id: str, quantity: object = '1', team: int | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        'id': event_id,
        'user': 'ana@example.com',
        'product': 'cad',
        'quantity': quantity,
        'occurred_at': (utcnow() - timedelta(hours=1)).isoformat(),
        **fields,
    }
    if team is not None:
        body['team'] = team
    return body
