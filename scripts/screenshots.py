"""Regenerate docs/screenshots/ from the demo data: both modes at 1280 px and at 390 px wide, in each language, and
the teams as a table

.venv/bin/python scripts/screenshots.py
"""

import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402
from tests.browser.driver import cards_showing, choose_option, chromium, click, sign_in, wait_for  # noqa: E402
from tests.test_main import running  # noqa: E402

OUT = ROOT / 'docs' / 'screenshots'
# the language's name in its select, what a Flex card then says, and what the select is then labelled
LANGUAGES = {
    'fr': ('Français', 'Jetons disponibles', 'Langue'),
    'pt': ('Português (Brasil)', 'Tokens disponíveis', 'Idioma'),
}


DONUTS_IN_VIEW_DRAWN = """
return [...document.querySelectorAll('.donut')]
    .every(donut => donut.getBoundingClientRect().top > innerHeight || donut.querySelector('svg'));
"""


def settle(driver: WebDriver, height: int) -> None:
    """Let the charts finish their animation, with the window as tall as the page (up to ``height``)."""
    time.sleep(0.8)
    full = int(driver.execute_script('return document.documentElement.scrollHeight'))
    driver.set_window_size(driver.get_window_size()['width'], min(full, height))
    driver.execute_script('window.scrollTo(0, 0)')  # a select chosen last may have scrolled the page
    wait_for(lambda: driver.execute_script(DONUTS_IN_VIEW_DRAWN))  # drawn as their cards come into view
    time.sleep(0.4)


def shoot(url: str, width: int, height: int, name: str) -> None:
    driver = chromium(width, height)
    try:
        sign_in(driver, url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: cards_showing(driver, 'Tokens available') == 5, timeout=20)
        settle(driver, height)
        driver.save_screenshot(str(OUT / f'flex-{name}.png'))
        table = driver.find_element(By.CSS_SELECTOR, '[data-marker="table"]')
        click(driver, table)  # the teams as a table (rows stacked on a phone)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '[data-marker="teams-table"]'))
        driver.execute_script('arguments[0].scrollIntoView()', driver.find_element(By.ID, 'teams-title'))
        time.sleep(0.6)
        driver.save_screenshot(str(OUT / f'flex-{name}-table.png'))
        click(driver, table)  # back to the cards (the choice is remembered by the browser)
        choose_option(driver, 'Contract', 'Construtora')
        wait_for(lambda: cards_showing(driver, 'Shared cloud credits available') == 1, timeout=20)
        click(driver, driver.find_element(By.XPATH, "(//button[contains(., 'Show usage details')])[1]"))
        wait_for(lambda: driver.find_element(By.XPATH, "//section[.//h2[starts-with(., 'Usage details')]]//canvas"))
        driver.execute_script('window.scrollTo(0, 0)')
        settle(driver, 1600 if width > 600 else 2600)
        driver.save_screenshot(str(OUT / f'cloud-{name}.png'))
        choose_option(driver, 'Contract', 'Atelier')
        wait_for(lambda: cards_showing(driver, 'Tokens available') == 5, timeout=20)
        previous = 'Language'
        for code in ('fr', 'pt'):
            language, available, label = LANGUAGES[code]
            choose_option(driver, previous, language)
            wait_for(lambda available=available: cards_showing(driver, available) == 5, timeout=20)  # type: ignore[misc]
            previous = label
            if (code == 'fr') == (width > 600):  # French at desktop width, Portuguese on the phone
                settle(driver, height)
                driver.save_screenshot(str(OUT / f'flex-{name}-{code}.png'))
        choose_option(driver, previous, 'English')  # the demo administrator's language as it was
        wait_for(lambda: cards_showing(driver, 'Tokens available') == 5, timeout=20)
    finally:
        driver.quit()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {'BALANCES_DB_URL': f'sqlite://{tmp}/demo.sqlite3', 'BALANCES_DEMO': '1', 'BALANCES_DEMO_FEED': '0'}
        with running(env, Path(tmp)) as server:
            shoot(server.url, 1280, 1400, 'desktop')
            shoot(server.url, 390, 844, 'phone')
    print('\n'.join(sorted(str(path.relative_to(ROOT)) for path in OUT.glob('*.png'))))


if __name__ == '__main__':
    main()
