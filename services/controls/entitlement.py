"""The entitlement check: may this user start this product now? Asked by the vendor's licensing system before a
product starts, so it is fast, reads one snapshot, and writes nothing to the ledger

The first reason that applies: ``window_open`` (allowed: a charged window of the product is open for the user),
``unknown_product`` (no rate effective now), ``product_not_allowed`` (the team's list excludes it), ``cap_reached``
(a matching cap has reached a deny stage this period), ``insufficient_balance`` (available < the daily rate), ``ok``.

Refusals are counted per day (contract time zone), team, user, product and reason. The check does not wait for that
write: ``Refusals`` adds them up in memory and writes them every ``FLUSH`` seconds, one upsert per key — and before
any read of them in this process — so that a check never queues behind a write (SQLite has one writer).
"""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from pypika_tortoise import Order, Table
from pypika_tortoise import functions as fn
from tortoise.transactions import in_transaction

from models import Team
from services.accounts.contracts import ContractInfo
from services.catalog.products import rate_book
from services.controls.caps import caps_of
from services.controls.lists import allowed_of
from services.domain.checks import text_of
from services.domain.dates import DateRange, local_date
from services.domain.errors import UnknownTeam, WrongMode
from services.domain.quantity import from_units
from services.infrastructure import database, tasks
from services.infrastructure.clock import resolve
from services.ingest.events import MAX_PRODUCT, MAX_USER
from services.ledger.allocation import usable_where

FLUSH = 0.5  # seconds between two writes of the refusals counted meanwhile
STREAK = 5  # refusals of one user, product and reason in a day that make a streak (shown in the bell)
WINDOW = timedelta(hours=24)
REFUSED = ('unknown_product', 'product_not_allowed', 'cap_reached', 'insufficient_balance')
log = logging.getLogger('balances.entitlements')


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    reason: str
    daily_rate: Decimal | None
    available: Decimal
    window_ends_at: datetime | None


@dataclass(frozen=True)
class RefusalCount:
    date: date
    team: int | None
    user: str
    product: str
    reason: str
    count: int


RefusalKey = tuple[int, date, int, str, str, str]  # contract, day, team (0: none), user, product, reason


class Refusals:
    """The refusals counted in this process and not yet written (one per process, owned by the app's run)."""

    def __init__(self) -> None:
        self.pending: Counter[RefusalKey] = Counter()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()

    def count(self, key: RefusalKey) -> None:
        self.pending[key] += 1
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name='refusal counts')

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        await self.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(FLUSH)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # kept for the next write
                log.exception('refusal counts could not be written')

    async def flush(self) -> None:
        """Write what was counted: one upsert per key, keys sorted (two processes never deadlock)."""
        async with self._writing:
            counted, self.pending = self.pending, Counter()
            if not counted:
                return
            try:
                async with in_transaction('default') as conn:
                    await database.insert_rows(
                        conn,
                        'refusal',
                        ('contract_id', 'day', 'team_key', 'user_name', 'product', 'reason', 'count'),
                        [(*key, n) for key, n in sorted(counted.items())],
                        suffix='ON CONFLICT (contract_id, day, team_key, user_name, product, reason) '
                        'DO UPDATE SET count = refusal.count + excluded.count',
                    )
            except BaseException:
                self.pending.update(counted)
                raise


async def check(
    contract: ContractInfo,
    *,
    user: object,
    product: object,
    team: int | None = None,
    refusals: Refusals | None = None,
    now: datetime | None = None,
) -> Entitlement:
    """Whether ``user`` may start ``product`` now in ``team`` (required in Flex mode; in cloud-credit mode it only
    tags). Refuses with ``InvalidInput`` naming ``user``, ``product`` or ``team`` (missing in Flex mode, or not a
    team of the contract). Counts a refusal in ``refusals``."""
    now = resolve(now)
    who = text_of(user, 'user', MAX_USER)
    what = text_of(product, 'product', MAX_PRODUCT)
    if contract.is_flex and team is None:
        raise WrongMode('team', 'is required: in a Flex contract the team pays')
    async with database.snapshot() as conn:
        found = await _holder(contract, team)
        if found is None:
            raise UnknownTeam(team)
        holder_id, allowed = found
        book = await rate_book()
        rate = book.rate_at(what, now)
        window = await _window_end(contract.id, who, what, now)
        available = await _available(holder_id, now)
        caps = await caps_of(conn, contract, now, team=team) if rate is not None and window is None else []
    reason = 'ok'
    if window is not None:
        reason = 'window_open'
    elif rate is None:
        reason = 'unknown_product'
    elif allowed is not None and what not in allowed:
        reason = 'product_not_allowed'
    elif any(c.denies() and c.user in (None, who) and c.product in (None, what) for c in caps):
        reason = 'cap_reached'
    elif available < rate:
        reason = 'insufficient_balance'
    if reason in REFUSED and refusals is not None:
        refusals.count((contract.id, local_date(now, contract.timezone), team or 0, who, what, reason))
    return Entitlement(
        reason in ('ok', 'window_open'),
        reason,
        from_units(rate) if rate is not None else None,
        from_units(available),
        window,
    )


