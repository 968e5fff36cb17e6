"""HTTP hardening, races, retries and exports: each defect found by the audit, made impossible"""

import asyncio
import base64
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import hardening
from services import ledger
from services.reading.exports import cell
from services.reading.state import contract_balances
from tests.api.conftest import OPERATOR, Tenant, event, provision
from tests.helpers import buy, flex_contract
from tests.test_main import OPERATOR_KEY, empty_app, running


async def test_security_headers_on_every_answer(client: httpx.AsyncClient) -> None:
    for path in ('/api/v1/health', '/api/v1/contracts', '/api/v1/nowhere'):
        answer = await client.get(path, headers=OPERATOR)
        assert "frame-ancestors 'none'" in answer.headers['content-security-policy']
        assert answer.headers['x-content-type-options'] == 'nosniff'
        assert answer.headers['referrer-policy'] == 'same-origin'


async def test_oversized_or_too_many_headers_are_refused(client: httpx.AsyncClient) -> None:
    big = await client.get('/api/v1/health', headers={'X-Big': 'x' * 40_000})
    assert big.status_code == 431
    many = await client.get('/api/v1/health', headers={f'X-H{n}': 'v' for n in range(200)})
    assert many.status_code == 431
    assert (await client.get('/api/v1/health')).status_code == 200


async def test_unknown_api_paths_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    nowhere = await client.get('/api/v1/nowhere/at/all', headers=OPERATOR)
    assert nowhere.status_code == 404
    assert nowhere.headers['content-type'] == 'application/json'
    assert nowhere.json() == {'detail': 'no such route'}
    wrong = await client.delete('/api/v1/contracts', headers=OPERATOR)
    assert wrong.status_code == 405
    assert wrong.headers['allow'] == 'GET, OPTIONS, POST'
    options = await client.options('/api/v1/contracts/1/usage')
    assert options.status_code == 204
    assert options.headers['allow'] == 'GET, OPTIONS, POST'


def upgrade(url: str, headers: dict[str, str]) -> bytes:
    """The status line answering a websocket upgrade to socket.io, sent as raw bytes."""
    parts = urlsplit(url)
    lines = [
        b'GET /_nicegui_ws/socket.io/?EIO=4&transport=websocket HTTP/1.1',
        f'Host: {parts.netloc}'.encode(),
        b'Upgrade: websocket',
        b'Connection: Upgrade',
        b'Sec-WebSocket-Key: ' + base64.b64encode(os.urandom(16)),
        b'Sec-WebSocket-Version: 13',
        *(f'{name}: {value}'.encode() for name, value in headers.items()),
    ]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(b'\r\n'.join(lines) + b'\r\n\r\n')
        return conn.makefile('rb').readline().strip()


def test_socket_io_answers_its_own_origin_only_and_within_the_header_limits(tmp_path: Path) -> None:
    env = {'BALANCES_DB_URL': f'sqlite://{tmp_path}/origin.sqlite3', 'BALANCES_DEMO': '0'}
    with running(env, tmp_path) as server:
        path = f'{server.url}/_nicegui_ws/socket.io/?EIO=4&transport=polling'
        evil = httpx.get(path, headers={'Origin': 'https://evil.example'})
        assert evil.status_code == 400
        assert 'access-control-allow-origin' not in evil.headers
        own = httpx.get(path, headers={'Origin': server.url})
        assert own.status_code == 200
        assert own.headers.get('access-control-allow-origin') == server.url
        # the websocket goes to socket.io past the pages' middlewares (hardening.SocketDoor), not past these checks
        assert upgrade(server.url, {'Origin': server.url}).startswith(b'HTTP/1.1 101')
        assert not upgrade(server.url, {'Origin': 'https://evil.example'}).startswith(b'HTTP/1.1 101')
        many = {'Origin': server.url, **{f'X-H{n}': 'v' for n in range(hardening.MAX_HEADERS)}}
        assert upgrade(server.url, many).startswith(b'HTTP/1.1 403')
        big = {'Origin': server.url, 'X-Big': 'x' * hardening.MAX_HEADER_BYTES}
        assert upgrade(server.url, big).startswith(b'HTTP/1.1 403')
        assert upgrade(server.url, {'Origin': server.url}).startswith(b'HTTP/1.1 101')


