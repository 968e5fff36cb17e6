"""Pages as browsers open them, without a browser: what the load benchmarks share

A ``Browser`` signs in as a person does — ``GET /login``, NiceGUI's socket.io (the e-mail and the password typed,
the button clicked), the ticket's ``/auth/enter`` — and keeps the session cookie it was given. A ``Page`` is one tab
of it: ``GET /``, then NiceGUI's socket.io (engine.io 4 on a websocket, the implicit handshake, the board's join,
pings answered, acks every 3 s); it records every number it is shown. ``Process`` and ``Busy`` read a process's
memory and CPU from ``/proc``.
"""

import asyncio
import contextlib
import json
import os
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

BOARD = re.compile(r'"board":(\d+),"room":"([^"]+)"')
CLIENT = re.compile(r"['\"]client_id['\"]:\s*['\"]([^'\"]+)")
ELEMENTS = re.compile(r'parseElements\(String\.raw`(.*?)`\)', re.S)
NAVIGATE = re.compile(r'/auth/enter\?ticket=[^"\'\\]+')

Seen = dict[str, list[tuple[float, Decimal]]]  # a page's numbers by card, with the moment it was shown each


def percentile(values: list[float], share: int) -> float:
    if not values:
        return float('nan')
    return statistics.quantiles(values, n=100, method='inclusive')[share - 1] if len(values) > 1 else values[0]


def number(text: str) -> Decimal:
    return Decimal(text.replace(',', ''))


async def socket(http: aiohttp.ClientSession, base: str, client_id: str) -> aiohttp.ClientWebSocketResponse:
    """A page's socket.io connection, as NiceGUI's browser code opens it (implicit handshake)."""
    query = (
        f'client_id={client_id}&next_message_id=0&implicit_handshake=true&tab_id={uuid.uuid4()}'
        f'&document_id={uuid.uuid4()}&EIO=4&transport=websocket'
    )
    ws = await http.ws_connect(f'{base.replace("http", "ws", 1)}/_nicegui_ws/socket.io/?{query}')
    opened = await ws.receive_str()
    assert opened.startswith('0'), opened
    await ws.send_str('40')
    connected = await ws.receive_str()
    if not connected.startswith('40'):
        raise RuntimeError(f'socket refused: {connected[:200]}')
    return ws


async def sign_in(http: aiohttp.ClientSession, base: str, email: str, password: str) -> None:
    """Sign in through the sign-in page, as a browser does; the session's cookie stays in ``http``'s jar."""
    async with http.get(f'{base}/login', headers={'Connection': 'close'}) as response:
        html = await response.text()
        if response.status != 200:
            raise RuntimeError(f'GET /login answered {response.status}')
    client = CLIENT.search(html)
    found = ELEMENTS.search(html)
    if not client or not found:
        raise RuntimeError('the sign-in page has no client id or elements')
    elements: dict[str, dict[str, Any]] = json.loads(found.group(1))

    def listener(kind: str, **props: str) -> tuple[int, str]:
        for key, element in elements.items():
            if all(element.get('props', {}).get(name) == value for name, value in props.items()):
                for event in element.get('events', []):
                    if event['type'] == kind:
                        return int(key), event['listener_id']
        raise RuntimeError(f'no {kind} listener on an element with {props}')

    ws = await socket(http, base, client.group(1))
    try:
        for (element, listener_id), args in (
            (listener('update:value', type='email'), [email]),
            (listener('update:value', type='password'), [password]),
            (listener('click', label='Sign in'), []),
        ):
            # as NiceGUI's browser code sends them: each argument JSON-encoded
            encoded = [json.dumps(arg) for arg in args]
            event = {'id': element, 'client_id': client.group(1), 'listener_id': listener_id, 'args': encoded}
            await ws.send_str('42' + json.dumps(['event', event]))
        while True:
            text = await asyncio.wait_for(ws.receive_str(), timeout=60)
            if text == '2':
                await ws.send_str('3')
            elif ticket := NAVIGATE.search(text):
                break
            elif 'Wrong e-mail or password' in text:
                raise RuntimeError(f'{email} could not sign in')
    finally:
        await ws.close()
    async with http.get(f'{base}{ticket.group(0)}', allow_redirects=False) as response:
        if response.status != 303:
            raise RuntimeError(f'/auth/enter answered {response.status}')


