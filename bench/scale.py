"""Reads at volume: the page's data, usage details and the events list at 1, 5 and 10 M usage events

    .venv/bin/python bench/scale.py [--sizes 1000000,5000000,10000000] [--db-url postgres://…] [--folder PATH]
                                    [--runs 7] [--browser-runs 3]

A fixed-seed data set — one Flex contract (Europe/Paris) of 50 teams of 2 to 40 people (1,000 users), 15
products, usage spread over the last 365 days — is grown through the product's own ingestion path
(``ledger.consume``, batches of 1,000 events, each checked, charged and rolled up) to each size in turn. At each
size, the median of ``--runs`` runs of:

- the page's data: every card's balance, 90-day counts and 90-day trend (what a contract's live model loads);
- usage by product, user, day and team over 30, 90 and 366 days, for the contract and for its largest and
  smallest team (the API's ``/usage``);
- the events list (``/events``, 90 days);
- beside each, the raw ``GROUP BY`` over the events that a BI tool would run for the same answer;
- signed in → all 50 cards' numbers shown and the donuts on screen drawn (the others are drawn as they are
  scrolled to), in Chromium, against ``main.py`` on that database: the first sign-in, and the median of
  ``--browser-runs`` more;
- the bytes on disk per event, all tables and indexes.

SQLite by default, in ``--folder`` (kept, so that a later run can grow it further); PostgreSQL with ``--db-url``
(an empty database, or one this script filled before).
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from tortoise import connections  # noqa: E402

from models import Contract, UsageEvent  # noqa: E402
from services import ledger  # noqa: E402
from services.accounts import admins, contracts  # noqa: E402
from services.domain.dates import DateRange, local_date  # noqa: E402
from services.infrastructure import database  # noqa: E402
from services.infrastructure.database import close_database, open_database  # noqa: E402
from services.ingest.events import UsageInput  # noqa: E402
from services.reading.state import read_states  # noqa: E402
from services.reading.timeline import token_events  # noqa: E402
from services.reading.usage import usage_breakdown  # noqa: E402
from tests.browser.driver import chromium, wait_for  # noqa: E402
from tests.test_main import running  # noqa: E402

SEED = 2026
NAME = 'Scale (fixed seed)'
ZONE = 'Europe/Paris'
TEAMS, USERS, PRODUCTS = 50, 1000, 15
BATCH = 1000
EMAIL, PASSWORD = 'scale@example.com', 'a scale benchmark password'
QUANTITIES = [Decimal(q) for q in ('0.25', '0.5', '1', '1.5', '2', '4.5')]
BYS = ('product', 'user', 'day', 'team')
RANGES = (30, 90, 366)


def team_sizes() -> list[int]:
    """50 teams from 40 people down to 2, 1,000 in all."""
    sizes = [max(2, 40 - 38 * n // (TEAMS - 1)) for n in range(TEAMS)]
    sizes[0] += USERS - sum(sizes)
    return sizes


class DataSet:
    """The fixed-seed usage: batch ``n`` is the same whatever size the set is grown to."""

    def __init__(self, teams: list[int], today: date) -> None:
        self.teams, self.today = teams, today
        rng = random.Random(SEED)
        self.members: list[tuple[int, str, list[str]]] = []  # team, user, the products the user works with
        products = [f'product-{n:02}' for n in range(PRODUCTS)]
        for team, size in zip(teams, team_sizes(), strict=True):
            for _ in range(size):
                self.members.append((team, f'user{len(self.members):04}.t{team}@example.com', rng.sample(products, 3)))
        self.weights = [1 + (n % 7) for n in range(len(self.members))]
        self.zone = ZoneInfo(ZONE)

    def batch(self, n: int) -> list[UsageInput]:
        rng = random.Random(SEED * 1_000_003 + n)
        people = rng.choices(self.members, weights=self.weights, k=BATCH)
        events = []
        for i, (team, user, products) in enumerate(people):
            day = self.today - timedelta(days=1 + rng.randrange(365))  # complete days: none in the future
            at = datetime.combine(day, clock(rng.randrange(7, 20), rng.randrange(60), rng.randrange(60)), self.zone)
            quantity = rng.choice(QUANTITIES)
            events.append(UsageInput(f's{n}-{i}', user, rng.choice(products), quantity, at, team))
        return events


async def prepare(db_url: str) -> tuple[int, list[int]]:
    await open_database(db_url)
    found = await Contract.filter(name=NAME).first()
    if found is not None:
        teams = [t.id for t in await contracts.list_teams(found.id)]
        return found.id, sorted(teams)
    contract = await contracts.create_contract(NAME, 'FR', ZONE)
    teams = [(await contracts.create_team(contract.id, f'Team {n:02}')).id for n in range(TEAMS)]
    now = datetime.now(UTC)
    for team in teams:
        await ledger.purchase(
            contract.id,
            client_id=f'scale-lot-{team}',
            quantity=Decimal('900000000000'),
            team=team,
            purchased_at=now - timedelta(days=366),
            expires_at=now + timedelta(days=300),
        )
    await admins.grant(EMAIL, contract.id, PASSWORD)
    return contract.id, teams


async def grow(contract: int, data: DataSet, size: int) -> float:
    """Ingest batches until the contract holds ``size`` events; the events per second it took."""
    have = await UsageEvent.filter(contract_id=contract).count()
    started, added = time.monotonic(), 0
    for n in range(have // BATCH, size // BATCH):
        await ledger.consume(contract, data.batch(n))
        added += BATCH
        if n % 200 == 0:
            print(f'  {(n + 1) * BATCH:,} events, {added / (time.monotonic() - started):,.0f} events/s', flush=True)
    return added / (time.monotonic() - started) if added else 0.0


async def settle() -> None:
    """The database as it is a while after a growth, measured then rather than meanwhile: on PostgreSQL what
    autovacuum does on its own (the rollups after 1 % of change, migration 0008; the events and entries after
    20 %), on SQLite the write-ahead log checkpointed. Without it the reads would race a vacuum of gigabytes, and on
    PostgreSQL fetch every new rollup row from its table instead of answering from the index."""
    conn = connections.get('default')
    if database.is_postgres(conn):
        await conn.execute_script('VACUUM (ANALYZE)')
    else:
        await conn.execute_script('PRAGMA wal_checkpoint(TRUNCATE)')


async def median_ms(read: Callable[[], Awaitable[object]], runs: int) -> float:
    await read()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_sql(by: str, dialect: str, team: int | None) -> str:
    """The GROUP BY a BI tool would run on the events for a usage report."""
    key = {
        'product': 'product',
        'user': 'user_name',
        'team': 'team_id',
        'day': 'date(occurred_at)' if dialect == 'sqlite' else f"(occurred_at AT TIME ZONE '{ZONE}')::date",
    }[by]
    marks = [database.mark(connections.get('default'), n) for n in (1, 2, 3, 4)]
    where = f'contract_id = {marks[0]} AND occurred_at >= {marks[1]} AND occurred_at < {marks[2]}'
    if team is not None:
        where += f' AND team_id = {marks[3]}'
    return f'SELECT {key} AS key, SUM(quantity) FROM usage_event WHERE {where} GROUP BY {key}'


async def measure(contract: int, teams: list[int], runs: int) -> dict[str, Any]:
    conn = connections.get('default')
    dialect = conn.capabilities.dialect
    today = local_date(datetime.now(UTC), ZONE)
    sizes = dict(zip(teams, team_sizes(), strict=True))
    largest, smallest = max(teams, key=lambda t: sizes[t]), min(teams, key=lambda t: sizes[t])
    scopes = {'contract': None, 'largest team': largest, 'smallest team': smallest}
    figures: dict[str, Any] = {}

    async def page() -> None:
        await read_states({contract: None})

    figures['page data'] = await median_ms(page, runs)
    figures['events list'] = await median_ms(lambda: token_events(contract), runs)
    for days in RANGES:
        window = DateRange.last_days(today, days)
        start = datetime.combine(window.start, clock(), ZoneInfo(ZONE)).astimezone(UTC)
        end = datetime.combine(window.end + timedelta(days=1), clock(), ZoneInfo(ZONE)).astimezone(UTC)
        for by in BYS:
            for scope, team in scopes.items():
                if by == 'team' and team is not None:
                    continue
                figures[f'usage by {by}, {days} d, {scope}'] = await median_ms(
                    lambda by=by, team=team, window=window: usage_breakdown(contract, window, by=by, team=team),  # type: ignore[misc]
                    runs,
                )
            params: list[object] = [contract, start, end]
            figures[f'raw GROUP BY {by}, {days} d, contract'] = await median_ms(
                lambda by=by, params=params: conn.execute_query(raw_sql(by, dialect, None), params),  # type: ignore[misc]
                max(1, runs // 3),
            )
    figures['bytes per event'] = await bytes_per_event(contract)
    return figures


async def bytes_per_event(contract: int) -> float:
    conn = connections.get('default')
    events = await UsageEvent.filter(contract_id=contract).count()
    if conn.capabilities.dialect == 'postgres':
        rows = await conn.execute_query_dict(
            'SELECT SUM(pg_total_relation_size(c.oid)) AS size FROM pg_class c JOIN pg_namespace n '
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
    else:
        await conn.execute_script('PRAGMA wal_checkpoint(TRUNCATE)')
        rows = await conn.execute_query_dict(
            'SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()'
        )
    return int(rows[0]['size']) / max(1, events)


CLICKED = "document.addEventListener('click', () => { localStorage.clicked = Date.now(); }, true)"
SINCE_CLICK = """
const drawn = performance.getEntriesByName('balances:drawn')[0];
return drawn ? performance.timeOrigin + drawn.startTime - Number(localStorage.clicked) : null;
"""


def drawn_ms(db_url: str, folder: Path, runs: int) -> tuple[float, float]:
    """From the click on "Sign in" to every card's numbers shown and the donuts on screen drawn, by the browser's
    clock (the board marks ``balances:drawn``; Selenium's own polling would add its latency): the first sign-in
    (the contract's live model and the browser's cache both cold), and the median of ``runs`` more (the model kept
    warm between a page and the next, as for a reload or a second sign-in within ``ui.hub.LINGER``)."""
    env = {'BALANCES_DB_URL': db_url, 'BALANCES_DEMO': '0', 'BALANCES_STORAGE_SECRET': 'scale'}
    times = []
    with running(env, folder) as server:
        driver = chromium(1280, 900)
        try:
            for _ in range(runs + 1):
                driver.delete_all_cookies()
                driver.get(f'{server.url}/login')
                wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, 'input[type=email]'))[0].send_keys(EMAIL)
                driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(PASSWORD)
                driver.execute_script(CLICKED)
                driver.find_element(By.XPATH, "//button[contains(., 'Sign in')]").click()
                wait_for(lambda: driver.execute_script(ALL_DRAWN) == TEAMS, 30)
                times.append(float(wait_for(lambda: driver.execute_script(SINCE_CLICK))))
        finally:
            driver.quit()
    return times[0], statistics.median(times[1:])


ALL_DRAWN = """
const cards = Array.from(document.querySelectorAll('section[data-marker^="card-"]'));
const inView = (card) => card.getBoundingClientRect().top < innerHeight;
return cards.filter(card => card.querySelector('[data-marker=available]').textContent
                            && (!inView(card) || card.querySelector('.donut svg'))).length;
"""


def summary(results: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(results)
    first = results[sizes[0]]
    lines = [
        '| read | ' + ' | '.join(f'{size / 1e6:g} M events' for size in sizes) + ' |',
        '|---|' + '---|' * len(sizes),
    ]
    for name in first:
        if name.startswith('raw'):
            continue
        cells = []
        for size in sizes:
            value = results[size].get(name)
            if value is None:
                cells.append('–')
                continue
            text = f'{value:,.1f}' if name != 'bytes per event' else f'{value:,.0f}'
            if size != sizes[0] and first.get(name):
                text += f' ({value / first[name]:.2f}× 1 M)'
            by = name.split(',')[0].removeprefix('usage by ')
            raw = (
                results[size].get(f'raw GROUP BY {by},{name.split(",")[1]}, contract')
                if name.startswith('usage')
                else None
            )
            if raw and 'contract' in name:
                text += f' · raw {raw:,.0f} ({raw / value:,.0f}×)'
            cells.append(text)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


async def main_async(args: argparse.Namespace, folder: Path) -> dict[int, dict[str, Any]]:
    db_url = args.db_url or f'sqlite://{folder}/scale.sqlite3'
    results: dict[int, dict[str, Any]] = {}
    for size in (int(s) for s in args.sizes.split(',')):
        contract, teams = await prepare(db_url)
        data = DataSet(teams, local_date(datetime.now(UTC), ZONE))
        print(f'growing to {size:,} events…', flush=True)
        rate = await grow(contract, data, size)
        await settle()
        figures = await measure(contract, teams, args.runs)
        figures['ingestion events/s (this growth)'] = rate
        await close_database()
        if args.browser_runs:
            first, again = drawn_ms(db_url, folder, args.browser_runs)
            figures['signed in → 50 cards drawn, first'] = first
            figures['signed in → 50 cards drawn, again'] = again
        results[size] = figures
        print(json.dumps({size: figures}, indent=1), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', default='1000000,5000000,10000000')
    parser.add_argument('--db-url', default='')
    parser.add_argument('--folder', default='')
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--browser-runs', type=int, default=3)
    args = parser.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp(prefix='balances-scale-'))
    folder.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(main_async(args, folder))
    print(f'\n{"PostgreSQL" if args.db_url else "SQLite"}; milliseconds (medians) unless named; data in {folder}')
    print(f'command: .venv/bin/python bench/scale.py {" ".join(sys.argv[1:])}\n')
    print(summary(results))


if __name__ == '__main__':
    main()
