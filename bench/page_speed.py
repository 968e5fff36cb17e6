"""Browser benchmark: sign-in to all cards rendered (20 teams), and live-update latency (50 events)

    .venv/bin/python bench/page_speed.py [--teams 20] [--events 50] [--sign-ins 5]

Starts ``main.py`` (SQLite, demo off), provisions a Flex contract with ``--teams`` teams through the API, and drives
Debian's headless Chromium:

1. From the click on "Sign in" to every card showing its numbers, ``--sign-ins`` times.
2. With the page open, ``--events`` usage events posted one by one to the API; a MutationObserver in the page
   stamps the moment the first team's "available" number changes; latency = that moment − the API's 200 (same clock).
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.driver import AVAILABLE, CARDS, cards_showing, chromium, sign_in, wait_for  # noqa: E402
from tests.test_main import OPERATOR_KEY, running  # noqa: E402

EMAIL, PASSWORD = 'bench@example.com', 'a benchmark password'
OBSERVE = """
const [cards, available, title] = arguments;
const shown = () => {
    const card = [...document.querySelectorAll(cards)].find(c => c.textContent.includes(title));
    return card ? card.querySelector(available).textContent : null;
};
window.__changes = [];
let last = shown();
new MutationObserver(() => {
    const now = shown();
    if (now !== last) { last = now; window.__changes.push([Date.now(), now]); }
}).observe(document.body, {childList: true, characterData: true, subtree: true});
"""


def provision(url: str, teams: int) -> tuple[int, list[int]]:
    with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}) as client:
        contract = client.post('/contracts', json={'name': 'Bench', 'region': 'FR'}).json()['id']
        ids = [
            client.post(f'/contracts/{contract}/teams', json={'name': f'Team {n:02}'}).json()['id']
            for n in range(teams)
        ]
        for team in ids:
            client.post(f'/contracts/{contract}/purchases', json={'id': f'lot-{team}', 'team': team, 'quantity': 5000})
        client.post(
            f'/contracts/{contract}/usage',
            json={
                'events': [
                    {
                        'id': f'u-{team}',
                        'team': team,
                        'user': 'u@example.com',
                        'product': 'cad',
                        'quantity': '12.5',
                        'occurred_at': datetime.now(UTC).isoformat(),
                    }
                    for team in ids
                ]
            },
        )
        client.post(f'/contracts/{contract}/admins', json={'email': EMAIL, 'password': PASSWORD})
    return contract, ids


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100)[share - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--teams', type=int, default=20)
    parser.add_argument('--events', type=int, default=50)
    parser.add_argument('--sign-ins', type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='balances-ui-bench-') as tmp:
        env = {
            'BALANCES_DB_URL': f'sqlite://{tmp}/bench.sqlite3',
            'BALANCES_DEMO': '0',
            'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        }
        with running(env, Path(tmp)) as server:
            contract, teams = provision(server.url, args.teams)
            driver = chromium()
            try:
                renders = []
                for _ in range(args.sign_ins):
                    driver.delete_all_cookies()
                    driver.get(f'{server.url}/login')
                    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'input'))
                    started = time.perf_counter()
                    sign_in(driver, server.url, EMAIL, PASSWORD)
                    wait_for(lambda: cards_showing(driver, '4,987.5') == args.teams, 10, 0.005)
                    renders.append((time.perf_counter() - started) * 1000)
                driver.execute_script(
                    OBSERVE, CARDS, AVAILABLE, 'Team 00'
                )  # the card may be drawn anew: found each time
                latencies = []
                with httpx.Client(
                    base_url=f'{server.url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}
                ) as client:
                    for n in range(args.events):
                        seen = len(driver.execute_script('return window.__changes'))
                        event = {
                            'id': f'live-{n}',
                            'team': teams[0],
                            'user': 'live@example.com',
                            'product': 'cad',
                            'quantity': '0.5',
                            'occurred_at': datetime.now(UTC).isoformat(),
                        }
                        response = client.post(f'/contracts/{contract}/usage', json={'events': [event]})
                        acknowledged = time.time() * 1000
                        assert response.status_code == 200, response.text
                        changes = wait_for(lambda: driver.execute_script('return window.__changes')[seen:], 5, 0.002)  # noqa: B023
                        latencies.append(max(0.0, changes[0][0] - acknowledged))
                        time.sleep(0.05)
            finally:
                driver.quit()
    median, worst = statistics.median(renders), max(renders)
    print(
        f'sign-in to all {args.teams} cards rendered, {args.sign_ins} runs: median {median:.0f} ms, max {worst:.0f} ms'
    )
    print(
        f'live update, API 200 to the changed number, {args.events} events: p50 {percentile(latencies, 50):.0f} ms, '
        f'p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms'
    )


if __name__ == '__main__':
    main()
