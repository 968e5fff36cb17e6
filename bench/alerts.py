"""Alerts under measure: from the ledger change that crosses a threshold to the webhook's arrival, and what rules
cost the ingestion

    .venv/bin/python bench/alerts.py [--crossings 100] [--batches 20] [--db-url postgres://…]

Starts ``main.py`` (SQLite, or an emptied PostgreSQL database) with a real SMTP server and a real webhook receiver
(``tests/alerting.py``). A team holds 1,000 tokens under the rule "fewer than 500 available" (webhook and e-mail);
``--crossings`` times, a usage POST takes it under (a firing notice), then a purchase lifts it again (a resolved
notice). The latency of each is measured from the POST's answer (the commit precedes it) to the receiver's call.

Then the ingestion: 1,000-event batches over 10 teams, with no rule at all and with 42 rules (every kind on every
team, the two kinds in days on the contract) that the batches keep evaluating, each run on a fresh database;
prints events/s and the ratio (the target is ≥ 90 %).
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import events  # noqa: E402
from tests.alerting import Receiver, smtp_server, wait_until, webhook_receiver  # noqa: E402
from tests.conftest import empty_schema  # noqa: E402
from tests.test_main import OPERATOR_KEY, running  # noqa: E402

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[share - 1]


def environment(db_url: str, smtp_url: str) -> dict[str, str]:
    return {
        'BALANCES_DB_URL': db_url,
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_SMTP_URL': smtp_url,
        'BALANCES_MAIL_FROM': 'alerts@balances.test',
        'BALANCES_PUBLIC_URL': 'https://balances.test',
        'BALANCES_WEBHOOK_ALLOW_PRIVATE': '1',
        'BALANCES_STORAGE_SECRET': 'bench',
    }


def database(db_url: str | None, folder: Path, name: str) -> str:
    if db_url is None:
        return f'sqlite://{folder}/{name}.sqlite3'
    empty_schema(db_url)
    return db_url


def crossings(url: str, receiver: Receiver, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds from each crossing's POST answer to its notice at the receiver: (firing, resolved)."""
    firing: list[float] = []
    resolved: list[float] = []
    with httpx.Client(base_url=f'{url}/api/v1', headers=OPERATOR, timeout=30) as api:
        contract = api.post('/contracts', json={'name': 'Atelier', 'region': 'FR'}).json()['id']
        base = f'/contracts/{contract}'
        team = api.post(f'{base}/teams', json={'name': 'Fluides'}).json()['id']
        api.post(f'{base}/purchases', json={'id': 'p0', 'team': team, 'quantity': '1000'}).raise_for_status()
        rule = {
            'kind': 'available_below',
            'threshold': '500',
            'team': team,
            'emails': ['ops@atelier.test'],
            'webhook_url': receiver.url,
        }
        api.post(f'{base}/alert-rules', json=rule).raise_for_status()
        for n in range(count):
            event = {
                'id': f'e{n}',
                'team': team,
                'user': 'ana@atelier.test',
                'product': 'cad',
                'quantity': '600',
                'occurred_at': datetime.now(UTC).isoformat(),
            }
            for body, path, times in (
                ({'events': [event]}, 'usage', firing),
                ({'id': f'p{n + 1}', 'team': team, 'quantity': '600'}, 'purchases', resolved),
            ):
                calls = len(receiver.calls)
                api.post(f'{base}/{path}', json=body).raise_for_status()
                answered = time.monotonic()
                wait_until(lambda calls=calls: len(receiver.calls) > calls, timeout=60)  # type: ignore[misc]
                times.append((receiver.calls[calls].at - answered) * 1000)
    return firing, resolved


def ingestion(url: str, batches: int, rules: bool, receiver: Receiver) -> float:
    """Events a second through ``POST /usage``, 1,000-event batches over 10 teams."""
    with httpx.Client(base_url=f'{url}/api/v1', headers=OPERATOR, timeout=120) as api:
        contract = api.post('/contracts', json={'name': 'Bench', 'region': 'FR'}).json()['id']
        base = f'/contracts/{contract}'
        teams = [api.post(f'{base}/teams', json={'name': f'T{n}'}).json()['id'] for n in range(10)]
        for team in teams:
            api.post(f'{base}/purchases', json={'id': f'lot-{team}', 'team': team, 'quantity': '99999999'})
        existing = api.get(f'{base}/alert-rules').json()['rules']
        for rule in existing:  # the seed's rule every new contract gets: the run without rules has none
            api.delete(f'{base}/alert-rules/{rule["id"]}').raise_for_status()
        if rules:
            for team in [*teams, None]:
                for kind, threshold in (
                    ('available_below', '50'),
                    ('available_below_percent', '20'),
                    ('expiring_within_days', 90),
                    ('runs_out_within_days', 30),
                ):
                    rule = {'kind': kind, 'threshold': threshold, 'webhook_url': receiver.url}
                    if team is not None:
                        rule['team'] = team
                    elif kind in ('available_below', 'available_below_percent'):
                        continue
                    api.post(f'{base}/alert-rules', json=rule).raise_for_status()
        now = datetime.now(UTC)
        api.post(f'{base}/usage', json={'events': events('warm', 1000, teams, now)}).raise_for_status()
        bodies = [{'events': events(f'b{n}', 1000, teams, now)} for n in range(batches)]
        started = time.perf_counter()
        for body in bodies:
            assert api.post(f'{base}/usage', json=body).json() == {'accepted': 1000, 'duplicates': 0}
        return batches * 1000 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--crossings', type=int, default=100)
    parser.add_argument('--batches', type=int, default=20)
    parser.add_argument('--db-url', help='an emptied PostgreSQL database instead of SQLite')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, smtp_server() as smtp, webhook_receiver() as receiver:
        folder = Path(tmp)
        env = environment(database(args.db_url, folder, 'crossings'), smtp.url)
        with running(env, folder) as server:
            firing, resolved = crossings(server.url, receiver, args.crossings)
        rates = {}
        for rules in (False, True):
            env = environment(database(args.db_url, folder, f'ingest-{rules}'), smtp.url)
            with running(env, folder) as server:
                rates[rules] = ingestion(server.url, args.batches, rules, receiver)
    lane = 'PostgreSQL' if args.db_url else 'SQLite'
    print(f'alerts on {lane}: {args.crossings} crossings each way, webhook and e-mail on the rule')
    for name, times in (('firing', firing), ('resolved', resolved)):
        print(
            f'  {name:>8}: POST answered → webhook received  p50 {statistics.median(times):6.0f} ms  '
            f'p95 {percentile(times, 95):6.0f} ms  max {max(times):6.0f} ms'
        )
    print(f'  ingestion without rules {rates[False]:8.0f} events/s')
    print(f'  ingestion with 42 rules {rates[True]:8.0f} events/s  ({rates[True] / rates[False]:.0%} of without)')
    command = f'.venv/bin/python bench/alerts.py --crossings {args.crossings} --batches {args.batches}'
    print(f'command: {command}' + (' --db-url …' if args.db_url else ''))


if __name__ == '__main__':
    main()
