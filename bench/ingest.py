"""Ingestion benchmark: usage over real HTTP into ``main.py`` on SQLite, and the raw insert ceiling

    .venv/bin/python bench/ingest.py [--batches 40] [--singles 500] [--db-url postgres://…]

1. Starts ``main.py`` as a real process (``BALANCES_DEMO=0``, a fresh SQLite file, an operator key) and posts
   ``--batches`` batches of 1,000 usage events, one after the other: events/s with ledger allocation, idempotency
   checks, rollups and a commit per batch.
2. Posts ``--singles`` single-event batches: latency p50 / p95 / p99 of a ``POST /usage``.
3. Inserts the same rows straight into the ``usage_event`` table of another fresh database, in one
   ``executemany`` per 1,000 (no HTTP, no ledger, no rollup): the ceiling.
"""

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = 'bench-operator-key'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def events(prefix: str, count: int, teams: list[int], now: datetime) -> list[dict[str, object]]:
    return [
        {
            'id': f'{prefix}-{i}',
            'team': teams[i % len(teams)],
            'user': f'user{i % 40}@example.com',
            'product': f'product-{i % 12}',
            'quantity': f'{1 + i % 7}.25',
            'occurred_at': (now - timedelta(minutes=i % 40_000)).isoformat(),
        }
        for i in range(count)
    ]


def start(folder: Path, db_url: str | None) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != 'PYTEST_CURRENT_TEST'}
    env |= {
        'BALANCES_DB_URL': db_url or f'sqlite://{folder}/bench.sqlite3',
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': KEY,
        'BALANCES_PORT': str(port),
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py')],
        cwd=folder,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if 'Balances is serving on' in line:
            return process, f'http://127.0.0.1:{port}/api/v1'
    raise SystemExit('main.py did not start')


def over_http(folder: Path, batches: int, singles: int, db_url: str | None) -> tuple[float, list[float], list[int]]:
    process, url = start(folder, db_url)
    try:
        with httpx.Client(base_url=url, headers={'Authorization': f'Bearer {KEY}'}, timeout=60) as client:
            contract = client.post('/contracts', json={'name': 'Bench', 'region': 'FR'}).json()['id']
            base = f'/contracts/{contract}'
            teams = [client.post(f'{base}/teams', json={'name': f'T{n}'}).json()['id'] for n in range(4)]
            for team in teams:
                client.post(f'{base}/purchases', json={'id': f'lot-{team}', 'team': team, 'quantity': '99999999999'})
            now = datetime.now(UTC)
            client.post(f'{base}/usage', json={'events': events('warm', 1000, teams, now)}).raise_for_status()
            bodies = [{'events': events(f'b{n}', 1000, teams, now)} for n in range(batches)]
            started = time.perf_counter()
            for body in bodies:
                response = client.post(f'{base}/usage', json=body)
                assert response.json() == {'accepted': 1000, 'duplicates': 0}, response.text
            rate = batches * 1000 / (time.perf_counter() - started)
            latencies = []
            for n in range(singles):
                body = {'events': events(f's{n}', 1, teams, datetime.now(UTC))}
                started = time.perf_counter()
                client.post(f'{base}/usage', json=body).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
        return rate, latencies, teams
    finally:
        process.terminate()
        process.wait()


def raw_ceiling(folder: Path, batches: int, teams: list[int]) -> float:
    """The same rows, straight into usage_event of a migrated database: no HTTP, no ledger, no rollup."""
    from services.accounts import contracts
    from services.infrastructure.database import close_database, open_database

    path = folder / 'raw.sqlite3'

    async def prepare() -> None:
        await open_database(f'sqlite://{path}')
        contract = await contracts.create_contract('Raw', 'FR')
        for n in range(len(teams)):
            await contracts.create_team(contract.id, f'T{n}')
        await close_database()

    asyncio.run(prepare())
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('PRAGMA journal_mode=WAL')
    now = datetime.now(UTC)
    batches_rows = []
    for n in range(batches):
        batches_rows.append(
            [
                (
                    str(uuid.uuid4()),
                    1,
                    e['id'],
                    'f' * 64,
                    1 + i % len(teams),
                    1 + i % len(teams),
                    e['user'],
                    e['product'],
                    10_000 * (1 + i % 7) + 2_500,
                    str(e['occurred_at']).replace('T', ' '),
                    now.isoformat(' '),
                )
                for i, e in enumerate(events(f'b{n}', 1000, list(range(1, len(teams) + 1)), now))
            ]
        )
    sql = (
        'INSERT INTO usage_event (id, contract_id, client_id, fingerprint, holder_id, team_id, user_name, product, '
        'quantity, occurred_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    )
    started = time.perf_counter()
    for rows in batches_rows:
        connection.execute('BEGIN')
        connection.executemany(sql, rows)
        connection.execute('COMMIT')
    return batches * 1000 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batches', type=int, default=40)
    parser.add_argument('--singles', type=int, default=500)
    parser.add_argument('--db-url', help='an empty PostgreSQL database instead of a fresh SQLite file')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='balances-bench-') as tmp:
        folder = Path(tmp)
        rate, latencies, teams = over_http(folder, args.batches, args.singles, args.db_url)
        ceiling = raw_ceiling(folder, args.batches, teams)
    cuts = statistics.quantiles(latencies, n=100)
    database = 'PostgreSQL' if args.db_url else f'SQLite {sqlite3.sqlite_version}'
    print(f'machine: {os.cpu_count()} cores, {database}, Python {sys.version.split()[0]}')
    print(f'ingestion over HTTP, {args.batches} x 1,000-event batches: {rate:,.0f} events/s')
    print(f'raw bulk insert of the same rows (ceiling, SQLite): {ceiling:,.0f} events/s')
    print(
        f'single-event POST /usage x {args.singles}: p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, '
        f'p99 {cuts[98]:.1f} ms, max {max(latencies):.1f} ms'
    )


if __name__ == '__main__':
    main()
