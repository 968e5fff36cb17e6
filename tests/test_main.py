"""``main.py`` as a real process: the start-up contract of ../shared/spec/API.md"""

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from scripts.cluster import free_port
from tests.conftest import empty_schema

ROOT = Path(__file__).resolve().parent.parent
READY_WITHIN = 15.0


def process_env(**overrides: str) -> dict[str, str]:
    """The environment of a real app process: without pytest's marker, which NiceGUI reads as a screen test."""
    env = {key: value for key, value in os.environ.items() if key != 'PYTEST_CURRENT_TEST'}
    return {**env, **overrides}


@dataclass
class Server:
    url: str
    lines: list[str]  # what it printed until it served
    process: subprocess.Popen[str]


def _drain(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())


@contextmanager
def running(env: dict[str, str], cwd: Path) -> Iterator[Server]:
    """Start ``main.py``; yield it once it answers, with the lines it printed by then."""
    port = free_port()
    full_env = process_env(**{'BALANCES_PORT': str(port), 'BALANCES_DEMO_FEED': '0', **env})
    process = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py')],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        started = time.monotonic()
        while time.monotonic() - started < READY_WITHIN:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line.rstrip())
            if 'Balances is serving on' in line:
                break
        url = f'http://127.0.0.1:{port}'
        assert any(url in line for line in lines), f'not serving within {READY_WITHIN} s: {lines}'
        assert httpx.get(f'{url}/api/v1/health').json() == {'status': 'ok'}
        assert time.monotonic() - started < READY_WITHIN
        # keep reading what it prints, or a full pipe would block it
        threading.Thread(target=_drain, args=(process, lines), daemon=True).start()
        yield Server(url, lines, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_start_on_sqlite_prints_the_url_and_the_login(tmp_path: Path) -> None:
    env = {'BALANCES_DB_URL': f'sqlite://{tmp_path}/demo.sqlite3', 'BALANCES_DEMO': '1'}
    with running(env, tmp_path) as server:
        url, out = server.url, server.lines
        login = next(line for line in out if 'Sign in as' in line)
        assert re.search(r'Sign in as \S+@\S+ with the password \S{12,}', login)
        page = httpx.get(f'{url}/login')
        assert page.status_code == 200
        assert 'Balances' in page.text
        assert (tmp_path / 'data' / 'storage_secret').exists()  # generated once, in the data folder


OPERATOR_KEY = 'real-process-operator-key'


def empty_app(db_url: str) -> dict[str, str]:
    """The environment of an app on ``db_url`` (``sqlite://…`` or ``postgres://…``), no demo, the operator key set."""
    return {'BALANCES_DB_URL': db_url, 'BALANCES_DEMO': '0', 'BALANCES_OPERATOR_KEY': OPERATOR_KEY}


def provision_and_use(url: str) -> None:
    """Over real HTTP: a contract, a team, a purchase, a usage key, a batch of usage, and the balance it leaves."""
    with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}) as operator:
        contract = operator.post('/contracts', json={'name': 'Real', 'region': 'FR', 'timezone': 'Europe/Paris'})
        assert contract.status_code == 201, contract.text
        base = f'/contracts/{contract.json()["id"]}'
        team = operator.post(f'{base}/teams', json={'name': 'Structure'}).json()['id']
        assert operator.post(f'{base}/purchases', json={'id': 'p', 'team': team, 'quantity': '10'}).status_code == 201
        key = operator.post(f'{base}/api-keys', json={'scopes': ['usage:write', 'balances:read']}).json()['key']
    now = datetime.now(UTC).isoformat()
    events = [
        {
            'id': f'e{i}',
            'team': team,
            'user': 'ana@example.com',
            'product': 'cad',
            'quantity': '0.75',
            'occurred_at': now,
        }
        for i in range(4)
    ]
    with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {key}'}) as feed:
        assert feed.post(f'{base}/usage', json={'events': events}).json() == {'accepted': 4, 'duplicates': 0}
        balance = feed.get(f'{base}/balances').json()['balances'][0]
        assert (balance['available'], balance['used'], balance['health']) == ('7', '3', 'green')
        assert feed.get(f'{base}/usage.csv').text == 'key,quantity\ncad,3\n'
        assert feed.get('/contracts').json()['contracts'][0]['name'] == 'Real'


def test_empty_start_on_sqlite_serves_the_api_over_real_http(tmp_path: Path) -> None:
    env = empty_app(f'sqlite://{tmp_path}/api.sqlite3')
    with running(env, tmp_path) as server:
        url = server.url
        assert not any('Sign in as' in line for line in server.lines)
        provision_and_use(url)
        assert httpx.get(f'{url}/openapi.json').json()['paths'].keys() >= {
            '/api/v1/contracts/{contract_id}/usage',
            '/api/v1/contracts/{contract_id}/usage.csv',
        }


def test_empty_start_on_postgres_migrates_and_serves_the_api(tmp_path: Path, postgres_url: str) -> None:
    env = empty_app(postgres_url)
    with running(env, tmp_path) as server:
        assert not any('Sign in as' in line for line in server.lines)
        provision_and_use(server.url)


def test_bad_configuration_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / 'main.py')],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=process_env(BALANCES_PORT='eighty'),
        timeout=30,
    )
    assert result.returncode != 0
    assert 'BALANCES_PORT' in result.stderr


@pytest.fixture(autouse=True)
def _clean_database_between_lanes(request: pytest.FixtureRequest) -> None:
    """The PostgreSQL test shares the session's cluster: start it from an empty public schema."""
    if 'postgres_url' in request.fixturenames:
        empty_schema(request.getfixturevalue('postgres_url'))
