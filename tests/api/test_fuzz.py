"""A fuzz pass over every route: whatever the body or the query, never a 5xx

Bodies (raw JSON text, NaN and Infinity included) are valid requests with one field replaced by arbitrary
JSON, or arbitrary JSON altogether; queries are arbitrary values of the documented parameters. Run on SQLite
(the PostgreSQL lane runs the same code paths).
"""

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import OPERATOR, event, provision

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
POSTS: dict[str, dict[str, Any]] = {
    '/teams': {'name': 'T'},
    '/admins': {'email': 'f@example.com', 'password': 'p' * 12},
    '/api-keys': {'scopes': ['balances:read']},
    '/purchases': {'id': 'p', 'team': 1, 'quantity': '1'},
    '/usage': {'events': [event('e', '1', 1)]},
    '/transfers/preview': {'id': 't', 'from_team': 1, 'to_team': 2, 'quantity': '1'},
    '/transfers': {'id': 't', 'from_team': 1, 'to_team': 2, 'quantity': '1'},
}
GETS = ['/balances', '/events', '/usage', '/usage.csv']


def mutated(body: dict[str, Any], data: st.DataObject) -> Any:
    if data.draw(st.booleans()):
        return data.draw(json_values)
    field = data.draw(st.sampled_from(sorted(body)))
    changed = {**body, field: data.draw(json_values)}
    if field == 'events':
        return changed
    if 'events' in body and data.draw(st.booleans()):
        inner = data.draw(st.sampled_from(sorted(body['events'][0])))
        return {'events': [{**body['events'][0], inner: data.draw(json_values)}]}
    return changed


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize('db_url', ['sqlite://:memory:'])
@FUZZ
@given(data=st.data())
async def test_posts_never_fail_with_5xx(client: httpx.AsyncClient, data: st.DataObject) -> None:
    tenant = await provision(client)
    path = data.draw(st.sampled_from(sorted(POSTS)))
    body = mutated(POSTS[path], data)
    # raw text, so that NaN and Infinity reach the server as the literals a careless client would send
    content = json.dumps(body)
    response = await client.post(
        tenant.url(path), content=content, headers={**OPERATOR, 'content-type': 'application/json'}
    )
    assert response.status_code < 500, (path, body, response.text)


@pytest.mark.parametrize('db_url', ['sqlite://:memory:'])
@FUZZ
@given(data=st.data())
async def test_gets_never_fail_with_5xx(client: httpx.AsyncClient, data: st.DataObject) -> None:
    tenant = await provision(client)
    path = data.draw(st.sampled_from(GETS))
    names = data.draw(st.sets(st.sampled_from(['from', 'to', 'by', 'team'])))
    params = {name: data.draw(st.text(max_size=12) | st.integers().map(str) | st.dates().map(str)) for name in names}
    response = await client.get(tenant.url(path), params=params, headers=OPERATOR)
    assert response.status_code < 500, (path, params, response.text)
