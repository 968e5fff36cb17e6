"""Debian's Chromium, headless, driven by Selenium; shared by the browser tests and bench/ui.py"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, ElementNotInteractableException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.test_main import OPERATOR_KEY, Server, running

T = TypeVar('T')
CARDS = 'section[data-marker^="card-"]'  # a holder's card (the summary is not one)
AVAILABLE = 'dd[data-marker="available"]'  # the number available on a card
FLAGS = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
]


SETTLED = "return document.getAnimations().every(a => a.playState !== 'running')"  # no transition half-way


def chromium(width: int = 1280, height: int = 900) -> WebDriver:
    options = webdriver.ChromeOptions()
    for flag in [*FLAGS, f'--window-size={width},{height}']:
        options.add_argument(flag)
    if width < 500:  # a desktop window cannot be that narrow: emulate the phone's viewport
        options.add_experimental_option(
            'mobileEmulation', {'deviceMetrics': {'width': width, 'height': height, 'pixelRatio': 2}}
        )
    options.binary_location = '/usr/bin/chromium'
    return webdriver.Chrome(service=webdriver.ChromeService('/usr/bin/chromedriver'), options=options)


@contextmanager
def demo_app(folder: Path) -> Iterator[Server]:
    """``main.py`` on a fresh SQLite file of the demo data set, its live feed off, the operator's key set."""
    env = {
        'BALANCES_DB_URL': f'sqlite://{folder}/demo.sqlite3',
        'BALANCES_DEMO': '1',
        'BALANCES_DEMO_FEED': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
    }
    with running(env, folder) as server:
        yield server


def wait_for(condition: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is changing under the query: ask again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError('the page did not show it in time')
        time.sleep(interval)


def sign_in(driver: WebDriver, url: str, email: str, password: str) -> None:
    driver.get(f'{url}/login')
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'input[type=email]'))
    driver.find_element(By.CSS_SELECTOR, 'input[type=email]').send_keys(email)
    driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(password)
    driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(Keys.ENTER)


def card_texts(driver: WebDriver) -> list[str]:
    """What each holder's card says (the summary is not a card)."""
    return [str(card.text) for card in driver.find_elements(By.CSS_SELECTOR, CARDS)]


def click(driver: WebDriver, element: WebElement) -> None:
    """Click as a person does: the element brought into view first (the header may hide what is under it)."""
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
    try:
        element.click()
    except (ElementClickInterceptedException, ElementNotInteractableException):  # under a tooltip, a transition
        driver.execute_script('arguments[0].click()', element)


def choose_option(driver: WebDriver, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label``, as a person does."""
    field = driver.find_element(By.XPATH, f"//label[.//div[contains(@class,'q-field__label')][text()='{label}']]")
    click(driver, field)
    click(driver, wait_for(lambda: driver.find_element(By.XPATH, f"//div[@role='option'][contains(., '{option}')]")))


def visible_cards(driver: WebDriver) -> list[str]:
    """The titles of the cards shown, in their order."""
    titles = driver.find_elements(By.CSS_SELECTOR, 'section[data-marker^="card-"] h3')
    return [str(title.text) for title in titles]


CARDS_SHOWING = """
return Array.from(document.querySelectorAll('section[data-marker^="card-"]'))
    .filter(card => card.querySelector('svg') && card.innerText.includes(arguments[0])).length;
"""


def cards_showing(driver: WebDriver, text: str) -> int:
    """How many cards show ``text`` with their donut drawn, in one round trip to the browser."""
    return int(driver.execute_script(CARDS_SHOWING, text) or 0)


AXE = Path(__file__).resolve().parents[2] / 'node_modules' / 'axe-core' / 'axe.min.js'
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
    (result) => done(result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))),
    (error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]));
"""


def axe_violations(driver: WebDriver, impacts: tuple[str, ...] = ('serious', 'critical')) -> list[dict]:
    """The serious and critical violations axe-core (the npm package) finds in the page as it is now."""
    if not driver.execute_script('return typeof axe !== "undefined"'):
        driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    found = driver.execute_async_script(RUN_AXE)
    return [violation for violation in found if violation['impact'] in impacts]
