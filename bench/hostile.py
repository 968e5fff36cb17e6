"""Hostile bodies and a responsive server: /api/v1/health latency while hostile requests are posted

    .venv/bin/python bench/hostile.py [--seconds 20] [--db-url postgres://…]

Starts ``main.py`` (SQLite, or an emptied PostgreSQL database), provisions a contract, then for ``--seconds``
posts the hostile bodies of ``tests/api/test_hostile.py`` one after another (huge exponents, 4,000-digit integers,
bodies nested 100,000 deep, over-long and control-character texts, non-UTF-8 bytes) while another thread asks
``/api/v1/health`` every 10 ms. Prints the health latency p50/p99/max, beside a baseline run of the same length
with no hostile traffic, and how long each kind of hostile request took to be refused.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.api.test_hostile import RAW_BODIES, USAGE_BODIES, _provision  # noqa: E402
from tests.conftest import empty_schema  # noqa: E402
from tests.test_main import OPERATOR_KEY, running  # noqa: E402


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[share - 1]


def health(url: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    with httpx.Client() as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            client.get(f'{url}/api/v1/health')
            latencies.append((time.monotonic() - started) * 1000)
            time.sleep(0.01)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--db-url', default='')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db_url or f'sqlite://{tmp}/hostile.sqlite3'
        if args.db_url:
            empty_schema(args.db_url)
        env = {'BALANCES_DB_URL': db_url, 'BALANCES_DEMO': '0', 'BALANCES_OPERATOR_KEY': OPERATOR_KEY}
        with running(env, Path(tmp)) as server:
            contract, team, usage_key, _, _ = _provision(server.url)
            quiet = health(server.url, args.seconds)
            results: list[float] = []
            refused: dict[str, list[float]] = defaultdict(list)
            poller = threading.Thread(target=lambda: results.extend(health(server.url, args.seconds)))
            poller.start()
            bodies = [(what, body.replace(b'{team}', str(team).encode())) for what, body, _ in USAGE_BODIES]
            bodies += [(what, body) for what, body, _ in RAW_BODIES]
            headers = {'Authorization': f'Bearer {usage_key}', 'Content-Type': 'application/json'}
            with httpx.Client(base_url=f'{server.url}/api/v1', headers=headers, timeout=60) as client:
                while poller.is_alive():
                    for what, body in bodies:
                        started = time.monotonic()
                        answer = client.post(f'/contracts/{contract}/usage', content=body)
                        assert 400 <= answer.status_code < 500, (what, answer.status_code)
                        refused[what].append((time.monotonic() - started) * 1000)
            poller.join()
    database = 'PostgreSQL' if args.db_url else 'SQLite'
    print(f'{database}; command: .venv/bin/python bench/hostile.py {" ".join(sys.argv[1:])}')
    print(f'{sum(map(len, refused.values())):,} hostile requests in {args.seconds:g} s\n')
    print('| /health latency, ms | p50 | p99 | max |')
    print('|---|---|---|---|')
    for name, values in (('no hostile traffic (baseline)', quiet), ('hostile bodies posted meanwhile', results)):
        print(f'| {name} | {percentile(values, 50):.1f} | {percentile(values, 99):.1f} | {max(values):.1f} |')
    print('\n| hostile request | refused in, median ms | max ms |')
    print('|---|---|---|')
    for what, times in refused.items():
        print(f'| {what} | {statistics.median(times):.1f} | {max(times):.1f} |')


if __name__ == '__main__':
    main()
