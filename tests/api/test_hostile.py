"""Hostile input against a real server: raw bytes and JSON text as an attacker writes them, not Python values

Each request must be refused with a 4xx that names the problem, quickly, while ``/api/v1/health`` keeps answering;
and the database must be the same before and after. On both databases.
"""

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.infrastructure.database import close_database, open_database
from tests.conftest import empty_schema
from tests.helpers import snapshot
from tests.test_main import OPERATOR_KEY, empty_app, running

NOW = datetime.now(UTC).isoformat()


@dataclass
class Target:
    url: str
    db_url: str
    contract: int
    team: int
    usage_key: str
    read_key: str
    other_key: str


def _provision(url: str) -> tuple[int, int, str, str, str]:
    with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}) as operator:
        contract = operator.post('/contracts', json={'name': 'Target', 'region': 'FR'}).json()['id']
        team = operator.post(f'/contracts/{contract}/teams', json={'name': 'A'}).json()['id']
        operator.post(f'/contracts/{contract}/purchases', json={'id': 'p', 'team': team, 'quantity': '100'})
        keys = [
            operator.post(f'/contracts/{contract}/api-keys', json={'scopes': [scope]}).json()['key']
            for scope in ('usage:write', 'balances:read')
        ]
        other = operator.post('/contracts', json={'name': 'Other', 'region': 'FR'}).json()['id']
        other_key = operator.post(f'/contracts/{other}/api-keys', json={'scopes': ['usage:write']}).json()['key']
    return contract, team, keys[0], keys[1], other_key


@pytest.fixture(scope='module', params=['sqlite', 'postgres'])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp('hostile')
    if request.param == 'sqlite':
        db_url = f'sqlite://{folder}/hostile.sqlite3'
    else:
        db_url = request.getfixturevalue('postgres_url')
        empty_schema(db_url)
    env = empty_app(db_url)
    with running(env, folder) as server:
        target = Target(server.url, db_url, *_provision(server.url))
        evaluated(target)
        yield target


def evaluated(target: Target) -> None:
    """Until the alert evaluator has recorded what it saw of the provisioned team (the seed's rule on every
    contract), on its own schedule after the purchase: no test's before / after comparison then catches it."""
    deadline = time.monotonic() + 15
    while not database_rows(target)['alert_state']:
        assert time.monotonic() < deadline, 'the alert evaluator never recorded the purchase'
        time.sleep(0.05)


class Heartbeat:
    """``/health`` asked every 20 ms from another thread; the slowest answer is kept."""

    def __init__(self, url: str) -> None:
        self.url, self.slowest, self.stop = url, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                started = time.monotonic()
                client.get(f'{self.url}/api/v1/health', timeout=30)
                self.slowest = max(self.slowest, time.monotonic() - started)
                time.sleep(0.02)

    def __enter__(self) -> 'Heartbeat':
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


def event_json(quantity: str = '1', **fields: str) -> bytes:
    """One usage event as JSON text, the quantity written raw (a number may be any JSON number)."""
    parts = {'id': '"e1"', 'team': '{team}', 'user': '"ana"', 'product': '"cad"', 'occurred_at': f'"{NOW}"'}
    parts.update(fields)
    body = ', '.join(f'"{k}": {v}' for k, v in parts.items())
    return ('{"events": [{' + body + f', "quantity": {quantity}' + '}]}').encode()


USAGE_BODIES: list[tuple[str, bytes, str]] = [
    ('an exponent of a million', event_json('1e999990'), 'quantity'),
    ('an exponent of a billion', event_json('1e999999999'), 'quantity'),
    ('a negative exponent of a million', event_json('1e-999990'), 'quantity'),
    ('a 4,000-digit integer', event_json('1' * 4000), 'quantity'),
    ('Arabic-Indic digits', event_json('"١٢"'), 'quantity'),
    ('full-width digits', event_json('"１２"'), 'quantity'),
    ('a trailing newline', event_json('"12\\n"'), 'quantity'),
    ('NaN', event_json('NaN'), 'quantity'),
    ('a NUL in the user', event_json(user='"an\\u0000a"'), 'user'),
    ('a control character in the product', event_json(product='"c\\u001fad"'), 'product'),
    ('a bell in the id', event_json(id='"e\\u0007"'), 'id'),
    ('a 10 KB user', event_json(user='"' + 'u' * 10_000 + '"'), 'user'),
    ('the year 1', event_json(occurred_at='"0001-01-01T00:00:00+01:00"'), 'occurred_at'),
    ('a team id of 2^63', event_json(team=str(2**63)), 'team'),
]


@pytest.mark.parametrize(('what', 'body', 'field'), USAGE_BODIES, ids=[case[0] for case in USAGE_BODIES])
def test_a_hostile_usage_event_is_a_422_naming_its_field(target: Target, what: str, body: bytes, field: str) -> None:
    refused(target, 'POST', f'/contracts/{target.contract}/usage', body.replace(b'{team}', str(target.team).encode()),
            422, field, key=target.usage_key)  # fmt: skip