async def test_the_socket_door_sends_socket_io_s_websockets_past_the_other_middlewares_only() -> None:
    reached: list[tuple[str, str]] = []

    def app(name: str) -> ASGIApp:
        async def called(scope: Scope, receive: Receive, send: Send) -> None:
            reached.append((name, scope.get('root_path', '')))

        return called

    door = hardening.SocketDoor(app('middlewares'), Mount(hardening.SOCKET_PATH, app=app('socket.io')))

    async def receive() -> Message:
        return {'type': 'websocket.connect'}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    socket_io = {'type': 'websocket', 'path': '/_nicegui_ws/socket.io/', 'root_path': '', 'headers': []}
    for scope in (
        socket_io,
        {**socket_io, 'type': 'http'},
        {**socket_io, 'path': '/elsewhere'},
        {**socket_io, 'headers': [(b'x-h', b'v')] * (hardening.MAX_HEADERS + 1)},
        {'type': 'lifespan'},
    ):
        await door(scope, receive, send)
    assert reached == [
        ('socket.io', hardening.SOCKET_PATH),
        ('middlewares', ''),
        ('middlewares', ''),
        ('middlewares', ''),
    ]
    assert sent == [{'type': 'websocket.close', 'code': 1008}]  # the one over the limits, refused


async def test_eight_copies_of_one_transfer_make_one_transfer(client: httpx.AsyncClient) -> None:
    tenant = await provision(client)
    await client.post(
        tenant.url('/purchases'), json={'id': 'p', 'team': tenant.teams['A'], 'quantity': '10'}, headers=OPERATOR
    )
    body = {'id': 'same', 'from_team': tenant.teams['A'], 'to_team': tenant.teams['B'], 'quantity': '7'}
    answers = await asyncio.gather(
        *(client.post(tenant.url('/transfers'), json=body, headers=tenant.keys['transfers:write']) for _ in range(8))
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert {answer.json()['quantity'] for answer in answers} == {'7'}


async def test_a_balance_is_read_in_one_snapshot_while_transfers_commit(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    for name, team in teams.items():
        await buy(contract, f'lot-{name}', 1000, team)
    seen: list[tuple[str, str]] = []
    done = asyncio.Event()

    async def transfers() -> None:
        for n in range(120):
            source, target = (teams['A'], teams['B']) if n % 2 else (teams['B'], teams['A'])
            await ledger.transfer(contract, client_id=f't{n}', from_team=source, to_team=target, quantity='7')
        done.set()

    async def reader() -> None:
        while not done.is_set():
            for balance in (await contract_balances(contract)).balances:
                seen.append(
                    (str(balance.used), str(balance.available + balance.used + balance.expired - balance.total))
                )
            await asyncio.sleep(0)

    await asyncio.gather(transfers(), reader(), reader(), reader())
    assert len(seen) > 10
    assert {used for used, _ in seen} == {'0'}  # transfers use nothing: a torn read showed "-7"
    assert {gap for _, gap in seen} == {'0'}


async def test_csv_cells_never_start_a_formula(client: httpx.AsyncClient) -> None:
    tenant: Tenant = await provision(client)
    await client.post(
        tenant.url('/purchases'), json={'id': 'p', 'team': tenant.teams['A'], 'quantity': '100'}, headers=OPERATOR
    )
    names = ['=HYPERLINK("http://evil.example","x")', '+SUM(A1:A9)', '-2+3', '@cmd', 'plain']
    events = [
        event(f'e{n}', str(n + 1), tenant.teams['A'], product=name, occurred_at=datetime.now(UTC).isoformat())
        for n, name in enumerate(names)
    ]
    posted = await client.post(tenant.url('/usage'), json={'events': events}, headers=tenant.keys['usage:write'])
    assert posted.status_code == 200, posted.text
    text = (await client.get(tenant.url('/usage.csv'), headers=tenant.keys['balances:read'])).text
    keys = [line.rsplit(',', 1)[0].strip('"') for line in text.splitlines()[1:]]
    assert all(not key.startswith(('=', '+', '-', '@', '\t')) for key in keys), keys
    assert '\'=HYPERLINK(""http://evil.example"",""x"")' in text  # still readable, quoted as CSV does
    assert 'plain' in keys
    # a tab or a carriage return cannot arrive (control characters are refused), and would be neutralised too
    assert (cell('\tTAB'), cell('\rx'), cell('-1')) == ("'\tTAB", "'\rx", "'-1")


@pytest.mark.parametrize('lane', ['sqlite'])
def test_operator_key_is_never_in_the_logs(lane: str, tmp_path: Path) -> None:
    env = empty_app(f'sqlite://{tmp_path}/logs.sqlite3')
    with running(env, tmp_path) as server:
        httpx.get(f'{server.url}/api/v1/contracts', headers={'Authorization': f'Bearer {OPERATOR_KEY}'})
        httpx.get(f'{server.url}/api/v1/contracts', headers={'Authorization': 'Bearer wrong-key'})
        lines = list(server.lines)
    assert not any(OPERATOR_KEY in line or 'wrong-key' in line for line in lines)
