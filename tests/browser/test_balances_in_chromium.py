"""The Balances page in a real browser (Debian's Chromium) against a real ``main.py`` with the demo data

Sign in; the donuts drawn with the numbers the API reports; usage details that open in view; contract and language
switches; a live update arriving after a ``POST /usage``; a phone's layout; the keyboard; search, sort, filter and
the compact view.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from services.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.driver import (
    CARDS,
    SETTLED,
    card_texts,
    choose_option,
    chromium,
    click,
    demo_app,
    sign_in,
    visible_cards,
    wait_for,
)
from tests.test_main import OPERATOR_KEY, Server

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_app(tmp_path_factory.mktemp('browser')) as server:
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


def body(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, 'body').text)


def test_sign_in_shows_every_team_with_its_donut_and_the_api_numbers(page: WebDriver, server: Server) -> None:
    cards = card_texts(page)
    for section in page.find_elements(By.CSS_SELECTOR, CARDS):  # a donut is drawn when its card comes into view
        page.execute_script('arguments[0].scrollIntoView({block: "center"})', section)
        wait_for(lambda: section.find_elements(By.CSS_SELECTOR, '.donut svg path'))  # noqa: B023
    page.execute_script('window.scrollTo(0, 0)')
    for balance in api_balances(server):
        card = next(text for text in cards if text.startswith(balance['team_name']))
        for field in ('available', 'used', 'total'):
            assert grouped(balance[field]) in card, (balance['team_name'], field, card)
        assert ('Above 20% available' if balance['health'] == 'green' else '20% or less available') in card
    assert 'Tokens expire within 90 days for: Fluides' in body(page)
    assert page.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'en-GB'
    headings = [h.text for h in page.find_elements(By.CSS_SELECTOR, 'h1, h2, h3')]
    assert headings[:3] == ['Atelier Lumière Architectes · Flex tokens', 'Summary', 'Teams']


def test_usage_details_open_in_view_and_their_button_says_hide(page: WebDriver) -> None:
    button = page.find_element(By.XPATH, "(//button[contains(., 'Show usage details')])[1]")
    click(page, button)
    panel = wait_for(lambda: page.find_element(By.XPATH, "//section[.//h2[starts-with(., 'Usage details')]]"))
    wait_for(lambda: 'Hide usage details' in button.text)
    assert button.get_attribute('aria-expanded') == 'true'
    # scrolled into view, not 1,300 px below
    wait_for(lambda: 0 <= page.execute_script('return arguments[0].getBoundingClientRect().top', panel) < 300)
    label = panel.find_element(By.XPATH, ".//div[contains(@class, 'text-body2')][contains(., '–')]")
    before = label.text
    click(page, panel.find_element(By.XPATH, ".//button[contains(., '30 days')]"))
    wait_for(lambda: label.text != before and label.text)
    click(page, button)
    wait_for(lambda: 'Show usage details' in button.text)


def test_switching_contract_and_language(page: WebDriver) -> None:
    choose_option(page, 'Contract', 'Construtora')
    wait_for(lambda: 'Shared cloud credits available' in body(page))
    # one pool: no summary repeating its card, the card as wide as the page, the time of the numbers beside it
    assert not page.find_elements(By.CSS_SELECTOR, '[data-marker="summary"]')
    (pool,) = page.find_elements(By.CSS_SELECTOR, 'section[data-marker^="card-"]')
    assert pool.size['width'] > 0.9 * page.find_element(By.CSS_SELECTOR, '.balances-board').size['width']
    (updated,) = page.find_elements(By.CSS_SELECTOR, '[data-marker="updated"]')
    assert updated.text.endswith(' UTC-03')  # the contract's zone (São Paulo), as the bell writes it: not the browser's
    choose_option(page, 'Language', 'Français')
    wait_for(lambda: 'Crédits cloud partagés disponibles' in body(page))
    assert page.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'fr'
    choose_option(page, 'Langue', 'English')
    wait_for(lambda: 'Shared cloud credits available' in body(page))
    choose_option(page, 'Contract', 'Atelier')
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


def test_on_a_phone_the_three_numbers_stand_on_lines_of_their_own(server: Server) -> None:
    driver = chromium(390, 844)
    try:
        sign_in(driver, server.url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: len(card_texts(driver)) == 5)
        for card in driver.find_elements(By.CSS_SELECTOR, 'section[data-marker^="card-"]'):
            numbers = [
                card.find_element(By.CSS_SELECTOR, f'dd[data-marker="{f}"]') for f in ('available', 'used', 'total')
            ]
            tops = [n.rect['y'] for n in numbers]
            assert len(set(tops)) == 3, tops  # one line each, never "3,699.37512,400.6249"
            for number in numbers:  # each beside its own label
                label = number.find_element(By.XPATH, '../dt')
                assert abs(label.rect['y'] - number.rect['y']) < number.rect['height']
        assert driver.execute_script('return document.documentElement.scrollWidth') <= 390
    finally:
        driver.quit()


def test_the_keyboard_reaches_the_actions_and_dialogs_focus_their_first_field(page: WebDriver) -> None:
    button = page.find_element(By.XPATH, "(//button[contains(., 'Assign to another team')])[1]")
    page.execute_script('arguments[0].focus()', button)
    assert page.switch_to.active_element == button
    button.send_keys(Keys.ENTER)
    wait_for(lambda: page.find_elements(By.CSS_SELECTOR, '.q-dialog'))
    focused = wait_for(lambda: focused_input(page))
    assert focused.find_element(By.XPATH, 'ancestor::div[contains(@class, "q-dialog")]')
    assert page.find_element(By.ID, 'app').get_attribute('inert') is not None  # the page behind is out of reach
    focused.send_keys(Keys.ESCAPE)
    wait_for(lambda: not page.find_elements(By.CSS_SELECTOR, '.q-dialog'))


def test_search_filter_sort_and_compact_view(page: WebDriver) -> None:
    search = page.find_element(By.XPATH, "//label[.//div[text()='Search teams']]//input")
    search.send_keys('stru')
    wait_for(lambda: visible_cards(page) == ['Infrastructure', 'Structure'])
    search.send_keys(Keys.CONTROL, 'a', Keys.BACKSPACE)
    wait_for(lambda: len(visible_cards(page)) == 5)
    choose_option(page, 'Show', '20% or less available')
    wait_for(lambda: visible_cards(page) == ['Structure'])
    choose_option(page, 'Show', 'All teams')
    choose_option(page, 'Sort by', 'Available')
    wait_for(lambda: visible_cards(page)[0] == 'Structure')  # the fewest tokens available first
    click(page, page.find_element(By.XPATH, "//div[@role='switch'][contains(., 'Compact view')]"))
    wait_for(lambda: not page.find_elements(By.CSS_SELECTOR, '.balances-board .donut'))
    assert len(visible_cards(page)) == 5


def focused_input(page: WebDriver) -> WebElement | None:
    element = page.switch_to.active_element
    return element if element.tag_name == 'input' else None


@pytest.mark.parametrize(('width', 'height'), [(1280, 900), (390, 844)])
def test_the_custom_range_fits_the_screen_applies_on_enter_and_apply_is_three_tabs_away(
    server: Server, width: int, height: int
) -> None:
    driver = chromium(width, height)
    try:
        sign_in(driver, server.url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: len(card_texts(driver)) == 5)
        click(driver, driver.find_element(By.XPATH, "(//button[contains(., 'Show usage details')])[1]"))
        panel = wait_for(lambda: driver.find_element(By.XPATH, "//section[.//h2[starts-with(., 'Usage details')]]"))
        label = panel.find_element(By.XPATH, ".//div[contains(@class, 'text-body2')][contains(., '–')]")
        click(driver, panel.find_element(By.CSS_SELECTOR, '[data-marker="custom"]'))
        first = wait_for(lambda: focused_input(driver))  # the dialog focuses its first field
        card = first.find_element(By.XPATH, 'ancestor::div[contains(@class, "q-card")]')
        box = driver.execute_script(
            'const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]', card
        )
        top, bottom, left, right = box
        assert 0 <= top < bottom <= height, box  # the whole form in view
        assert 0 <= left < right <= width, box
        apply = card.find_element(By.XPATH, ".//button[contains(., 'Apply')]")
        for _ in range(3):  # To, Cancel, Apply
            driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.switch_to.active_element == apply
        days = {r.rect['y'] for r in card.find_elements(By.CSS_SELECTOR, 'input')}
        assert len(days) == 1  # From and To side by side, even on a phone
        fields = card.find_elements(By.CSS_SELECTOR, 'input')
        for field in fields:
            field.send_keys(Keys.CONTROL, 'a', Keys.BACKSPACE)
            field.send_keys('01/11/2026')
        fields[1].send_keys(Keys.ENTER)
        wait_for(lambda: not driver.find_elements(By.CSS_SELECTOR, '.q-dialog'))
        wait_for(lambda: label.text == '1 Nov 2026')
    finally:
        driver.quit()


def test_on_a_phone_the_events_and_lots_stack_each_rows_fields_with_nothing_behind_sideways_scrolling(
    server: Server,
) -> None:
    driver = chromium(390, 844)
    try:
        sign_in(driver, server.url, DEMO_EMAIL, DEMO_PASSWORD)
        wait_for(lambda: len(card_texts(driver)) == 5)
        click(driver, driver.find_element(By.CSS_SELECTOR, '[data-marker="history"]'))
        months = "//div[contains(@class, 'q-dialog')]//button[contains(., '12') and contains(., 'months')]"
        click(driver, wait_for(lambda: driver.find_element(By.XPATH, months)))  # the demo's events are that old
        views = (('events', None, ('Date', 'Event', 'Quantity')), ('lots', 'lots-tab', ('Expires', 'Origin', 'State')))
        for table, tab, labels in views:
            if tab:
                click(driver, wait_for(lambda: driver.find_element(By.CSS_SELECTOR, f'[data-marker="{tab}"]')))  # noqa: B023
            items = f'[data-marker="{table}-table"] .q-table__grid-item'  # the rows arrive once read
            first = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, items))[0]  # noqa: B023
            text = wait_for(lambda: first.text)  # noqa: B023 - once the dialog has faded in
            for label in labels:
                assert label in text, (label, text)
            right = 'return Math.max(...[...arguments[0].children].map(e => e.getBoundingClientRect().right))'
            card = first.find_element(By.CSS_SELECTOR, '.q-table__grid-item-card')
            wait_for(lambda: driver.execute_script(SETTLED))  # the tab panel slides in
            assert driver.execute_script(right, card) <= 390  # every field within the screen
    finally:
        driver.quit()


DRAWN = """
const root = document.querySelector('.balances-board');
const state = getElement(root).state;
const text = (el) => (el ? el.textContent.trim() : null);
const cards = {};
for (const section of document.querySelectorAll('section[data-marker^="card-"]')) {
  const drawn = {title: text(section.querySelector('h3'))};
  for (const marker of ['health', 'products', 'users', 'available', 'used', 'total', 'breakdown', 'expiry',
                        'expired', 'forecast', 'unused']) {
    drawn[marker] = text(section.querySelector(`[data-marker="${marker}"]`));
  }
  drawn.donut = section.querySelector('.donut').getAttribute('aria-label');
  drawn.trend = section.querySelector('.trend').getAttribute('aria-label');
  cards[section.dataset.marker.slice('card-'.length)] = drawn;
}
return JSON.stringify({state, cards, summary: text(document.querySelector('[data-marker="summary"]'))});
"""


def drawn_against_view(driver: WebDriver) -> list[str]:
    """Every card's drawn texts and labels against the view the page's code holds: the differences (none, when what
    a person sees is what the server sent)."""
    found = json.loads(driver.execute_script(DRAWN))
    state, cards = found['state'], found['cards']
    differences = []
    if sorted(cards) != sorted(state['order']):
        differences.append(f'cards drawn {sorted(cards)}, view has {sorted(state["order"])}')
    fields = {
        'title': 'title',
        'health': 'health_text',
        'products': 'products',
        'users': 'users',
        'available': 'available',
        'used': 'used',
        'total': 'total',
        'breakdown': 'total_breakdown',
        'expiry': 'expiry',
        'expired': 'expired',
        'forecast': 'forecast',
        'unused': 'unused',
        'donut': 'donut_label',
        'trend': 'trend_label',
    }
    for key, drawn in cards.items():
        view = state['cards'][key]
        for marker, field in fields.items():
            expected = view[field] or None  # an empty text is not drawn
            if drawn[marker] != expected:
                differences.append(f'card {key} {marker}: drawn {drawn[marker]!r}, view {expected!r}')
    for fact in state['summary'].get('facts', []):
        for said in (fact['label'], fact['value']):
            if said not in (found['summary'] or ''):
                differences.append(f'the summary does not draw {said!r}')
    return differences


def test_every_card_draws_exactly_its_view_in_each_language_and_after_a_live_change(
    page: WebDriver, server: Server
) -> None:
    """The UI tests check the view the server sends; this checks the browser draws exactly that view — every text
    and label of every card, and the summary — in English and French, and once a live change has been drawn."""
    wait_for(lambda: drawn_against_view(page) == [], 5)
    team = next(b for b in api_balances(server) if b['team_name'] == 'Structure')
    event = {
        'id': 'drawn-1',
        'team': team['team'],
        'user': 'drawn@example.com',
        'product': 'render-studio',
        'quantity': '3.25',
        'occurred_at': datetime.now(UTC).isoformat(),
    }
    httpx.post(f'{server.url}/api/v1/contracts/1/usage', headers=OPERATOR, json={'events': [event]}).raise_for_status()
    expected = grouped(next(b for b in api_balances(server) if b['team_name'] == 'Structure')['available'])
    wait_for(lambda: any(t.startswith('Structure') and expected in t for t in card_texts(page)), 5)
    assert drawn_against_view(page) == []
    choose_option(page, 'Language', 'Français')
    wait_for(lambda: page.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'fr')
    wait_for(lambda: drawn_against_view(page) == [] and 'Jetons disponibles' in body(page), 5)
    choose_option(page, 'Langue', 'English')
    wait_for(lambda: page.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'en-GB')