RAW_BODIES: list[tuple[str, bytes, int]] = [
    ('bytes that are not UTF-8', b'\xff\xfe{"events": []}', 422),
    ('a body nested 100,000 deep', b'[' * 100_000 + b']' * 100_000, 422),
    ('text that is not JSON', b'{"events": [', 422),
    ('a body over 1 MB', b'{"events": [' + b'1,' * 600_000 + b'1]}', 413),
]


@pytest.mark.parametrize(('what', 'body', 'status'), RAW_BODIES, ids=[case[0] for case in RAW_BODIES])
def test_a_body_no_parser_should_follow_is_refused(target: Target, what: str, body: bytes, status: int) -> None:
    refused(target, 'POST', f'/contracts/{target.contract}/usage', body, status, None, key=target.usage_key)


def test_a_key_without_the_right_is_refused_before_its_body_is_read(target: Target) -> None:
    body = event_json('1e999999999').replace(b'{team}', str(target.team).encode())
    refused(target, 'POST', f'/contracts/{target.contract}/usage', body, 403, None, key=target.read_key)
    refused(target, 'POST', f'/contracts/{target.contract}/usage', body, 404, None, key=target.other_key)
    refused(target, 'POST', f'/contracts/{target.contract}/usage', body, 401, None, key='bal_nothing_here')


@pytest.mark.parametrize(
    'path',
    ['/contracts/2147483648/balances', f'/contracts/{2**63}/balances', '/contracts/x/balances', '/contracts/-1/usage',
     '/contracts/1e3/events', '/contracts/%00/balances', '/contracts/٣/balances'],
)  # fmt: skip
def test_an_id_no_contract_could_have_is_a_404(target: Target, path: str) -> None:
    refused(target, 'GET', path, None, 404, None, key=OPERATOR_KEY)


@pytest.mark.parametrize(
    ('query', 'field'),
    [('to=0001-01-01', 'to'), ('to=0', 'to'), ('from=9999-12-31&to=9999-12-31', 'to'), ('to=2026-02-30', 'to'),
     ('from=2026-01-01&to=2025-01-01', 'from'), ('from=2024-01-01&to=2026-01-01', 'to'), ('team=abc', 'team')],
)  # fmt: skip
def test_edge_dates_and_queries_are_422s(target: Target, query: str, field: str) -> None:
    for route in ('usage', 'usage.csv', 'events'):
        refused(target, 'GET', f'/contracts/{target.contract}/{route}?{query}', None, 422, field, key=target.read_key)


@pytest.mark.parametrize(
    ('route', 'body', 'field'),
    [('/teams', '{"name": "A\\u0000B"}', 'name'), ('/teams', '{"name": "' + 'n' * 10_000 + '"}', 'name'),
     ('/admins', '{"email": "a\\u0000@b.c", "password": "a long password!"}', 'email'),
     ('/purchases', '{"id": "p\\u0000", "team": {team}, "quantity": 1}', 'id'),
     ('/purchases', '{"id": "p2", "team": {team}, "quantity": 1e999999999}', 'quantity'),
     ('/transfers/preview', '{"id": "t", "from_team": {team}, "to_team": {team}, "quantity": 1e999999999}',
      'quantity')],
)  # fmt: skip
def test_operator_bodies_with_control_characters_and_edge_numbers(
    target: Target, route: str, body: str, field: str
) -> None:
    raw = body.replace('{team}', str(target.team)).encode()
    refused(target, 'POST', f'/contracts/{target.contract}{route}', raw, 422, field, key=OPERATOR_KEY)


def test_right_to_left_text_within_limits_is_accepted(target: Target) -> None:
    body = event_json(id='"rtl-1"', user='"مستخدم\\u202e@example.com"', product='"מוצר"')
    with httpx.Client(base_url=f'{target.url}/api/v1') as client:
        response = client.post(
            f'/contracts/{target.contract}/usage',
            content=body.replace(b'{team}', str(target.team).encode()),
            headers={'Authorization': f'Bearer {target.usage_key}', 'Content-Type': 'application/json'},
        )
    assert response.json() == {'accepted': 1, 'duplicates': 0}


def refused(
    target: Target, method: str, path: str, body: bytes | None, status: int, field: str | None, *, key: str
) -> None:
    """Send raw bytes; expect ``status`` naming ``field``, a quick answer, a live server and an unchanged database."""
    before = database_rows(target)
    headers = {'Authorization': f'Bearer {key}', 'Content-Type': 'application/json'}
    with Heartbeat(target.url) as heart, httpx.Client(base_url=f'{target.url}/api/v1', timeout=60) as client:
        started = time.monotonic()
        response = client.request(method, path, content=body, headers=headers)
        took = time.monotonic() - started
    assert response.status_code == status, response.text[:500]
    assert response.headers['content-type'].startswith('application/json')
    if field is not None:
        assert any(field in problem['loc'] for problem in response.json()['detail']), response.text[:500]
    assert took < 2, f'{took:.1f} s to refuse'  # the 1e999990 body took 24 s
    assert heart.slowest < 1, f'/health waited {heart.slowest:.1f} s meanwhile'
    assert database_rows(target) == before


def database_rows(target: Target) -> Any:
    async def read() -> Any:
        await open_database(target.db_url, apply_migrations=False)
        try:
            return await snapshot()
        finally:
            await close_database()

    return asyncio.run(read())
