"""Debian's Chromium, headless, driven by Selenium; shared by the browser tests and bench/ui.py"""

import time
from collections.abc import Callable
from typing import TypeVar

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

T = TypeVar('T')
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
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'input'))
    inputs = driver.find_elements(By.CSS_SELECTOR, 'input')
    inputs[0].send_keys(email)
    inputs[1].send_keys(password)
    driver.find_element(By.XPATH, "//button[contains(., 'Sign in')]").click()


def card_texts(driver: WebDriver) -> list[str]:
    return [
        card.text
        for card in driver.find_elements(By.CSS_SELECTOR, '.q-card')
        if 'Tokens available' in card.text or 'credits available' in card.text
    ]


CARDS_SHOWING = """
return Array.from(document.querySelectorAll('.q-card'))
    .filter(card => card.querySelector('svg') && card.innerText.includes(arguments[0])).length;
"""


def cards_showing(driver: WebDriver, text: str) -> int:
    """How many cards show ``text`` with their donut drawn, in one round trip to the browser."""
    return int(driver.execute_script(CARDS_SHOWING, text) or 0)
