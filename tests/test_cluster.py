"""Two app processes behind a real HAProxy on a real PostgreSQL (``scripts/cluster.py``, what ``make cluster`` runs)

A page in Chromium keeps its process (the balancer's cookie); killing that process brings the page back through the
other one — its socket reconnects through the balancer, the other process does not know the page and has it reload —
showing the numbers of a change made after the kill, posted through the balancer.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from scripts.cluster import COOKIE, Cluster, cluster
from tests.browser.driver import cards_showing, chromium, sign_in, wait_for
from tests.conftest import empty_schema
from tests.test_main import OPERATOR_KEY

EMAIL, PASSWORD = 'ops@example.com', 'a long enough password'
OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


@pytest.fixture
def balanced(postgres_url: str, tmp_path: Path) -> Iterator[Cluster]:
    empty_schema(postgres_url)
    env = {'BALANCES_DEMO': '0', 'BALANCES_OPERATOR_KEY': OPERATOR_KEY}
    with cluster(postgres_url, 2, tmp_path, env) as running:
        yield running


def provision(url: str) -> tuple[int, int]:
    with httpx.Client(base_url=f'{url}/api/v1', headers=OPERATOR) as operator:
        contract = operator.post('/contracts', json={'name': 'Balanced', 'region': 'FR'}).json()['id']
        team = operator.post(f'/contracts/{contract}/teams', json={'name': 'Structure'}).json()['id']
        purchase = {'id': 'p', 'team': team, 'quantity': '100'}
        assert operator.post(f'/contracts/{contract}/purchases', json=purchase).status_code == 201
        assert operator.post(f'/contracts/{contract}/admins', json={'email': EMAIL, 'password': PASSWORD}).is_success
    return contract, team


def use(url: str, contract: int, team: int, event_id: str, quantity: str) -> None:
    """Post usage through the balancer, again while it answers 5xx (a process just killed): the id makes it safe."""
    event = {'id': event_id, 'team': team, 'user': 'u', 'product': 'p', 'quantity': quantity,
             'occurred_at': datetime.now(UTC).isoformat()}  # fmt: skip
    for _ in range(50):
        answer = httpx.post(f'{url}/api/v1/contracts/{contract}/usage', json={'events': [event]}, headers=OPERATOR)
        if answer.status_code < 500:
            assert answer.status_code == 200, answer.text
            return
        time.sleep(0.1)
    raise AssertionError('the usage was never accepted')


def server_of(driver: WebDriver) -> str:
    cookie = driver.get_cookie(COOKIE)
    assert cookie is not None, 'the balancer sets its cookie'
    return str(cookie['value'])


@pytest.mark.postgres
def test_a_page_keeps_its_process_and_comes_back_through_the_other_when_it_is_killed(balanced: Cluster) -> None:
    contract, team = provision(balanced.url)
    driver = chromium()
    try:
        sign_in(driver, balanced.url, EMAIL, PASSWORD)
        wait_for(lambda: cards_showing(driver, '100'), 20)
        first = server_of(driver)
        for _ in range(3):  # reloads keep the process that holds the page
            driver.refresh()
            wait_for(lambda: cards_showing(driver, '100'), 20)
            assert server_of(driver) == first
        use(balanced.url, contract, team, 'before', '10')
        wait_for(lambda: cards_showing(driver, '90'), 10)  # live on its process, whichever received the POST
        port = next(port for port in balanced.ports if balanced.name_of(port) == first)
        killed = balanced.processes[balanced.ports.index(port)]
        killed.kill()
        killed.wait(timeout=10)
        use(balanced.url, contract, team, 'after', '15')
        wait_for(lambda: cards_showing(driver, '75'), 20)  # its socket reconnected elsewhere, the page reloaded
        assert server_of(driver) != first
        assert driver.find_elements(By.CSS_SELECTOR, 'section[data-marker^="card-"]')
    finally:
        driver.quit()
