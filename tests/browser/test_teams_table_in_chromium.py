"""The teams as a table in a real browser: natural order both ways, accent-insensitive search, the sort kept through
live updates, new teams and reloads, a row's actions, and 200 teams on a phone"""

from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from services.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.driver import card_texts, chromium, click, demo_app, sign_in, wait_for
from tests.test_main import OPERATOR_KEY, Server

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}
DEMO_TEAMS = 5
NUMBERED = 200


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_app(tmp_path_factory.mktemp('table')) as server:
        with httpx.Client(base_url=server.url, headers=OPERATOR) as api:
            for n in range(1, NUMBERED + 1):  # created out of order: 200, 199, ... the page sorts them
                answer = api.post('/api/v1/contracts/1/teams', json={'name': f'Équipe {NUMBERED + 1 - n}'})
                assert answer.status_code == 201, answer.text
        yield server


def rows(driver: WebDriver) -> list[str]:
    return [
        cell.text
        for cell in driver.find_elements(By.CSS_SELECTOR, '[data-marker="teams-table"] tbody tr td:first-child')
    ]


def table_view(driver: WebDriver, url: str) -> None:
    sign_in(driver, url, DEMO_EMAIL, DEMO_PASSWORD)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '[data-marker="toolbar"]'))
    if not driver.find_elements(By.CSS_SELECTOR, '[data-marker="teams-table"]'):
        click(driver, driver.find_element(By.CSS_SELECTOR, '[data-marker="table"]'))
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '[data-marker="teams-table"]'))


def test_the_table_sorts_naturally_both_ways_finds_without_accents_and_keeps_its_sort(server: Server) -> None:
    driver = chromium()
    try:
        table_view(driver, server.url)
        search = driver.find_element(By.XPATH, "//label[.//div[text()='Search teams']]//input")
        search.send_keys('equipe 1')  # no accent, lower case: finds "Équipe 1", "Équipe 10", ... "Équipe 199"
        wait_for(lambda: rows(driver)[:4] == ['Équipe 1', 'Équipe 10', 'Équipe 11', 'Équipe 12'])
        search.send_keys(Keys.CONTROL, 'a', Keys.BACKSPACE)
        wait_for(lambda: rows(driver)[:3] == ['Architecture', 'Équipe 1', 'Équipe 2'])  # 2 before 10
        header = driver.find_element(By.XPATH, "//th[contains(., 'Team')]")
        click(driver, header)  # the other way
        wait_for(lambda: rows(driver)[:3] == ['Visualisation', 'Structure', 'Infrastructure'])
        click(driver, driver.find_element(By.XPATH, "//th[contains(., 'Tokens available')]"))
        wait_for(lambda: rows(driver)[:2] == ['Équipe 1', 'Équipe 2'])  # the fewest first (ties by name)
        click(driver, driver.find_element(By.XPATH, "//th[contains(., 'Tokens available')]"))
        wait_for(lambda: rows(driver)[:2] == ['Architecture', 'Fluides'])  # and the other way: the most first
        click(driver, header)
        wait_for(lambda: rows(driver)[:2] == ['Architecture', 'Équipe 1'])
        click(driver, header)
        wait_for(lambda: rows(driver)[0] == 'Visualisation')  # by name, descending
        answer = httpx.post(f'{server.url}/api/v1/contracts/1/teams', headers=OPERATOR, json={'name': 'Zénith'})
        assert answer.status_code == 201
        wait_for(lambda: rows(driver)[0] == 'Zénith')  # a new team arrives in its place, not at the end
        driver.refresh()
        wait_for(lambda: rows(driver)[:2] == ['Zénith', 'Visualisation'])  # the sort, its direction and the view kept
        actions = driver.find_elements(By.CSS_SELECTOR, '[data-marker="teams-table"] [data-marker="row-actions"]')[1]
        assert actions.get_attribute('aria-label') == 'Actions – Visualisation'
        click(driver, actions)
        click(driver, wait_for(lambda: driver.find_element(By.CSS_SELECTOR, '[data-marker="row-history"]')))
        wait_for(lambda: 'Token events of Visualisation' in driver.find_element(By.CSS_SELECTOR, '.q-dialog').text)
    finally:
        driver.quit()


def test_two_hundred_teams_on_a_phone_page_by_page(server: Server) -> None:
    driver = chromium(390, 844)
    try:
        table_view(driver, server.url)
        items = '[data-marker="teams-table"] [data-marker^="row-"]'
        wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, f'{items}:not([data-marker="row-actions"])')) == 25)
        assert driver.execute_script('return document.documentElement.scrollWidth') <= 390  # nothing sideways
        assert not card_texts(driver)  # rows, not 206 cards with donuts
        total = DEMO_TEAMS + NUMBERED + 1  # and Zénith, if the other test ran first
        pages = driver.find_element(By.CSS_SELECTOR, '[data-marker="teams-table"] .q-table__bottom').text
        assert f'of {total}' in pages or f'of {total - 1}' in pages, pages
    finally:
        driver.quit()
