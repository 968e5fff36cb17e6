"""WCAG 2.1 AA: axe-core (the npm package, injected into Debian's Chromium) finds no serious or critical violation on
any view of the page — sign-in, the cards, each dialog, the usage details with the custom range open, the lots, the
alerts and their rules, the cloud-credit contract — in English and in French, at desktop and at phone width"""

from collections.abc import Callable, Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from services.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.driver import SETTLED, axe_violations, card_texts, chromium, click, demo_app, sign_in, wait_for
from tests.test_main import OPERATOR_KEY, Server

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}
FRENCH_ADMIN, FRENCH_PASSWORD = 'camille@atelier-lumiere.fr', 'un mot de passe assez long'


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_app(tmp_path_factory.mktemp('a11y')) as server:
        for contract in (1, 2):  # an administrator who reads French (chosen once, remembered)
            body = {'email': FRENCH_ADMIN, 'password': FRENCH_PASSWORD}
            httpx.post(f'{server.url}/api/v1/contracts/{contract}/admins', headers=OPERATOR, json=body)
        yield server


def press(marker: str, nth: int = 0) -> Callable[[WebDriver], None]:
    def action(driver: WebDriver) -> None:
        click(driver, wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, f'[data-marker="{marker}"]')[nth]))

    return action


def shown(driver: WebDriver, selector: str) -> None:
    """Wait until the page shows what ``selector`` finds."""
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, selector))


def then(*actions: Callable[[WebDriver], None]) -> Callable[[WebDriver], None]:
    def action(driver: WebDriver) -> None:
        for step in actions:
            step(driver)

    return action


def open_dialog(marker: str) -> Callable[[WebDriver], None]:
    def action(driver: WebDriver) -> None:
        press(marker)(driver)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '.q-dialog .q-card'))
        wait_for(lambda: driver.execute_script(SETTLED))  # opened: what comes next is clicked where it stands

    return action


def cloud(driver: WebDriver) -> None:
    click(driver, driver.find_element(By.CSS_SELECTOR, '.q-header .q-select'))
    click(driver, wait_for(lambda: driver.find_element(By.XPATH, "//div[@role='option'][contains(., 'Construtora')]")))
    wait_for(lambda: len(card_texts(driver)) == 1)


def edit_rule(driver: WebDriver) -> None:
    wait_for(lambda: driver.execute_script(SETTLED))  # the rules tab has slid in: its buttons stand where they are
    edit = "//div[contains(@class, 'q-tab-panel')]//button[.//span[text()='Edit' or text()='Modifier']]"
    click(driver, wait_for(lambda: next(b for b in driver.find_elements(By.XPATH, edit) if b.is_displayed())))
    shown(driver, '.q-dialog .rounded-borders input')


def by_team(driver: WebDriver) -> None:
    press('contract-details')(driver)
    toggle = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'section[data-marker^="usage-"] .q-btn-toggle'))
    click(driver, toggle[0].find_elements(By.CSS_SELECTOR, 'button')[2])


VIEWS: dict[str, Callable[[WebDriver], None]] = {
    'cards': lambda driver: None,
    'token events': open_dialog('history'),
    'lots': then(open_dialog('history'), press('lots-tab')),
    'assign, previewed': then(open_dialog('review')),
    'usage details, custom range': then(press('details'), press('custom')),
    'usage by team': by_team,
    'alerts': open_dialog('bell'),
    'alert rules': then(open_dialog('bell'), press('alerts-rules-tab')),
    'alert rule, editing': then(open_dialog('bell'), press('alerts-rules-tab'), edit_rule),
    'controls': open_dialog('controls'),
    'refusals': then(press('refusals'), lambda driver: shown(driver, '[data-marker="refusal"]')),
    'teams table': then(press('table'), lambda driver: shown(driver, '[data-marker="teams-table"]')),
    'cloud credits': cloud,  # last: the page remembers the contract chosen
}
PHONE_VIEWS = (
    'cards',
    'token events',
    'lots',
    'assign, previewed',
    'usage details, custom range',
    'alerts',
    'controls',
    'refusals',
    'teams table',
)


RUNS = [
    (lang, width, view)
    for lang in ('en', 'fr')
    for width, views in ((1280, list(VIEWS)), (390, PHONE_VIEWS))
    for view in views
]


@pytest.fixture(scope='module')
def browsers(server: Server) -> Iterator[dict[tuple[str, int], WebDriver]]:
    """One signed-in Chromium per language and width, opened when first needed."""
    opened: dict[tuple[str, int], WebDriver] = {}
    yield opened
    for driver in opened.values():
        driver.quit()


def signed_in(browsers: dict[tuple[str, int], WebDriver], url: str, lang: str, width: int) -> WebDriver:
    if (lang, width) in browsers:
        return browsers[lang, width]
    driver = browsers[lang, width] = chromium(width, 900)
    driver.get(f'{url}/login')
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'input[type=email]'))
    found = axe_violations(driver)
    assert not found, f'the sign-in page: {found}'
    email, password = (DEMO_EMAIL, DEMO_PASSWORD) if lang == 'en' else (FRENCH_ADMIN, FRENCH_PASSWORD)
    sign_in(driver, url, email, password)
    wait_for(lambda: len(card_texts(driver)) == 5)
    if lang == 'fr' and driver.find_element(By.TAG_NAME, 'html').get_attribute('lang') != 'fr':
        click(driver, driver.find_elements(By.CSS_SELECTOR, '.q-header .q-select')[-1])
        click(driver, wait_for(lambda: driver.find_element(By.XPATH, "//div[@role='option'][contains(., 'Français')]")))
        wait_for(lambda: driver.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'fr')
    return driver


@pytest.mark.parametrize(('lang', 'width', 'view'), RUNS, ids=[f'{lang}-{width}-{view}' for lang, width, view in RUNS])
def test_no_serious_violation(
    browsers: dict[tuple[str, int], WebDriver], server: Server, lang: str, width: int, view: str
) -> None:
    driver = signed_in(browsers, server.url, lang, width)
    driver.execute_script('window.localStorage.clear()')  # each view from the page's defaults (cards, by name)
    driver.get(server.url)
    wait_for(lambda: len(card_texts(driver)) == 5)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '.balances-board .donut svg'))
    VIEWS[view](driver)
    wait_for(lambda: driver.execute_script(SETTLED))  # no transition half-way (contrast is judged on what is drawn)
    found = axe_violations(driver)
    assert not found, '\n'.join(f'{v["impact"]} {v["id"]}: {v["help"]} {v["nodes"]}' for v in found)
