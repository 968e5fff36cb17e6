"""Regenerate docs/screenshots/: both modes, at 1280 px and at 390 px wide, from the demo data

.venv/bin/python scripts/screenshots.py
"""

import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402
from tests.browser.driver import cards_showing, chromium, sign_in, wait_for  # noqa: E402
from tests.test_main import running  # noqa: E402

OUT = ROOT / 'docs' / 'screenshots'


def shoot(url: str, width: int, height: int, name: str) -> None:
    driver = chromium(width, height)
    try:
        sign_in(driver, url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: cards_showing(driver, 'Tokens available') == 5)
        time.sleep(0.5)
        driver.save_screenshot(str(OUT / f'flex-{name}.png'))
        driver.find_element(By.CSS_SELECTOR, '.q-select').click()
        wait_for(lambda: driver.find_element(By.XPATH, "//div[@role='option'][contains(., 'Construtora')]")).click()
        wait_for(lambda: cards_showing(driver, 'Shared cloud credits available') == 1)
        driver.find_element(By.XPATH, "//button[contains(., 'Show usage details')]").click()
        wait_for(lambda: driver.find_element(By.XPATH, "//div[contains(@class,'text-caption')][contains(., '→')]"))
        time.sleep(0.8)
        driver.set_window_size(width, 1500 if width > 600 else 2200)
        driver.save_screenshot(str(OUT / f'cloud-{name}.png'))
        driver.find_element(By.CSS_SELECTOR, '.q-select').click()
        wait_for(lambda: driver.find_element(By.XPATH, "//div[@role='option'][contains(., 'Atelier')]")).click()
    finally:
        driver.quit()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {'BALANCES_DB_URL': f'sqlite://{tmp}/demo.sqlite3', 'BALANCES_DEMO': '1'}
        with running(env, Path(tmp)) as server:
            shoot(server.url, 1280, 900, 'desktop')
            shoot(server.url, 390, 844, 'phone')
    print('\n'.join(sorted(str(path.relative_to(ROOT)) for path in OUT.glob('*.png'))))


if __name__ == '__main__':
    main()
