"""Two real app processes on one PostgreSQL: live updates cross processes, and survive a dropped connection

A page open on process B, in Chromium, sees a ``POST /usage`` made to process A within 1 s. After PostgreSQL
terminates the LISTEN connections (``pg_terminate_backend``), both reconnect and updates flow again.
"""

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from services.infrastructure.bus import APPLICATION_NAME
from tests.browser.driver import cards_showing, chromium, sign_in, wait_for
from tests.test_main import OPERATOR_KEY, Server, running

EMAIL, PASSWORD = 'ops@example.com', 'a long enough password'


def reset_schema(url: str) -> None:
    async def reset() -> None:
        connection = await asyncpg.connect(url)
        await connection.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
        await connection.close()

    asyncio.run(reset())


def listeners(url: str) -> set[int]:
    """The server processes of the connections that listen for the ledger's changes now."""

    async def find() -> set[int]:
        connection = await asyncpg.connect(url)
        rows = await connection.fetch('SELECT pid FROM pg_stat_activity WHERE application_name = $1', APPLICATION_NAME)
        await connection.close()
        return {row['pid'] for row in rows}

    return asyncio.run(find())


def terminate_listeners(url: str) -> set[int]:
    """Drop every listening connection; the server processes that served them."""

    async def terminate() -> set[int]:
        connection = await asyncpg.connect(url)
        rows = await connection.fetch(
            'SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
            APPLICATION_NAME,
        )
        await connection.close()
        return {row['pid'] for row in rows}

    return asyncio.run(terminate())


@pytest.fixture
def two_processes(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Server, Server, str]]:
    reset_schema(postgres_url)
    env = {
        'BALANCES_DB_URL': postgres_url,
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_STORAGE_SECRET': 'shared by the processes',
    }
    (tmp_path / 'a').mkdir()
    (tmp_path / 'b').mkdir()
    with ExitStack() as stack:
        a = stack.enter_context(running(env, tmp_path / 'a'))
        b = stack.enter_context(running(env, tmp_path / 'b'))
        yield a, b, postgres_url


def provision(a: Server) -> tuple[int, int]:
    with httpx.Client(base_url=f'{a.url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}) as client:
        contract = client.post('/contracts', json={'name': 'Shared', 'region': 'FR'}).json()['id']
        team = client.post(f'/contracts/{contract}/teams', json={'name': 'Structure'}).json()['id']
        client.post(f'/contracts/{contract}/purchases', json={'id': 'p', 'team': team, 'quantity': 1000})
        client.post(f'/contracts/{contract}/admins', json={'email': EMAIL, 'password': PASSWORD})
    return contract, team


def use(a: Server, contract: int, team: int, event_id: str, quantity: str = '1') -> None:
    event = {
        'id': event_id,
        'team': team,
        'user': 'u@example.com',
        'product': 'cad',
        'quantity': quantity,
        'occurred_at': datetime.now(UTC).isoformat(),
    }
    response = httpx.post(
        f'{a.url}/api/v1/contracts/{contract}/usage',
        json={'events': [event]},
        headers={'Authorization': f'Bearer {OPERATOR_KEY}'},
    )
    assert response.status_code == 200, response.text


def open_page(b: Server) -> WebDriver:
    driver = chromium()
    sign_in(driver, b.url, EMAIL, PASSWORD)
    wait_for(lambda: cards_showing(driver, '1,000') == 1)
    return driver


def test_usage_posted_to_a_shows_on_a_page_served_by_b(two_processes: tuple[Server, Server, str]) -> None:
    a, b, url = two_processes
    contract, team = provision(a)
    driver = open_page(b)
    try:
        use(a, contract, team, 'first')
        started = time.monotonic()
        wait_for(lambda: cards_showing(driver, '999') == 1, timeout=1.0, interval=0.01)
        assert time.monotonic() - started < 1.0

        dropped = terminate_listeners(url)
        assert len(dropped) == 2  # one LISTEN connection per process
        # the processes notice and listen again, on new connections
        wait_for(lambda: len(listeners(url) - dropped) == 2, timeout=10.0, interval=0.05)
        use(a, contract, team, 'after-the-drop')
        wait_for(lambda: cards_showing(driver, '998') == 1, timeout=5.0)
    finally:
        driver.quit()
