"""Cross-process live updates: from a POST /usage answered by process A to the number changing on a page of B

    .venv/bin/python bench/cross_process.py [--events 100]

Starts a throwaway PostgreSQL 15 cluster and two ``main.py`` processes on it, opens the page on B in headless
Chromium, and posts ``--events`` usage events to A one by one. A MutationObserver in the page stamps each change
of the team's "available" number; latency = that stamp − the moment A's 200 arrived (same machine clock).
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page_speed import OBSERVE  # noqa: E402
from tests.browser.driver import AVAILABLE, CARDS, wait_for  # noqa: E402
from tests.pg_cluster import throwaway_cluster  # noqa: E402
from tests.test_main import OPERATOR_KEY, running  # noqa: E402
from tests.test_multiprocess import open_page, provision, use  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--events', type=int, default=100)
    args = parser.parse_args()
    with throwaway_cluster() as url, tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = {
            'BALANCES_DB_URL': url,
            'BALANCES_DEMO': '0',
            'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
            'BALANCES_STORAGE_SECRET': 'shared',
        }
        for name in ('a', 'b'):
            (Path(tmp) / name).mkdir()
        a = stack.enter_context(running(env, Path(tmp) / 'a'))
        b = stack.enter_context(running(env, Path(tmp) / 'b'))
        contract, team = provision(a)
        driver = open_page(b)
        stack.callback(driver.quit)
        driver.execute_script(OBSERVE, CARDS, AVAILABLE, 'Structure')
        latencies = []
        for n in range(args.events):
            seen = len(driver.execute_script('return window.__changes'))
            use(a, contract, team, f'bench-{n}', '0.5')
            acknowledged = time.time() * 1000
            changes = wait_for(lambda: driver.execute_script('return window.__changes')[seen:], 5, 0.002)  # noqa: B023
            latencies.append(max(0.0, changes[0][0] - acknowledged))
            time.sleep(0.02)
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f'A commit -> B page, {args.events} events: p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms, '
        f'max {max(latencies):.0f} ms'
    )


if __name__ == '__main__':
    main()
