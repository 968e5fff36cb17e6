"""Live pages at scale: N open pages of one contract while usage arrives

    .venv/bin/python bench/live.py [--pages 0,1,50,200,500,1000] [--teams 50] [--seconds 30] [--rate 10]
                                   [--batch 5] [--ingest-seconds 20] [--db-url postgres://…]

For each N: a fresh ``main.py`` on a fresh database (SQLite in a temporary folder, or the PostgreSQL database of
``--db-url``, emptied), and a Flex contract of ``--teams`` teams. Chromium signs in once; its session cookie then
opens N pages, in a process of their own (as browsers are: their messages do not delay the loop that times the
requests), as the browser does: ``GET /``, then NiceGUI's socket.io (engine.io 4 on a websocket, the implicit
handshake, the board's join, pings answered, acks every 3 s). Then ``--rate`` POSTs a second of ``--batch`` events,
each to one team, one after another, for ``--seconds``, while ``/api/v1/health`` is read every 100 ms; then
1,000-event batches as fast as they go for ``--ingest-seconds``.

Printed per N: server memory per open page (RSS growth / N), server CPU and the pages' process's, page open
p50/p99 and failures, health p50/p99, POST p50/p99 (and the slowest 1 %: when, and whether a collector pause met
them), POST 200 → the new number on every page p50/p95/p99, updates that never arrived, SQL statements of the live
model per ledger change (``BALANCES_STATS``), broadcasts, ingestion in events/s (and meanwhile the CPU of the
server, of the pages, of PostgreSQL and stolen by the machine's neighbours), the collector's pauses; and the ratio
of each to the baseline run beside it (N = 0, or N = 1 for per-page figures).
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing import Pipe, get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browsers import Busy, Page, Process, Seen, cell, percentile  # noqa: E402
from tests.browser.driver import chromium, sign_in, wait_for  # noqa: E402
from tests.test_main import running  # noqa: E402

OPERATOR_KEY = 'bench-operator-key'
EMAIL, PASSWORD = 'bench@example.com', 'a benchmark password'
START = Decimal(1_000_000)
QUANTITY = Decimal('0.25')


def hold_pages(url: str, cookies: dict[str, str], count: int, driver: Connection) -> None:
    """Open ``count`` pages in a process of their own and keep them open: the browsers are not in the loop that
    times the POSTs and the health reads (500 pages' messages would delay its answers, not the server's).

    Sends (open times, failures, pages open) once they are open; on ``report``, the numbers each page was shown
    (times by ``time.monotonic``, the same clock in every process); on ``close``, closes them and ends."""
    asyncio.run(_hold_pages(url, cookies, count, driver))


async def _hold_pages(url: str, cookies: dict[str, str], count: int, driver: Connection) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookies=cookies) as http:
        pages = [Page() for _ in range(count)]
        opening: list[float] = []
        failures = 0
        gate = asyncio.Semaphore(25)

        async def open_page(page: Page) -> None:
            nonlocal failures
            async with gate:
                started = time.monotonic()
                try:
                    await page.open(http, url)
                    opening.append((time.monotonic() - started) * 1000)
                except Exception as error:  # noqa: BLE001 - any failure to open counts, and the run goes on
                    failures += 1
                    print(f'  a page failed to open: {error!r}', flush=True)

        await asyncio.gather(*(open_page(page) for page in pages))
        opened = [page for page in pages if page.task is not None]
        driver.send((opening, failures, len(opened)))
        while (order := await asyncio.to_thread(driver.recv)) != 'close':
            assert order == 'report', order
            driver.send([page.seen for page in opened])
        for page in pages:
            await page.close()


@dataclass
class Post:
    team: int
    expected: Decimal
    answered: float
    latency: float
    wall: float = 0.0  # when it was sent, by the wall clock (the server's collector pauses are timed by it)


async def provision(http: aiohttp.ClientSession, base: str, teams: int) -> tuple[int, list[int]]:
    async def post(path: str, body: dict[str, Any]) -> Any:
        async with http.post(
            f'{base}/api/v1{path}', json=body, headers={'Authorization': f'Bearer {OPERATOR_KEY}'}
        ) as r:
            assert r.status in (200, 201), await r.text()
            return await r.json()

    contract = (await post('/contracts', {'name': 'Bench', 'region': 'FR', 'timezone': 'Europe/Paris'}))['id']
    ids = [(await post(f'/contracts/{contract}/teams', {'name': f'Team {n:03}'}))['id'] for n in range(teams)]
    for team in ids:
        await post(f'/contracts/{contract}/purchases', {'id': f'lot-{team}', 'team': team, 'quantity': str(START)})
    await post(f'/contracts/{contract}/admins', {'email': EMAIL, 'password': PASSWORD})
    return contract, ids


def session_cookies(url: str) -> dict[str, str]:
    driver = chromium()
    try:
        sign_in(driver, url, EMAIL, PASSWORD)
        wait_for(lambda: driver.find_elements('css selector', 'section[data-marker^="card-"]'), 15)
        return {cookie['name']: cookie['value'] for cookie in driver.get_cookies()}
    finally:
        driver.quit()


def events(team: int, tag: str, count: int) -> list[dict[str, Any]]:
    occurred = datetime.now(UTC).isoformat()
    return [
        {'id': f'{tag}-{i}', 'team': team, 'user': f'u{i % 40}@example.com', 'product': f'p{i % 7}',
         'quantity': str(QUANTITY), 'occurred_at': occurred}
        for i in range(count)
    ]  # fmt: skip


async def drive(
    http: aiohttp.ClientSession, base: str, contract: int, teams: list[int], args: argparse.Namespace
) -> tuple[list[Post], list[float]]:
    headers = {'Authorization': f'Bearer {OPERATOR_KEY}'}
    available = dict.fromkeys(teams, START)
    posts: list[Post] = []
    health: list[float] = []
    done = asyncio.Event()

    async def watch_health() -> None:
        while not done.is_set():
            started = time.monotonic()
            async with http.get(f'{base}/api/v1/health') as response:
                await response.read()
            health.append((time.monotonic() - started) * 1000)
            await asyncio.sleep(0.1)

    watcher = asyncio.create_task(watch_health())
    started = time.monotonic()
    for n in range(int(args.seconds * args.rate)):
        await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        team = teams[(n * 7) % len(teams)]
        sent, wall = time.monotonic(), time.time()
        body = {'events': events(team, f'drive-{n}', args.batch)}
        async with http.post(f'{base}/api/v1/contracts/{contract}/usage', json=body, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        answered = time.monotonic()
        available[team] -= QUANTITY * args.batch
        posts.append(Post(team, available[team], answered, (answered - sent) * 1000, wall))
    done.set()
    await watcher
    return posts, health


async def ingest(http: aiohttp.ClientSession, base: str, contract: int, teams: list[int], seconds: float) -> float:
    headers = {'Authorization': f'Bearer {OPERATOR_KEY}'}
    sent, started, n = 0, time.monotonic(), 0
    while time.monotonic() - started < seconds:
        body = {'events': events(teams[n % len(teams)], f'ingest-{n}', 1000)}
        async with http.post(f'{base}/api/v1/contracts/{contract}/usage', json=body, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        sent, n = sent + 1000, n + 1
    return sent / (time.monotonic() - started)


def delays(posts: list[Post], pages: list[Seen], wait: float) -> tuple[list[float], int]:
    """Per POST and page: the first moment the page showed the team at or below the expected number."""
    latencies, missed = [], 0
    for seen in pages:
        for post in posts:
            shown = seen.get(str(post.team), [])
            first = next((at for at, value in shown if value <= post.expected), None)
            if first is None or first - post.answered > wait:
                missed += 1
            else:
                latencies.append(max(0.0, first - post.answered) * 1000)
    return latencies, missed


async def empty_postgres(url: str) -> None:
    connection = await asyncpg.connect(url)
    await connection.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
    await connection.close()


async def run_one(count: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    folder = tmp / f'pages-{count}'
    folder.mkdir()
    db_url = args.db_url or f'sqlite://{folder}/bench.sqlite3'
    if args.db_url:
        await empty_postgres(args.db_url)
    stats = folder / 'stats.json'
    env = {
        'BALANCES_DB_URL': db_url,
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_STATS': str(stats),
        'BALANCES_STORAGE_SECRET': 'bench',
    }
    result: dict[str, Any] = {'pages': count}
    with running(env, folder) as server:
        process = Process(server.process.pid)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            contract, teams = await provision(http, server.url, args.teams)
        cookies = await asyncio.to_thread(session_cookies, server.url) if count else {}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookies=cookies) as http:
            await asyncio.sleep(1)
            before = process.rss()
            pages, holder = Pipe()
            holding = get_context('spawn').Process(target=hold_pages, args=(server.url, cookies, count, holder))
            holding.start()
            opening, failures, opened = await asyncio.to_thread(pages.recv)
            await asyncio.sleep(3)
            result['memory per page KB'] = (process.rss() - before) / max(1, opened) / 1024
            result['open p50 ms'], result['open p99 ms'] = percentile(opening, 50), percentile(opening, 99)
            result['open failures'] = failures
            browsers = Process(holding.pid or 0)
            busy, drive_wall = Busy([process], browsers), time.time()
            posts, health = await drive(http, server.url, contract, teams, args)
            drive_window = drive_wall, time.time()
            result['cpu %'], result['pages process cpu %'], _, result['machine steal %'] = busy.shares()
            await asyncio.sleep(args.wait)
            pages.send('report')
            latencies, missed = delays(posts, await asyncio.to_thread(pages.recv), args.wait)
            result['health p50 ms'], result['health p99 ms'] = percentile(health, 50), percentile(health, 99)
            latency = [post.latency for post in posts]
            result['post p50 ms'], result['post p99 ms'] = percentile(latency, 50), percentile(latency, 99)
            result['update p50 ms'] = percentile(latencies, 50)
            result['update p95 ms'] = percentile(latencies, 95)
            result['update p99 ms'] = percentile(latencies, 99)
            result['updates missed'] = missed
            result['updates expected'] = len(posts) * opened
            busy = Busy([process], browsers)
            result['ingest events/s'] = await ingest(http, server.url, contract, teams, args.ingest_seconds)
            (
                result['cpu % while ingesting'],
                result['pages process cpu % while ingesting'],
                result['postgresql cpu % while ingesting'],
                result['machine steal % while ingesting'],
            ) = busy.shares()
            if args.census:
                # the server counts its objects as it stops: with the pages still open
                server.process.terminate()
                server.process.wait(timeout=60)
            pages.send('close')
            await asyncio.to_thread(holding.join, 60)
    figures = json.loads(stats.read_text())
    if args.census:
        print(json.dumps(figures['census'], indent=1))
    live = figures['live']
    result['statements per change'] = figures['statements'].get('live', 0) / max(1, live['changes'])
    result['changes'], result['flushes'], result['broadcasts'] = live['changes'], live['flushes'], figures['broadcasts']
    result['recompute ms per flush'] = live['seconds'] * 1000 / max(1, live['flushes'])
    result['gc gen2 max ms'] = figures['gc']['gen2']['max ms']
    result['gc gen2 count'] = figures['gc']['gen2']['count']
    result['gc gen1 max ms'] = figures['gc']['gen1']['max ms']
    during = [ms for at, _, ms in figures['gc long pauses'] if drive_window[0] <= at <= drive_window[1]]
    result['gc pauses ≥ 10 ms while driven'] = len(during)
    result['gc max ms while driven'] = max(during, default=0.0)
    slowest = sorted(posts, key=lambda post: post.latency)[-max(1, len(posts) // 100) :]
    pauses = [(at - ms / 1000, at) for at, _, ms in figures['gc long pauses']]
    result['slowest 1 % of POSTs in a gc pause'] = sum(
        any(start < post.wall + post.latency / 1000 and post.wall < end for start, end in pauses) for post in slowest
    )
    moments = ', '.join(f'{post.latency:.0f} ms at {post.wall - drive_window[0]:.1f} s' for post in slowest)
    print(f'  the slowest POSTs: {moments} into the drive', flush=True)
    return result


ORDER = [
    'memory per page KB', 'cpu %', 'pages process cpu %', 'machine steal %', 'open p50 ms', 'open p99 ms',
    'open failures', 'health p50 ms', 'health p99 ms', 'post p50 ms', 'post p99 ms', 'update p50 ms',
    'update p95 ms', 'update p99 ms', 'updates missed', 'updates expected', 'statements per change', 'changes',
    'flushes', 'recompute ms per flush', 'broadcasts', 'ingest events/s', 'cpu % while ingesting',
    'pages process cpu % while ingesting', 'postgresql cpu % while ingesting', 'machine steal % while ingesting',
    'gc gen2 max ms', 'gc gen2 count', 'gc gen1 max ms', 'gc pauses ≥ 10 ms while driven', 'gc max ms while driven',
    'slowest 1 % of POSTs in a gc pause',
]  # fmt: skip
PER_PAGE = {'memory per page KB', 'update p50 ms', 'update p95 ms', 'update p99 ms', 'open p50 ms', 'open p99 ms'}


def table(results: list[dict[str, Any]]) -> str:
    base = {r['pages']: r for r in results}
    lines = ['| figure | ' + ' | '.join(f'{r["pages"]} pages' for r in results) + ' |']
    lines.append('|---|' + '---|' * len(results))
    for name in ORDER:
        cells = []
        for r in results:
            reference = base.get(1 if name in PER_PAGE else 0)
            cells.append(cell(r.get(name), reference if reference is not r else None, name))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--pages', default='0,1,50,200,500,1000')
    parser.add_argument('--teams', type=int, default=50)
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--rate', type=float, default=10)
    parser.add_argument('--batch', type=int, default=5)
    parser.add_argument('--wait', type=float, default=30, help='seconds an update may take before it counts as missed')
    parser.add_argument('--ingest-seconds', type=float, default=20)
    parser.add_argument('--db-url', default='')
    parser.add_argument('--census', action='store_true', help='print what objects the server holds with the pages open')
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix='balances-live-bench-') as tmp:
        for count in (int(n) for n in args.pages.split(',')):
            print(f'{count} pages…', flush=True)
            results.append(asyncio.run(run_one(count, args, Path(tmp))))
            print(json.dumps(results[-1], default=str), flush=True)
    database = 'PostgreSQL' if args.db_url else 'SQLite'
    print(f'\n{database}, {args.teams} teams, {args.rate:g} POSTs/s of {args.batch} events for {args.seconds:g} s')
    print(f'command: .venv/bin/python bench/live.py {" ".join(sys.argv[1:])}\n')
    print(table(results))


if __name__ == '__main__':
    main()
