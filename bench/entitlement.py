"""The entitlement check under load: R checks a second while usage flows into every contract

    .venv/bin/python bench/entitlement.py [--rate 200] [--usage 20] [--seconds 30] [--contracts 20] [--db-url postgres://…]

A fresh ``main.py`` on a fresh database (SQLite in a temporary folder, or the PostgreSQL of ``--db-url``, emptied):
``--contracts`` Flex contracts of 5 teams (one holding nothing), 6 products at daily rates, a product list on one
team of each and a denying cap on one user who reached it, so that checks meet every reason. Then, for
``--seconds``, open-loop (sent on schedule, whatever is still waiting): ``--rate`` entitlement checks a second on
random contracts, teams, users and products, ``--usage`` POSTs a second to the next contract in turn, alternately 5
usage events and 5 product sessions, and ``/api/v1/health`` ten times a second. Printed: checks/s answered, check
p50/p99, health p50/p99 in the same run and the ratio of the two, POST p50/p99, the reasons met, and the server's
CPU.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browsers import Busy, Process, percentile  # noqa: E402
from bench.live import empty_postgres  # noqa: E402
from tests.test_main import running  # noqa: E402

OPERATOR_KEY = 'bench-operator-key'
HEADERS = {'Authorization': f'Bearer {OPERATOR_KEY}'}
PRODUCTS = {'cad': '7', 'render': '10', 'gis': '4', 'bim': '6', 'sim': '9', 'scan': '2'}
USERS = [f'user{n}@example.com' for n in range(20)]


async def provision(http: aiohttp.ClientSession, base: str, count: int) -> list[tuple[int, list[int]]]:
    async def post(path: str, body: dict[str, Any], expected: tuple[int, ...] = (200, 201)) -> Any:
        async with http.post(f'{base}/api/v1{path}', json=body, headers=HEADERS) as r:
            assert r.status in expected, await r.text()
            return await r.json()

    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for code, rate in PRODUCTS.items():
        await post('/products', {'code': code, 'name': code.title(), 'daily_rate': rate, 'effective_from': since})
    found = []
    for n in range(count):
        contract = (await post('/contracts', {'name': f'Customer {n}', 'region': 'FR'}))['id']
        teams = [(await post(f'/contracts/{contract}/teams', {'name': f'T{t}'}))['id'] for t in range(5)]
        for team in teams[:4]:  # the fifth team holds nothing: insufficient_balance
            await post(f'/contracts/{contract}/purchases', {'id': f'lot-{team}', 'team': team, 'quantity': '1000000'})
        async with http.put(f'{base}/api/v1/contracts/{contract}/teams/{teams[0]}/products', headers=HEADERS,
                            json={'allowed': ['cad', 'render']}) as r:  # fmt: skip
            assert r.status == 200, await r.text()
        await post(f'/contracts/{contract}/caps', {'user': USERS[0], 'period': 'day', 'limit': '0.0001',
                                                   'stages': [{'at_percent': 100, 'action': 'deny'}]})  # fmt: skip
        used = {'id': f'capped-{contract}', 'team': teams[1], 'user': USERS[0], 'product': 'cad', 'quantity': '1',
                'occurred_at': datetime.now(UTC).isoformat()}  # fmt: skip
        await post(f'/contracts/{contract}/usage', {'events': [used]})
        found.append((contract, teams))
    return found


async def drive(base: str, tenants: list[tuple[int, list[int]]], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    checks: list[float] = []
    health: list[float] = []
    posts: list[float] = []
    reasons: Counter[str] = Counter()
    failures = Counter[int]()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers=HEADERS) as http:

        async def timed(method: str, url: str, into: list[float], **kwargs: Any) -> Any:
            started = time.monotonic()
            async with http.request(method, url, **kwargs) as response:
                body = await response.json() if response.content_type == 'application/json' else None
                if response.status != 200:
                    failures[response.status] += 1
            into.append((time.monotonic() - started) * 1000)
            return body

        async def check() -> None:
            contract, teams = rng.choice(tenants)
            params = {'user': rng.choice(USERS), 'product': rng.choice([*PRODUCTS, 'nothing']),
                      'team': rng.choice(teams)}  # fmt: skip
            found = await timed('GET', f'{base}/api/v1/contracts/{contract}/entitlement', checks, params=params)
            if found:
                reasons[found['reason']] += 1

        async def use(n: int) -> None:
            contract, teams = tenants[n % len(tenants)]
            teams = teams[:4]
            at = datetime.now(UTC).isoformat()
            if n % 2:  # every other POST: product sessions, rated into windows (so that checks meet open windows)
                sessions = [
                    {
                        'id': f's{n}-{i}',
                        'team': rng.choice(teams),
                        'user': rng.choice(USERS[1:]),
                        'product': rng.choice(list(PRODUCTS)),
                        'started_at': at,
                        'minutes': rng.choice((3, 30, 90)),
                    }
                    for i in range(5)
                ]
                await timed('POST', f'{base}/api/v1/contracts/{contract}/sessions', posts, json={'sessions': sessions})
                return
            events = [
                {
                    'id': f'e{n}-{i}',
                    'team': rng.choice(teams),
                    'user': rng.choice(USERS[1:]),
                    'product': rng.choice(list(PRODUCTS)),
                    'quantity': '0.25',
                    'occurred_at': at,
                }
                for i in range(5)
            ]
            await timed('POST', f'{base}/api/v1/contracts/{contract}/usage', posts, json={'events': events})

        started = time.monotonic()
        tasks: list[asyncio.Task[None]] = []
        streams = [(args.rate, check), (args.usage, None), (10.0, None)]
        next_at = [started] * len(streams)
        sent = Counter[int]()
        while time.monotonic() - started < args.seconds:
            index = min(range(len(streams)), key=lambda i: next_at[i])
            await asyncio.sleep(max(0.0, next_at[index] - time.monotonic()))
            rate = streams[index][0]
            next_at[index] += 1 / rate
            sent[index] += 1
            if index == 0:
                tasks.append(asyncio.create_task(check()))
            elif index == 1:
                tasks.append(asyncio.create_task(use(sent[1])))
            else:
                tasks.append(asyncio.create_task(timed('GET', f'{base}/api/v1/health', health)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    return {
        'checks/s answered': len(checks) / elapsed,
        'check p50 ms': percentile(checks, 50),
        'check p99 ms': percentile(checks, 99),
        'health p50 ms': percentile(health, 50),
        'health p99 ms': percentile(health, 99),
        'check p99 / health p99': percentile(checks, 99) / max(0.001, percentile(health, 99)),
        'post p50 ms': percentile(posts, 50),
        'post p99 ms': percentile(posts, 99),
        'reasons': dict(reasons),
        'failures': dict(failures),
    }


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix='balances-entitlement-bench-') as tmp:
        if args.db_url:
            await empty_postgres(args.db_url)
        env = {
            'BALANCES_DB_URL': args.db_url or f'sqlite://{tmp}/bench.sqlite3',
            'BALANCES_DEMO': '0',
            'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
            'BALANCES_STORAGE_SECRET': 'bench',
        }
        with running(env, Path(tmp)) as server:
            async with aiohttp.ClientSession() as http:
                tenants = await provision(http, server.url, args.contracts)
            process = Process(server.process.pid)
            busy = Busy([process], process)
            result = await drive(server.url, tenants, args)
            result['server cpu %'] = busy.shares()[0]
    where = 'PostgreSQL' if args.db_url else 'SQLite'
    print(f'\n{where}: {args.rate:g} checks/s and {args.usage:g} usage POSTs/s of 5 events for {args.seconds:g} s, '
          f'{args.contracts} contracts')  # fmt: skip
    print(f'command: .venv/bin/python bench/entitlement.py {" ".join(sys.argv[1:])}\n')
    print('| figure | value |\n|---|---|')
    for name, value in result.items():
        print(f'| {name} | {value:,.1f} |' if isinstance(value, float) else f'| {name} | {value} |')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rate', type=float, default=200)
    parser.add_argument('--usage', type=float, default=20)
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--contracts', type=int, default=20)
    parser.add_argument('--db-url', default='')
    asyncio.run(main_async(parser.parse_args()))


if __name__ == '__main__':
    main()
