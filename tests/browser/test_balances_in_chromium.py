"""The Balances page in a real browser (Debian's Chromium) against a real ``main.py`` with the demo data

Sign in; the donuts drawn with the numbers the API reports; a range change; contract and language switches; and a
live update arriving after a ``POST /usage`` to the API, without a reload.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from services.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.driver import card_texts, chromium, sign_in, wait_for
from tests.test_main import OPERATOR_KEY, Server, running

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp('browser')
    env = {
        'BALANCES_DB_URL': f'sqlite://{folder}/demo.sqlite3',
        'BALANCES_DEMO': '1',
        'BALANCES_DEMO_FEED': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
    }
    with running(env, folder) as server:
        yield server


@pytest.fixture
def page(server: Server) -> Iterator[WebDriver]:
    driver = chromium()
    try:
        sign_in(driver, server.url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: len(card_texts(driver)) == 5)
        yield driver
    finally:
        driver.quit()


def api_balances(server: Server, contract: int = 1) -> list[dict]:
    return httpx.get(f'{server.url}/api/v1/contracts/{contract}/balances', headers=OPERATOR).json()['balances']


def grouped(quantity: str) -> str:
    """A quantity as the English page writes it (1,250.5)."""
    whole, _, fraction = quantity.partition('.')
    return f'{int(whole):,}' + (f'.{fraction}' if fraction else '')


def test_sign_in_shows_every_team_with_its_donut_and_the_api_numbers(page: WebDriver, server: Server) -> None:
    cards = card_texts(page)
    assert len(page.find_elements(By.CSS_SELECTOR, '.q-card svg path')) >= 10  # donuts and trends, drawn
    for balance in api_balances(server):
        card = next(text for text in cards if text.startswith(balance['team_name']))
        for field in ('available', 'used', 'total'):
            assert grouped(balance[field]) in card, (balance['team_name'], field, card)
        assert ('Above 20 % available' if balance['health'] == 'green' else '20 % or less available') in card
    assert 'Tokens expire within 90 days for: Fluides' in page.find_element(By.TAG_NAME, 'body').text


def test_changing_the_range_of_usage_details(page: WebDriver) -> None:
    page.find_element(By.XPATH, "(//button[contains(., 'Show usage details')])[1]").click()
    label = wait_for(lambda: page.find_element(By.XPATH, "//div[contains(@class,'text-caption')][contains(., '→')]"))
    before = label.text
    page.find_element(By.XPATH, "//button[contains(., '30 days')]").click()
    wait_for(lambda: label.text != before and label.text)
    start = label.text.split(' → ')[0]
    assert (datetime.now(UTC).date() - datetime.fromisoformat(start).date()).days in (28, 29, 30)


def test_switching_contract_and_language(page: WebDriver) -> None:
    page.find_element(By.CSS_SELECTOR, '.q-select').click()
    wait_for(lambda: page.find_element(By.XPATH, "//div[@role='option'][contains(., 'Construtora')]")).click()
    wait_for(lambda: 'Shared cloud credits available' in page.find_element(By.TAG_NAME, 'body').text)
    page.find_element(By.XPATH, "//button[contains(., 'FR')]").click()
    wait_for(lambda: 'Crédits cloud partagés disponibles' in page.find_element(By.TAG_NAME, 'body').text)
    page.find_element(By.XPATH, "//button[contains(., 'EN')]").click()
    wait_for(lambda: 'Shared cloud credits available' in page.find_element(By.TAG_NAME, 'body').text)
    page.find_element(By.CSS_SELECTOR, '.q-select').click()
    wait_for(lambda: page.find_element(By.XPATH, "//div[@role='option'][contains(., 'Atelier')]")).click()
    wait_for(lambda: len(card_texts(page)) == 5)


def test_a_post_to_the_api_updates_the_open_page(page: WebDriver, server: Server) -> None:
    team = next(b for b in api_balances(server) if b['team_name'] == 'Architecture')
    response = httpx.post(
        f'{server.url}/api/v1/contracts/1/usage',
        headers=OPERATOR,
        json={
            'events': [
                {
                    'id': 'browser-live-1',
                    'team': team['team'],
                    'user': 'browser@example.com',
                    'product': 'render-studio',
                    'quantity': '12.5',
                    'occurred_at': datetime.now(UTC).isoformat(),
                }
            ]
        },
    )
    assert response.json() == {'accepted': 1, 'duplicates': 0}
    after = api_balances(server)
    expected = grouped(next(b for b in after if b['team_name'] == 'Architecture')['available'])
    wait_for(lambda: any(text.startswith('Architecture') and expected in text for text in card_texts(page)), 5)