HOLDER, TEAM, WINDOWS, LOT = Table('holder'), Table('team'), Table('usage_window'), Table('lot')


@database.shaped
def _holder_sql(marks: database.Marks, of_team: int) -> database.Built:
    contract = marks.next()
    paying = HOLDER.team_id == marks.next() if of_team else HOLDER.team_id.isnull()
    return (
        marks.query.from_(HOLDER)
        .left_join(TEAM)
        .on(TEAM.id == HOLDER.team_id)
        .select(HOLDER.id.as_('holder'), TEAM.allowed_products.as_('allowed'))
        .where((HOLDER.contract_id == contract) & paying)
    )


@database.shaped
def _window_end_sql(marks: database.Marks) -> database.Built:
    contract, user, product, since, now = marks.many(5)
    return (
        marks.query.from_(WINDOWS)
        .select(fn.Max(WINDOWS.ends_at).as_('ends_at'))
        .where(
            (WINDOWS.contract_id == contract)
            & (WINDOWS.user_name == user)
            & (WINDOWS.product == product)
            & (WINDOWS.starts_at > since)
            & (WINDOWS.starts_at <= now)
        )
    )


@database.shaped
def _available_sql(marks: database.Marks) -> database.Built:
    holder, now = marks.many(2)
    return (
        marks.query.from_(LOT)
        .select(fn.Sum(LOT.remaining).as_('units'))
        .where((LOT.holder_id == holder) & usable_where(LOT, now))
    )


async def _holder(contract: ContractInfo, team: int | None) -> tuple[int, tuple[str, ...] | None] | None:
    """The holder that would pay, and the team's product list (Flex); ``None`` for a team not of the contract."""
    conn = database.connection()
    if team is not None:
        row = await Team.filter(id=team, contract_id=contract.id).using_db(conn).first()
        if row is None:
            return None
        if not contract.is_flex:
            team = None
    values = [contract.id] if team is None else [contract.id, team]
    rows = await database.fetch_shaped(conn, _holder_sql, values, int(team is not None))
    if not rows:
        return None
    return int(rows[0]['holder']), allowed_of(rows[0]['allowed'])


async def _window_end(contract_id: int, user: str, product: str, now: datetime) -> datetime | None:
    """The end of the user's charged window of the product open now, if one is."""
    conn = database.connection()
    rows = await database.fetch_shaped(conn, _window_end_sql, [contract_id, user, product, now - WINDOW, now])
    ends = rows[0]['ends_at'] if rows else None
    return database.to_datetime(ends) if ends is not None else None


async def _available(holder_id: int, now: datetime) -> int:
    """Units in the holder's usable lots."""
    conn = database.connection()
    rows = await database.fetch_shaped(conn, _available_sql, [holder_id, now])
    return int(rows[0]['units'] or 0) if rows else 0


@database.shaped
def _refusals_sql(marks: database.Marks, of_team: bool) -> database.Built:
    refusal = Table('refusal')
    contract, first, last = marks.many(3)
    chosen = (refusal.contract_id == contract) & refusal.day.between(first, last)
    if of_team:
        chosen &= refusal.team_key == marks.next()
    return (
        marks.query.from_(refusal)
        .select(refusal.day, refusal.team_key, refusal.user_name, refusal.product, refusal.reason, refusal.count)
        .where(chosen)
        .orderby(refusal.day, refusal.count, order=Order.desc)
        .orderby(refusal.user_name, refusal.product, refusal.reason)
        .limit(10_000)
    )


async def refusals(
    contract: ContractInfo,
    date_range: DateRange | None = None,
    *,
    team: int | None = None,
    counted: Refusals | None = None,
    now: datetime | None = None,
) -> list[RefusalCount]:
    """The refusals of a contract over a range of days (default: the last 90), one team's with ``team``, newest
    first. Refuses with ``UnknownTeam``."""
    if counted is not None:
        await counted.flush()
    date_range = date_range or DateRange.last_days(local_date(resolve(now), contract.timezone))
    if team is not None and not await Team.exists(id=team, contract_id=contract.id):
        raise UnknownTeam(team)
    values = [contract.id, date_range.start, date_range.end, *([team] if team is not None else [])]
    rows = await database.fetch_shaped(database.connection(), _refusals_sql, values, team is not None)
    return [
        RefusalCount(
            database.to_date(row['day']),
            int(row['team_key']) or None,
            str(row['user_name']),
            str(row['product']),
            str(row['reason']),
            int(row['count']),
        )
        for row in rows
    ]


async def streaks(
    contract: ContractInfo, *, counted: Refusals | None = None, at_least: int = STREAK, now: datetime | None = None
) -> list[RefusalCount]:
    """Today's refusals (in the contract's zone) that came ``at_least`` times for one team, user, product and reason:
    someone the controls keep stopping, most refused first."""
    today = local_date(resolve(now), contract.timezone)
    found = await refusals(contract, DateRange(today, today), counted=counted, now=now)
    return sorted((row for row in found if row.count >= at_least), key=lambda row: -row.count)
