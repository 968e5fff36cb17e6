"""The live-update bus

The ledger announces each committed change of a contract (usage, purchase, transfer) with the holders it touched;
the live models of open contracts (``services.reading.live``) subscribe, recompute those holders, and tell their pages.

- SQLite (one process): ``publish`` after the commit tells this process's subscribers.
- PostgreSQL (several processes): the write transaction itself runs ``pg_notify`` (delivered on commit, once per
  committed batch, carrying the contract id and the holder ids: ``"12:3,4"``). Every process LISTENs on a dedicated
  connection, outside the pool, and tells its own subscribers. When that connection drops, it reconnects and sends
  ``EVERYTHING``: every live model recomputes all its holders, since notifications may have been missed meanwhile.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import asyncpg
from nicegui import Event
from tortoise.backends.base.client import BaseDBAsyncClient

from services.infrastructure import database, tasks

CHANNEL = 'balances_ledger'
ALERTS_CHANNEL = 'balances_alerts'  # payload: the contract id whose alert history grew
EVERYTHING = 0  # not a contract id: "refresh whatever you show"
APPLICATION_NAME = 'balances-listener'
MAX_PAYLOAD = 7_000  # bytes; PostgreSQL refuses notifications over 8,000
log = logging.getLogger('balances.bus')


@dataclass(frozen=True)
class Change:
    """A committed change of a contract's ledger; ``holders`` None means all of them (or all contracts, for
    ``EVERYTHING``)."""

    contract_id: int
    holders: frozenset[int] | None = None

    def encode(self) -> str:
        text = f'{self.contract_id}:{",".join(map(str, sorted(self.holders or ())))}'
        return text if self.holders and len(text) <= MAX_PAYLOAD else str(self.contract_id)

    @classmethod
    def decode(cls, payload: str) -> 'Change | None':
        contract, _, holders = payload.partition(':')
        ids = holders.split(',') if holders else []
        if not contract.isdigit() or not all(part.isdigit() for part in ids):
            return None
        return cls(int(contract), frozenset(map(int, ids)) if ids else None)


ledger_changed: Event[Change] = Event()
alerts_changed: Event[int] = Event()
_listener: 'Listener | None' = None


async def announce(conn: BaseDBAsyncClient, contract_id: int, holders: Collection[int]) -> None:
    """Inside a write transaction: on PostgreSQL, notify every process when (and only if) it commits."""
    if database.is_postgres(conn):
        change = Change(contract_id, frozenset(holders))
        await conn.execute_query(f"SELECT pg_notify('{CHANNEL}', $1)", [change.encode()])


def publish(contract_id: int, holders: Collection[int]) -> None:
    """After a commit: tell this process's subscribers, unless the PostgreSQL listener will."""
    if _listener is None:
        ledger_changed.emit(Change(contract_id, frozenset(holders)))


async def announce_alerts(conn: BaseDBAsyncClient, contract_id: int) -> None:
    """Inside the transaction that records alerts: on PostgreSQL, tell every process when it commits."""
    if database.is_postgres(conn):
        await conn.execute_query(f"SELECT pg_notify('{ALERTS_CHANNEL}', $1)", [str(contract_id)])


def publish_alerts(contract_id: int) -> None:
    """After alerts were recorded: tell this process's pages, unless the PostgreSQL listener will."""
    if _listener is None:
        alerts_changed.emit(contract_id)


def subscribe(callback: Callable[[Change], Any]) -> None:
    """Call ``callback`` with every change, for the life of the process (also when subscribed from a page)."""
    ledger_changed.subscribe(callback, unsubscribe_on_delete=False)


def unsubscribe(callback: Callable[[Change], Any]) -> None:
    """Stop calling ``callback`` with changes."""
    ledger_changed.unsubscribe(callback)


def subscribe_alerts(callback: Callable[[int], Any]) -> None:
    """Call ``callback`` with the id of each contract whose alert history grew (``EVERYTHING``: maybe any)."""
    alerts_changed.subscribe(callback, unsubscribe_on_delete=False)


def unsubscribe_alerts(callback: Callable[[int], Any]) -> None:
    """Stop calling ``callback`` with alert changes."""
    alerts_changed.unsubscribe(callback)


class Listener:
    """LISTEN on a dedicated connection; reconnect with back-off and ask for a full refresh when it drops."""

    def __init__(self, dsn: str, health_interval: float = 5.0) -> None:
        self.dsn = dsn.split('?', 1)[0]
        self.health_interval = health_interval
        self.connection: asyncpg.Connection | None = None
        self.reconnects = 0
        self._dropped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.create_task(self._watch(), name='balances bus listener')

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        if self.connection and not self.connection.is_closed():
            await self.connection.close()

    async def _connect(self) -> None:
        self.connection = await asyncpg.connect(self.dsn, server_settings={'application_name': APPLICATION_NAME})
        self.connection.add_termination_listener(lambda _connection: self._dropped.set())
        await self.connection.add_listener(CHANNEL, self._on_notify)
        await self.connection.add_listener(ALERTS_CHANNEL, self._on_alerts)
        self._dropped.clear()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if change := Change.decode(payload):
            ledger_changed.emit(change)

    def _on_alerts(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit():
            alerts_changed.emit(int(payload))

    async def _watch(self) -> None:
        delay = 0.1
        while True:
            if self.connection is not None and not self.connection.is_closed():
                with contextlib.suppress(TimeoutError):  # woken at once when the server drops us
                    await asyncio.wait_for(self._dropped.wait(), self.health_interval)
            try:
                if self.connection is not None and not self.connection.is_closed():
                    await self.connection.execute('SELECT 1')
                    continue
                await self._connect()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning('live-update connection lost (%s); reconnecting in %.1f s', error, delay)
                if self.connection is not None and not self.connection.is_closed():
                    self.connection.terminate()
                self.connection = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            self.reconnects += 1
            ledger_changed.emit(Change(EVERYTHING))
            alerts_changed.emit(EVERYTHING)


async def start_listener(db_url: str) -> None:
    """On PostgreSQL, start this process's listener (the app's start-up calls it)."""
    global _listener
    if db_url.startswith('postgres'):
        _listener = Listener(db_url)
        await _listener.start()


async def stop_listener() -> None:
    """Stop this process's PostgreSQL listener, if it runs."""
    global _listener
    if _listener is not None:
        await _listener.stop()
        _listener = None
