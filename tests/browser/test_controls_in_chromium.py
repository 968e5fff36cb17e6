"""The controls in Chromium, on the demo: a team's product list and a cap set through the page, a refusal seen
appearing, and the cap raised from it"""

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from services.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.driver import SETTLED, chromium, click, demo_app, sign_in, wait_for
from tests.test_main import OPERATOR_KEY, Server

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


@pytest.fixture(scope='module')
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_app(tmp_path_factory.mktemp('controls')) as server:
        yield server


def card(driver: WebDriver, title: str) -> WebElement:
    return wait_for(
        lambda: next(
            (c for c in driver.find_elements(By.CSS_SELECTOR, 'section[data-marker^="card-"]')
             if c.find_element(By.TAG_NAME, 'h3').text == title), None)
    )  # fmt: skip


def dialog(driver: WebDriver) -> WebElement:
    """The open dialog, once it has finished appearing (a click during its transition may go astray)."""
    found = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, '.q-dialog .q-card'))
    wait_for(lambda: driver.execute_script(SETTLED))
    return found


def api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=f'{server.url}/api/v1', headers=OPERATOR)


def test_a_product_list_and_a_cap_set_in_the_page_refuse_and_the_cap_is_raised_from_the_refusal(demo: Server) -> None:
    with api(demo) as operator:
        contract = next(c for c in operator.get('/contracts').json()['contracts'] if c['mode'] == 'flex')
        teams = {b['team_name']: b['team'] for b in operator.get(f'/contracts/{contract["id"]}/balances').json()[
            'balances']}  # fmt: skip
        structure = teams['Structure']
        base = f'/contracts/{contract["id"]}'
    driver = chromium()
    try:
        sign_in(driver, demo.url, DEMO_EMAIL, DEMO_PASSWORD)
        click(driver, card(driver, 'Structure').find_element(By.CSS_SELECTOR, '[data-marker="controls"]'))
        shown = dialog(driver)
        # only its own product, from now on
        click(driver, shown.find_element(By.CSS_SELECTOR, '[data-marker="controls-all-products"]'))
        boxes = wait_for(lambda: [b for b in shown.find_elements(By.CSS_SELECTOR, '[data-marker^="product-"]')
                                  if b.is_displayed()])  # fmt: skip
        for box in boxes:
            wanted = 'true' if box.get_attribute('data-marker') == 'product-structural-analysis' else 'false'
            if box.get_attribute('aria-checked') != wanted:
                click(driver, box)
                wait_for(lambda b=box, w=wanted: b.get_attribute('aria-checked') == w)  # type: ignore[misc]
        click(driver, shown.find_element(By.CSS_SELECTOR, '[data-marker="controls-save-products"]'))
        wait_for(lambda: operator_list(demo, base, structure) == ['structural-analysis'])
        # a cap on the team: 1 token a day
        shown = dialog(driver)
        limit = wait_for(lambda: shown.find_element(By.CSS_SELECTOR, 'input[data-marker="cap-limit"]'))
        limit.send_keys('1')
        click(driver, shown.find_element(By.CSS_SELECTOR, '[data-marker="cap-add"]'))
        wait_for(lambda: len(shown.find_elements(By.CSS_SELECTOR, '[data-marker="cap"]')) >= 3)
        click(driver, shown.find_element(By.XPATH, ".//button[.//span[text()='Close']]"))
        wait_for(lambda: not driver.find_elements(By.CSS_SELECTOR, '.q-dialog .q-card'))
        # the licensing system asks: a product not on the list, then the team's own (over its new cap)
        with api(demo) as operator:
            ask = {'user': 'new.person@atelier-lumiere.fr', 'team': structure}
            assert operator.get(f'{base}/entitlement', params={**ask, 'product': 'draft-2d'}).json()['reason'] == (
                'product_not_allowed'
            )
            event = {'id': 'browser-use', 'team': structure, 'user': 'x', 'product': 'structural-analysis',
                     'quantity': 2, 'occurred_at': datetime.now(UTC).isoformat()}  # fmt: skip
            assert operator.post(f'{base}/usage', json={'events': [event]}).status_code == 200
            refused = operator.get(f'{base}/entitlement', params={**ask, 'product': 'structural-analysis'}).json()
            assert refused['reason'] == 'cap_reached'
        click(driver, wait_for(lambda: driver.find_element(By.CSS_SELECTOR, '[data-marker="refusals"]')))
        rows = wait_for(lambda: [r for r in driver.find_elements(By.CSS_SELECTOR, '[data-marker="refusal"]')
                                 if 'new.person' in r.text and 'a cap was reached' in r.text])  # fmt: skip
        click(driver, rows[0].find_element(By.CSS_SELECTOR, '[data-marker="refusal-raise"]'))
        shown = dialog(driver)
        ours = wait_for(lambda: [c for c in shown.find_elements(By.CSS_SELECTOR, '[data-marker="cap"]')
                                 if 'Structure' in c.text and ' of 1 ' in c.text])  # fmt: skip
        click(driver, ours[0].find_element(By.CSS_SELECTOR, '[data-marker="cap-change"]'))
        limit = wait_for(lambda: shown.find_element(By.CSS_SELECTOR, 'input[data-marker="cap-limit"]'))
        limit.send_keys(Keys.CONTROL, 'a')
        limit.send_keys('500')
        click(driver, shown.find_element(By.CSS_SELECTOR, '[data-marker="cap-add"]'))
        wait_for(lambda: any(' of 500 ' in c.text for c in shown.find_elements(By.CSS_SELECTOR, '[data-marker="cap"]')))
        with api(demo) as operator:
            again = operator.get(f'{base}/entitlement', params={**ask, 'product': 'structural-analysis'}).json()
            assert again['reason'] != 'cap_reached'
    finally:
        driver.quit()


def operator_list(server: Server, base: str, team: int) -> list[str] | None:
    with api(server) as operator:
        return operator.get(f'{base}/teams/{team}/products').json()['allowed']
