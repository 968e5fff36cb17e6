"""A process taking over the pages of one that died: N cold pages of N contracts, opened at once on one process

    .venv/bin/python bench/takeover.py [--pages 100,258] [--teams 5] [--db-url postgres://…]

What a surviving process of the cluster meets when another is killed (``bench/tenants.py --processes 3`` measures
the whole cluster; this isolates one survivor). Per size N: a fresh ``main.py`` (SQLite in a temporary folder, or
the PostgreSQL of ``--db-url``, emptied), N Flex contracts of ``--teams`` teams with an administrator each, every
administrator signed in (as a browser does: ``bench.browsers.sign_in``); once the boards read at sign-in have been
let go (no page took them), the N pages are opened all at once, as browsers reloading together do: ``GET /``, the
socket, the board's join. Printed per size: the seconds from the start until each page had its HTML, its socket and
its cards (p10, p50, max), and the server's CPU per page, each with its ratio to the first size of the run.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browsers import BOARD, CLIENT, Process, cell, percentile, sign_in, socket  # noqa: E402
from bench.live import empty_postgres  # noqa: E402
from bench.tenants import OPERATOR_KEY, PASSWORD, provision  # noqa: E402
from tests.test_main import running  # noqa: E402

LET_GO = 36.0  # seconds after the sign-ins: the boards they read are let go after ui.boards.LINGER (30 s)
FIGURES = (
    'html p10 s', 'html p50 s', 'html max s', 'cards p10 s', 'cards p50 s', 'cards max s', 'server cpu ms per page',
)  # fmt: skip


async def open_cold(base: str, http: aiohttp.ClientSession, started: float) -> tuple[float, float]:
    """One page opened as a browser does; (seconds to its HTML, seconds to its cards) from ``started``."""
    async with http.get(f'{base}/', headers={'Connection': 'close'}) as response:
        html = await response.text()
        if response.status != 200:
            raise RuntimeError(f'GET / answered {response.status}')
    shown = time.monotonic() - started
    client = CLIENT.search(html)
    if client is None:
        raise RuntimeError('the page has no client id')
    ws = await socket(http, base, client.group(1))
    try:
        board = BOARD.search(html)
        while board is None:  # a cold contract: the board follows the frame
            text = await asyncio.wait_for(ws.receive_str(), timeout=60)
            if text == '2':
                await ws.send_str('3')
            board = BOARD.search(text)
        join = {'client_id': client.group(1), 'board': int(board.group(1))}
        await ws.send_str('42' + json.dumps(['balances_join', join]))
        while True:
            text = await asyncio.wait_for(ws.receive_str(), timeout=60)
            if text == '2':
                await ws.send_str('3')
            elif text.startswith('42["balances_full"'):
                return shown, time.monotonic() - started
    finally:
        await ws.close()


async def run_size(pages: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    folder = tmp / str(pages)
    folder.mkdir()
    if args.db_url:
        await empty_postgres(args.db_url)
    env = {
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_STORAGE_SECRET': 'bench',
        'BALANCES_DB_URL': args.db_url or f'sqlite://{folder}/bench.sqlite3',
    }
    with running(env, folder) as server:
        tenants = await provision(server.url, pages, args.teams)
        gate = asyncio.Semaphore(8)
        sessions: list[aiohttp.ClientSession] = []
        try:
            for _ in tenants:
                jar = aiohttp.CookieJar(unsafe=True)
                sessions.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=jar))

            async def enter(http: aiohttp.ClientSession, email: str) -> None:
                async with gate:
                    await sign_in(http, server.url, email, PASSWORD)

            await asyncio.gather(*(enter(http, t.email) for http, t in zip(sessions, tenants, strict=True)))
            await asyncio.sleep(LET_GO)
            process = Process(server.process.pid)
            cpu, started = process.cpu(), time.monotonic()
            opened = await asyncio.gather(*(open_cold(server.url, http, started) for http in sessions))
            spent = process.cpu() - cpu
        finally:
            for http in sessions:
                await http.close()
    html, cards = [o[0] for o in opened], [o[1] for o in opened]
    result: dict[str, Any] = {'pages': pages}
    for name, values in (('html', html), ('cards', cards)):
        result[f'{name} p10 s'], result[f'{name} p50 s'] = percentile(values, 10), percentile(values, 50)
        result[f'{name} max s'] = max(values)
    result['server cpu ms per page'] = spent * 1000 / pages
    return result


async def main(args: argparse.Namespace) -> None:
    sizes = [int(n) for n in args.pages.split(',')]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for pages in sizes:
            print(f'{pages} cold pages at once …', flush=True)
            results.append(await run_size(pages, args, Path(tmp)))
            print(json.dumps(results[-1]), flush=True)
    reference = results[0]
    print('\n| figure | ' + ' | '.join(f'{r["pages"]} pages' for r in results) + ' |')
    print('|---|' + '---|' * len(results))
    for name in FIGURES:
        print(f'| {name} | ' + ' | '.join(cell(r[name], reference, name) for r in results) + ' |')
    print(f'\n{" ".join(sys.argv)}')


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pages', default='100,258')
    parser.add_argument('--teams', type=int, default=5)
    parser.add_argument('--db-url', default='')
    asyncio.run(main(parser.parse_args()))
