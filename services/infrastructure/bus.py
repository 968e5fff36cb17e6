"""The live-update bus

The ledger announces each committed change of a contract (usage, purchase, transfer, a new team) with the holders it
touched, on the signal ``ledger_changed``; the live models of open contracts (``services.reading.live``) and the
alert evaluator listen, recompute those holders, and tell their pages.

- SQLite (one process): ``publish`` after the commit tells this process's listeners.
- PostgreSQL (several processes): the write transaction itself runs ``pg_notify`` (delivered on commit, once per
  committed batch, carrying the contract id and the holder ids: ``"12:3,4"``). Every process LISTENs on a dedicated
  connection, outside the pool (a ``Listener``, started by the app), and tells its own listeners. When that connection
  drops, it reconnects and sends ``EVERYTHING``: every live model recomputes all its holders, since notifications may
  have been missed meanwhile.
"""

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from services.infrastructure import database, tasks
from services.infrastructure.signals import Signal

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


# the process's two channels (like its loggers, they live as long as the process; what listens comes and goes)
ledger_changed: Signal[Change] = Signal('ledger changes')
alerts_changed: Signal[int] = Signal('alert histories')  # the contract id whose alert history grew


async def announce(conn: BaseDBAsyncClient, contract_id: int, holders: Collection[int]) -> None:
    """Inside a write transaction: on PostgreSQL, notify every process when (and only if) it commits."""
    if database.is_postgres(conn):
        change = Change(contract_id, frozenset(holders))
        await conn.execute_query(f"SELECT pg_notify('{CHANNEL}', $1)", [change.encode()])


def publish(contract_id: int, holders: Collection[int]) -> None:
    """After a commit: tell this process's listeners (on PostgreSQL, the notification does: it reaches all)."""
    if not database.is_postgres():
        ledger_changed.emit(Change(contract_id, frozenset(holders)))


async def announce_alerts(conn: BaseDBAsyncClient, contract_id: int) -> None:
    """Inside the transaction that records alerts: on PostgreSQL, tell every process when it commits."""
    if database.is_postgres(conn):
        await conn.execute_query(f"SELECT pg_notify('{ALERTS_CHANNEL}', $1)", [str(contract_id)])


def publish_alerts(contract_id: int) -> None:
    """After alerts were recorded: tell this process's pages (on PostgreSQL, the notification will)."""
    if not database.is_postgres():
        alerts_changed.emit(contract_id)


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
