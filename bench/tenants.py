"""Live pages of many customers at once: M contracts × P pages each while usage arrives spread over all of them

    .venv/bin/python bench/tenants.py [--shapes 1x500@10,100x5@10,500x1@10,1000x1@10,500x1@50] [--teams 5]
                                      [--seconds 30] [--idle-seconds 30] [--db-url postgres://…]
                                      [--processes 3]  # the cluster: app processes behind HAProxy (PostgreSQL)

A shape ``MxP@R`` is M contracts of ``--teams`` teams, each with its own administrator who signs in once (the
sign-in page, NiceGUI's socket.io, ``/auth/enter``, as a browser does) and opens P pages of it (``GET /``, socket.io,
the board's join); then R POSTs a second of 5 events each, open-loop (sent on schedule, whatever is still waiting),
each to one team of the next contract in turn. Each shape runs on a fresh ``main.py`` (or ``--processes`` of them
behind a real HAProxy) on a fresh database (SQLite in a temporary folder, or the PostgreSQL of ``--db-url``, emptied).

Printed per shape: pages failed to open, page open p50/p99, server memory per open page and per contract (RSS growth
/ pages, / contracts), CPU with the pages open and no usage (``--idle-seconds``) and while driven, health p50/p99,
POST p50/p99, POST 200 → the new number on every page of that contract p50/p95/p99, updates missed (not shown within
``--wait`` s), live flushes a second and SQL statements of the live path per ledger change (``BALANCES_STATS``) —
each with its ratio to the ``1x500`` shape of the same run, when it ran. With ``--processes``, one process is killed
halfway through the drive: the pages it held must come back through the balancer (reconnect, reload) and be current
again; the seconds that took (the first page, the median, the last) and the POSTs lost are printed, and the update
p95 of the pages that kept their process (the whole run: the moved pages' updates wait for their page to be back).
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing import Pipe, get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browsers import Busy, Page, Process, Seen, cell, percentile, sign_in  # noqa: E402
from bench.live import empty_postgres  # noqa: E402
from tests.test_main import running  # noqa: E402

OPERATOR_KEY = 'bench-operator-key'
PASSWORD = 'a benchmark password'  # noqa: S105 - the throwaway database's administrators
START = Decimal(1_000_000)
QUANTITY = Decimal('0.25')
BATCH = 5


@dataclass(frozen=True)
class Shape:
    contracts: int
    pages: int
    rate: float

    @classmethod
    def parse(cls, text: str) -> 'Shape':
        size, _, rate = text.partition('@')
        contracts, _, pages = size.partition('x')
        return cls(int(contracts), int(pages), float(rate or 10))

    def __str__(self) -> str:
        return f'{self.contracts}x{self.pages}@{self.rate:g}'


@dataclass
class Tenant:
    contract: int
    teams: list[int]
    email: str


async def provision(base: str, count: int, teams: int) -> list[Tenant]:
    """``count`` Flex contracts of ``teams`` teams with a million tokens each, and an administrator each."""
    headers = {'Authorization': f'Bearer {OPERATOR_KEY}'}
    gate = asyncio.Semaphore(8)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers=headers) as http:

        async def post(path: str, body: dict[str, Any]) -> Any:
            async with http.post(f'{base}/api/v1{path}', json=body) as r:
                assert r.status in (200, 201), await r.text()
                return await r.json()

        async def one(n: int) -> Tenant:
            async with gate:
                body = {'name': f'Customer {n:04}', 'region': 'FR', 'timezone': 'Europe/Paris'}
                contract = (await post('/contracts', body))['id']
                ids = [(await post(f'/contracts/{contract}/teams', {'name': f'Team {t}'}))['id'] for t in range(teams)]
                for team in ids:
                    lot = {'id': f'lot-{team}', 'team': team, 'quantity': str(START)}
                    await post(f'/contracts/{contract}/purchases', lot)
                email = f'admin{n}@customer{n}.example'
                await post(f'/contracts/{contract}/admins', {'email': email, 'password': PASSWORD})
                return Tenant(contract, ids, email)

        return list(await asyncio.gather(*(one(n) for n in range(count))))


def hold_pages(url: str, tenants: list[Tenant], per_tenant: int, driver: Connection, reloads: bool = False) -> None:
    """In a process of its own, as browsers are: each administrator signs in and opens ``per_tenant`` pages.

    Sends (open times, failures, pages) once they are open; on ``report``, the numbers each page was shown by
    contract (times by ``time.monotonic``, the same clock in every process); on ``close``, closes them and ends."""
    asyncio.run(_hold_pages(url, tenants, per_tenant, driver, reloads))


async def _hold_pages(url: str, tenants: list[Tenant], per_tenant: int, driver: Connection, reloads: bool) -> None:
    gate = asyncio.Semaphore(25)
    opening: list[float] = []
    failures: list[str] = []
    pages: list[Page] = []
    sessions: list[aiohttp.ClientSession] = []

    async def open_page(http: aiohttp.ClientSession, tenant: Tenant) -> None:
        async with gate:
            page = Page(tenant.contract, reloads=reloads)
            started = time.monotonic()
            try:
                await page.open(http, url)
            except Exception as error:  # noqa: BLE001 - any failure to open counts, and the run goes on
                failures.append(repr(error))
                return
            opening.append((time.monotonic() - started) * 1000)
            pages.append(page)

    async def tenant_pages(tenant: Tenant) -> None:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        try:
            async with gate:
                await sign_in(http, url, tenant.email, PASSWORD)
        except Exception as error:  # noqa: BLE001
            failures.extend([f'sign-in: {error!r}'] * per_tenant)
            return
        await asyncio.gather(*(open_page(http, tenant) for _ in range(per_tenant)))

    await asyncio.gather(*(tenant_pages(tenant) for tenant in tenants))
    driver.send((opening, failures, len(pages)))
    while (order := await asyncio.to_thread(driver.recv)) != 'close':
        assert order == 'report', order
        seen: dict[int, list[Seen]] = {}
        kept: dict[int, list[Seen]] = {}  # the pages that never lost their process
        for page in pages:
            seen.setdefault(page.contract, []).append(page.seen)
            if not page.recovered:
                kept.setdefault(page.contract, []).append(page.seen)
        driver.send((seen, kept, [gap for page in pages for gap in page.recovered]))
    for page in pages:
        await page.close()
    for http in sessions:
        await http.close()


@dataclass
class Post:
    contract: int
    team: int
    sent: float
    answered: float = 0.0
    expected: Decimal = START
    status: int = 0


@dataclass
class Drive:
    posts: list[Post] = field(default_factory=list)
    health: list[float] = field(default_factory=list)


def usage(team: int, tag: str) -> list[dict[str, Any]]:
    occurred = datetime.now(UTC).isoformat()
    return [
        {'id': f'{tag}-{i}', 'team': team, 'user': f'u{i % 40}@example.com', 'product': f'p{i % 7}',
         'quantity': str(QUANTITY), 'occurred_at': occurred}
        for i in range(BATCH)
    ]  # fmt: skip


async def drive(base: str, tenants: list[Tenant], rate: float, seconds: float, midway: Any = None) -> Drive:
    """Open-loop: a POST every 1/rate s, to one team of the next contract in turn; ``/health`` every 100 ms."""
    headers = {'Authorization': f'Bearer {OPERATOR_KEY}'}
    spent: dict[int, Decimal] = {}
    result = Drive()
    done = asyncio.Event()
    rng = random.Random(7)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers=headers) as http:

        async def watch_health() -> None:
            while not done.is_set():
                started = time.monotonic()
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f'{base}/api/v1/health') as response:
                        await response.read()
                result.health.append((time.monotonic() - started) * 1000)
                await asyncio.sleep(0.1)

        async def send(n: int, post: Post) -> None:
            body = {'events': usage(post.team, f'drive-{n}')}
            for _ in range(20):  # a lost connection (a process killed) is sent again: the ids make it idempotent
                try:
                    async with http.post(f'{base}/api/v1/contracts/{post.contract}/usage', json=body) as response:
                        await response.read()
                        post.status = response.status
                    if post.status < 500:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            post.answered = time.monotonic()
            if post.status == 200:
                spent[post.team] = spent.get(post.team, Decimal(0)) + QUANTITY * BATCH
                post.expected = START - spent[post.team]

        watcher = asyncio.create_task(watch_health())
        sending: list[asyncio.Task[None]] = []
        started = time.monotonic()
        turn = itertools.cycle(tenants)
        for n in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            if midway is not None and n == int(seconds * rate) // 2:
                midway()
            tenant = next(turn)
            post = Post(tenant.contract, rng.choice(tenant.teams), time.monotonic())
            result.posts.append(post)
            sending.append(asyncio.create_task(send(n, post)))
        await asyncio.gather(*sending)
        done.set()
        await watcher
    return result


def delays(posts: list[Post], pages: dict[int, list[Seen]], wait: float) -> tuple[list[float], int]:
    """Per POST and page of its contract: the first moment the page showed the team at or below the expected number."""
    latencies, missed = [], 0
    for post in posts:
        for seen in pages.get(post.contract, []):
            shown = seen.get(str(post.team), [])
            first = next((at for at, value in shown if value <= post.expected), None)
            if first is None or first - post.answered > wait:
                missed += 1
            else:
                latencies.append(max(0.0, first - post.answered) * 1000)
    return latencies, missed


@contextlib.contextmanager
def servers(args: argparse.Namespace, folder: Path, stats: Path) -> Iterator[tuple[str, list[Any]]]:
    env = {
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_STATS': str(stats),
        'BALANCES_STORAGE_SECRET': 'bench',
    }
    if args.processes:
        from scripts.cluster import cluster

        with cluster(args.db_url, args.processes, folder, env) as running_cluster:
            yield running_cluster.url, running_cluster.processes
        return
    env['BALANCES_DB_URL'] = args.db_url or f'sqlite://{folder}/bench.sqlite3'
    with running(env, folder) as server:
        try:
            yield server.url, [server.process]
        finally:
            if server.process.poll() is not None:
                print('  the server stopped; its last lines:', *server.lines[-15:], sep='\n    ', flush=True)


async def run_shape(shape: Shape, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    folder = tmp / str(shape)
    folder.mkdir()
    if args.db_url:
        await empty_postgres(args.db_url)
    stats = folder / 'stats.json'
    result: dict[str, Any] = {'shape': str(shape)}
    with servers(args, folder, stats) as (url, processes):
        watched = [Process(process.pid) for process in processes]
        tenants = await provision(url, shape.contracts, args.teams)
        await asyncio.sleep(2)
        before = sum(process.rss() for process in watched)
        pages, holder = Pipe()
        reloading = bool(args.processes)  # behind the balancer, a page that loses its process opens again
        holding = get_context('spawn').Process(target=hold_pages, args=(url, tenants, shape.pages, holder, reloading))
        holding.start()
        opening, failures, opened = await asyncio.to_thread(pages.recv)
        for failure in sorted(set(failures))[:5]:
            print(f'  failed to open: {failure}', flush=True)
        await asyncio.sleep(5)  # the sign-in pages' clients are let go once their sockets closed
        growth = sum(process.rss() for process in watched) - before
        result['pages opened'], result['pages failed'] = opened, len(failures)
        result['open p50 ms'], result['open p99 ms'] = percentile(opening, 50), percentile(opening, 99)
        result['memory per page KB'] = growth / max(1, opened) / 1024
        result['memory per contract KB'] = growth / shape.contracts / 1024
        browsers = Process(holding.pid or 0)
        idle = Busy(watched, browsers)
        await asyncio.sleep(args.idle_seconds)
        result['cpu % no usage'] = idle.shares()[0]
        driven = Busy(watched, browsers)
        killed: list[float] = []

        def kill_one() -> None:  # the cluster: the process holding the first contract's pages goes, mid-drive
            killed.append(time.monotonic())
            processes[0].send_signal(signal.SIGKILL)

        done = await drive(url, tenants, shape.rate, args.seconds, kill_one if args.processes else None)
        result['cpu % driven'], result['pages process cpu %'], result['postgresql cpu %'], result['steal %'] = (
            driven.shares()
        )
        await asyncio.sleep(args.wait)
        pages.send('report')
        shown, kept, recovered = await asyncio.to_thread(pages.recv)
        latencies, missed = delays(done.posts, shown, args.wait)
        answered = [post for post in done.posts if post.status == 200]
        result['posts lost'] = len(done.posts) - len(answered)
        result['health p50 ms'], result['health p99 ms'] = percentile(done.health, 50), percentile(done.health, 99)
        latency = [(post.answered - post.sent) * 1000 for post in answered]
        result['post p50 ms'], result['post p99 ms'] = percentile(latency, 50), percentile(latency, 99)
        result['update p50 ms'] = percentile(latencies, 50)
        result['update p95 ms'] = percentile(latencies, 95)
        result['update p99 ms'] = percentile(latencies, 99)
        result['updates missed'] = missed
        result['updates expected'] = sum(len([p for p in answered if p.contract == t.contract]) for t in tenants) * (
            shape.pages
        )
        if killed:
            gaps = [(whole - killed[0]) for _, whole in recovered if whole >= killed[0]]
            result['pages moved by the kill'] = len(gaps)
            result['moved pages whole again first s'] = min(gaps, default=float('nan'))
            result['moved pages whole again p50 s'] = percentile(gaps, 50)
            result['moved pages whole again max s'] = max(gaps, default=float('nan'))
            # the same figures apart: before the kill, and once every moved page was whole again
            whole = killed[0] + max(gaps, default=0.0)
            stayed, _ = delays(done.posts, kept, args.wait)
            result['update p95 ms, pages that kept their process'] = percentile(stayed, 95)
            for name, part in (('before the kill', [p for p in done.posts if p.answered < killed[0]]),
                               ('once recovered', [p for p in done.posts if p.sent > whole])):  # fmt: skip
                latencies, _ = delays(part, shown, args.wait)
                posted = [(p.answered - p.sent) * 1000 for p in part if p.status == 200]
                result[f'post p99 ms {name}'] = percentile(posted, 99)
                result[f'update p95 ms {name}'] = percentile(latencies, 95)
        for process in processes:
            if process.poll() is not None and not killed:
                print(f'  a server stopped (exit {process.returncode})', flush=True)
        pages.send('close')
        await asyncio.to_thread(holding.join, 60)
    if stats.exists():
        figures = json.loads(stats.read_text())
        live = figures['live']
        result['flushes/s driven'] = live['flushes'] / args.seconds
        result['statements per change'] = figures['statements'].get('live', 0) / max(1, live['changes'])
    return result


ORDER = [
    'pages opened', 'pages failed', 'open p50 ms', 'open p99 ms', 'memory per page KB', 'memory per contract KB',
    'cpu % no usage', 'cpu % driven', 'pages process cpu %', 'postgresql cpu %', 'steal %', 'health p50 ms',
    'health p99 ms', 'post p50 ms', 'post p99 ms', 'update p50 ms', 'update p95 ms', 'update p99 ms',
    'updates missed', 'updates expected', 'posts lost', 'pages moved by the kill', 'moved pages whole again first s',
    'moved pages whole again p50 s', 'moved pages whole again max s', 'update p95 ms, pages that kept their process',
    'post p99 ms before the kill', 'update p95 ms before the kill', 'post p99 ms once recovered',
    'update p95 ms once recovered', 'flushes/s driven', 'statements per change',
]  # fmt: skip
BASE = '1x500'


def table(results: list[dict[str, Any]]) -> str:
    base = next((r for r in results if r['shape'].startswith(f'{BASE}@')), None)
    lines = ['| figure | ' + ' | '.join(r['shape'] for r in results) + ' |', '|---|' + '---|' * len(results)]
    for name in ORDER:
        if all(r.get(name) is None for r in results):
            continue
        cells = [cell(r.get(name), base if base is not r else None, name) for r in results]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shapes', default='1x500@10,100x5@10,500x1@10,1000x1@10,500x1@50')
    parser.add_argument('--teams', type=int, default=5)
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--idle-seconds', type=float, default=30)
    parser.add_argument('--wait', type=float, default=10, help='seconds an update may take before it counts as missed')
    parser.add_argument('--db-url', default='')
    parser.add_argument('--processes', type=int, default=0, help='app processes behind HAProxy (needs --db-url)')
    args = parser.parse_args()
    if args.processes and not args.db_url:
        parser.error('--processes needs --db-url: the processes share one PostgreSQL')
    results = []
    with tempfile.TemporaryDirectory(prefix='balances-tenants-bench-') as tmp:
        for shape in map(Shape.parse, args.shapes.split(',')):
            print(f'{shape}…', flush=True)
            results.append(asyncio.run(run_shape(shape, args, Path(tmp))))
            print(json.dumps(results[-1], default=str), flush=True)
    where = (
        f'{args.processes} processes behind HAProxy, PostgreSQL'
        if args.processes
        else ('PostgreSQL' if args.db_url else 'SQLite')
    )
    print(f'\n{where}, {args.teams} teams a contract, POSTs of {BATCH} events for {args.seconds:g} s')
    print(f'command: .venv/bin/python bench/tenants.py {" ".join(sys.argv[1:])}\n')
    print(table(results))


if __name__ == '__main__':
    main()