@dataclass
class Page:
    """One open page, speaking socket.io as NiceGUI's browser code does; it records every number it is shown."""

    contract: int = 0
    seen: Seen = field(default_factory=dict)
    next_message_id: int = 0
    ws: aiohttp.ClientWebSocketResponse | None = None
    task: asyncio.Task[None] | None = None
    client_id: str = ''
    board: int = 0
    reloads: bool = False  # as a browser does when its socket is lost: open the page again
    recovered: list[tuple[float, float]] = field(default_factory=list)  # (lost, shown whole again)
    _lost: float | None = None
    _closing: bool = False
    _where: tuple[aiohttp.ClientSession, str] | None = None

    async def open(self, http: aiohttp.ClientSession, base: str, path: str = '/') -> None:
        self._where = http, base
        await self._open(http, base, path)
        self.task = asyncio.create_task(self.listen())

    async def _open(self, http: aiohttp.ClientSession, base: str, path: str = '/') -> None:
        # a browser opens its websocket on a connection of its own, not on the one that fetched the page
        async with http.get(f'{base}{path}', headers={'Connection': 'close'}) as response:
            html = await response.text()
            if response.status != 200:
                raise RuntimeError(f'GET {path} answered {response.status}')
        client = CLIENT.search(html)
        if not client:
            raise RuntimeError('the page has no client id')
        self.client_id = client.group(1)
        board = BOARD.search(html)  # absent when the page is the first of its contract: the cards follow the frame
        self.ws = await socket(http, base, self.client_id)
        while board is None:  # the board arrives as an update of the page, as a browser receives it
            text = await asyncio.wait_for(self.ws.receive_str(), timeout=60)
            if text == '2':
                await self.ws.send_str('3')
            board = BOARD.search(text)
        self.board = int(board.group(1))
        join = {'client_id': self.client_id, 'board': self.board}
        await self.ws.send_str('42' + json.dumps(['balances_join', join]))

    async def listen(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as error:
                if not self.reloads:
                    print(f'  a page stopped listening: {error!r}', flush=True)
                    raise
            if self._closing or not self.reloads or self._where is None:
                return
            self._lost = self._lost or time.monotonic()
            while not self._closing:  # NiceGUI's browser code reloads the page; the balancer sends it elsewhere
                try:
                    await self._open(*self._where)
                    break
                except Exception:  # noqa: BLE001 - not yet: try again
                    await asyncio.sleep(0.25)

    async def _listen(self) -> None:
        assert self.ws is not None
        acked = time.monotonic()
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            text = message.data
            if text == '2':
                await self.ws.send_str('3')
                continue
            if not text.startswith('42'):
                continue
            now = time.monotonic()
            event, data = json.loads(text[2:])
            if event == 'balances':
                self.record(now, data['cards'])
            elif event == 'balances_full':
                self.record(now, data['view']['cards'])
                if self._lost is not None:
                    self.recovered.append((self._lost, now))
                    self._lost = None
            elif isinstance(data, dict) and '_id' in data:
                self.next_message_id = data['_id'] + 1
            if now - acked > 3 and self.next_message_id:
                acked = now
                ack = {'client_id': self.client_id, 'next_message_id': self.next_message_id}
                await self.ws.send_str('42' + json.dumps(['ack', ack]))

    def record(self, now: float, cards: dict[str, dict[str, Any]]) -> None:
        for key, fields in cards.items():
            if 'available' in fields:
                self.seen.setdefault(key, []).append((now, number(fields['available'])))

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()


class Process:
    """A process's memory and CPU, read from ``/proc``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def rss(self) -> int:
        for line in Path(f'/proc/{self.pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
        return 0

    def cpu(self) -> float:
        fields = Path(f'/proc/{self.pid}/stat').read_text().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def postgres_cpu() -> float:
    """The CPU seconds of every PostgreSQL process on the machine (the server's backends among them), with those of
    the backends that have ended (counted in their postmaster's children's time: a killed app's connections go)."""
    ticks = 0
    for stat in Path('/proc').glob('[0-9]*/stat'):
        with contextlib.suppress(OSError):
            name, fields = stat.read_text().rsplit(')', 1)
            if name.endswith('(postgres'):
                ticks += sum(int(n) for n in fields.split()[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf('SC_CLK_TCK')


def cpu_times() -> tuple[int, int]:
    """The machine's CPU time (all cores) and the part of it the hypervisor gave to others (steal), in ticks."""
    fields = [int(n) for n in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:9]]
    return sum(fields), fields[7]


class Busy:
    """From its creation to ``shares()``: the CPU of the servers, of the pages' process and of PostgreSQL, in % of one
    core, and the % of the machine's time stolen by its neighbours (a neighbour's load slows every figure)."""

    def __init__(self, servers: list[Process], pages: Process) -> None:
        self.servers, self.pages = servers, pages
        self.start = self._read()

    def _read(self) -> tuple[float, float, float, float, tuple[int, int]]:
        servers = sum(server.cpu() for server in self.servers)
        return time.monotonic(), servers, self.pages.cpu(), postgres_cpu(), cpu_times()

    def shares(self) -> tuple[float, float, float, float]:
        (then, *before, machine), (now, *after, machine_now) = self.start, self._read()
        server, pages, database = ((b - a) / (now - then) * 100 for a, b in zip(before, after, strict=True))
        total, stolen = (b - a for a, b in zip(machine, machine_now, strict=True))
        return server, pages, database, stolen / max(1, total) * 100


def cell(value: object, reference: dict[str, Any] | None, name: str) -> str:
    """A figure of a table, with its ratio to the same figure of the reference run (when there is one to divide by)."""
    if value is None or (isinstance(value, float) and value != value):
        return '–'
    text = f'{value:,.1f}'
    if reference and isinstance(value, (int, float)) and reference.get(name):
        text += f' ({value / reference[name]:.2f}×)'
    return text
