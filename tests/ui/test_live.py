"""Live pages at scale: one computation per contract and change, whatever the number of pages, and only what changed
is pushed"""

import asyncio
import importlib
import json
from collections.abc import Callable
from typing import Any

import engineio.packet
import pytest
from nicegui import Client, core
from nicegui.testing import User

from services import ledger
from services.accounts import contracts, sessions
from services.infrastructure import diagnostics
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from services.reading import live
from services.reading.balances import contract_balances
from tests.ui.conftest import PASSWORD, Seeded, browser_session, card, enter_as, open_board, sign_in, until
from ui.board import BalanceBoard
from ui.hub import CHUNK, SharedBoard, hub

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Every message the boards broadcast to their pages, as (event, message) (the simulated pages have no socket
    of their own: what reaches sockets is checked by
    `test_a_broadcast_reaches_every_page_once_and_lets_requests_in_between`)."""
    messages: Sent = []
    broadcast = SharedBoard.broadcast

    async def recording(board: SharedBoard, event: str, message: dict[str, Any]) -> None:
        messages.append((event, message))
        await broadcast(board, event, message)

    monkeypatch.setattr(SharedBoard, 'broadcast', recording)
    return messages


async def test_a_broadcast_reaches_every_page_once_and_lets_requests_in_between(
    user: User, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(user)
    await open_board(user)
    (shared,) = hub.boards.values()
    queued: list[tuple[str, str]] = []
    answered_after: list[int] = []  # how many sockets had been sent to when a request waiting meanwhile ran
    send_packet = core.sio.eio.send_packet

    async def recording(socket: str, packet: engineio.packet.Packet) -> None:
        if socket.startswith('eio-page-'):  # this test's sockets, not the page's own
            queued.append((socket, packet.data))
            return
        await send_packet(socket, packet)

    monkeypatch.setattr(core.sio.eio, 'send_packet', recording)
    joined = [f'page-{n}' for n in range(3 * CHUNK)]
    for sid in joined:  # as `join` places them
        await core.sio.manager.enter_room(sid, '/', shared.room, f'eio-{sid}')
    try:
        asyncio.get_running_loop().call_soon(lambda: answered_after.append(len(queued)))
        await shared.broadcast('balances', {'version': -1})
    finally:
        for sid in joined:
            await core.sio.manager.leave_room(sid, '/', shared.room)
    assert sorted(socket for socket, _ in queued) == sorted(f'eio-{sid}' for sid in joined)  # each page once
    (text,) = {data for _, data in queued}  # one encoding for all
    assert json.loads(text[1:]) == ['balances', {'version': -1, 'room': shared.room}]  # the page filters on its room
    assert answered_after == [CHUNK]  # the loop ran what was waiting after the first chunk, not after all of them


def charge(seeded: Seeded, event_id: str, team: str = 'Architecture', quantity: str = '0.5') -> UsageInput:
    return UsageInput(event_id, 'zoe@x.fr', 'render', quantity, utcnow(), seeded.teams[team])


async def settled() -> None:
    """Until the live model has flushed everything it was told, and its listeners have what it read."""
    model = next(iter(live.registry.models.values()))
    await until(lambda: model.idle)


async def open_another_page(other: User) -> None:
    await enter_as(other)
    await open_board(other)


async def statements_for_one_change(seeded: Seeded, board: BalanceBoard, event_id: str, shows: str) -> int:
    await settled()
    before = diagnostics.statements['live']  # the live model's reads (the write, alerts and senders are apart)
    await ledger.consume(seeded.flex, [charge(seeded, event_id)])
    await until(lambda: card(board, seeded.teams['Architecture'])['available'] == shows)
    await settled()
    return diagnostics.statements['live'] - before


async def test_one_change_costs_the_same_statements_with_1_and_with_50_pages(
    user: User, create_user: Callable[[], User], seeded: Seeded
) -> None:
    diagnostics.start_counting()
    try:
        await sign_in(user)
        board = await open_board(user)
        with_one = await statements_for_one_change(seeded, board, 'one-page', '999.5')
        for _ in range(49):
            await open_another_page(create_user())
        (shared,) = hub.boards.values()
        assert shared.pages >= 50
        assert len(live.registry.models) == 1
        with_fifty = await statements_for_one_change(seeded, board, 'fifty-pages', '999')
    finally:
        diagnostics.stop_counting()
    assert with_one == with_fifty > 0


async def test_the_last_page_closed_keeps_the_board_warm_for_a_while_then_lets_it_go(
    user: User, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module('ui.hub'), 'LINGER', 0.5)  # the module, not its `hub`
    await sign_in(user)
    await open_board(user)
    (shared,) = hub.boards.values()
    for client in list(Client.instances.values()):
        if client.request and client.request.url.path == '/':
            client.delete()  # the tabs closed (the simulated sign-in opened the page twice)
    await until(lambda: shared.pages == 0)
    assert hub.boards  # a reload within LINGER would find it warm
    assert live.registry.models
    await until(lambda: not hub.boards and not live.registry.models)


async def test_signing_in_loads_the_board_of_the_page_it_leads_to_before_that_page_asks(
    user: User, seeded: Seeded
) -> None:
    await user.open('/login')
    result = await sessions.sign_in(
        'admin@example.com', PASSWORD, address='test', browser=str(browser_session(user)['id'])
    )
    assert result.ticket is not None
    entered = await user.http_client.get(f'/auth/enter?ticket={result.ticket}', follow_redirects=False)
    assert entered.status_code == 303
    first = (await contracts.list_contracts([seeded.flex, seeded.cloud]))[0]
    # loaded, and kept as after a last page (let go if no page comes)
    await until(lambda: hub.is_warm(first.id, 'en') and hub.boards[first.id, 'en'].pages == 0)
    assert not [c for c in Client.instances.values() if c.request and c.request.url.path == '/']  # no page yet


async def quiet_board(user: User, sent: Sent) -> BalanceBoard:
    """Signed in, the board shown, its live model settled and nothing recorded yet."""
    await sign_in(user)
    board = await open_board(user)
    await settled()
    sent.clear()
    return board


async def test_a_change_to_one_team_pushes_that_card_and_its_changed_points_only(
    user: User, seeded: Seeded, sent: Sent
) -> None:
    board = await quiet_board(user, sent)
    await ledger.consume(seeded.flex, [charge(seeded, 'one-team')])
    await until(lambda: any(event == 'balances' for event, _ in sent))
    (message,) = [message for event, message in sent if event == 'balances']
    team = str(seeded.teams['Architecture'])
    assert list(message['cards']) == [team]
    changed = message['cards'][team]
    assert changed['available'] == '999.5'
    assert 'title' not in changed
    assert 'trend' not in changed
    assert list(changed['trend_points']) == [89]  # today's point of the 90-day trend, not the whole series
    assert card(board, seeded.teams['Architecture'])['trend'][89] == 0.5


async def test_a_burst_of_100_changes_arrives_as_the_final_numbers_in_fewer_pushes(
    user: User, seeded: Seeded, sent: Sent
) -> None:
    board = await quiet_board(user, sent)
    await asyncio.gather(
        *(ledger.consume(seeded.flex, [charge(seeded, f'burst-{n}', quantity='0.25')]) for n in range(100))
    )
    await until(lambda: card(board, seeded.teams['Architecture'])['available'] == '975')
    await settled()
    pushes = [message for event, message in sent if event == 'balances']
    assert 0 < len(pushes) < 100
    api = {b.team: b for b in (await contract_balances(seeded.flex)).balances}
    architecture = card(board, seeded.teams['Architecture'])
    assert architecture['available'] == '975'
    assert api[seeded.teams['Architecture']].available == 975
    assert architecture['used'] == '275.5'
