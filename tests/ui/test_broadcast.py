"""The two places this app leans on NiceGUI's internals, pinned to the version they were written for: one message to
every page of a room (``ui.broadcast``), and the pages' outboxes that do not wake every second (``ui.tuning``)"""

import asyncio
import json

import engineio.packet
import nicegui
import pytest
from nicegui import core, outbox
from nicegui.testing import User

from tests.ui.conftest import Seeded, open_board, sign_in
from ui import broadcast, runtime, tuning
from ui.board import join


def test_the_nicegui_these_were_written_for_is_the_one_installed() -> None:
    """An upgrade of NiceGUI fails here first: read ``ui/broadcast.py`` and ``ui/tuning.py`` again against it."""
    assert nicegui.__version__ == broadcast.TESTED_WITH == tuning.TESTED_WITH


async def test_a_broadcast_reaches_every_page_once_and_lets_requests_in_between(
    user: User, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(user)
    await open_board(user)
    (shared,) = runtime.current().boards.boards.values()
    queued: list[tuple[str, str]] = []
    answered_after: list[int] = []  # how many sockets had been sent to when a request waiting meanwhile ran
    send_packet = core.sio.eio.send_packet

    async def recording(socket: str, packet: engineio.packet.Packet) -> None:
        if socket.startswith('eio-page-'):  # this test's sockets, not the page's own
            queued.append((socket, packet.data))
            return
        await send_packet(socket, packet)

    monkeypatch.setattr(core.sio.eio, 'send_packet', recording)
    joined = [f'page-{n}' for n in range(3 * broadcast.CHUNK)]
    for sid in joined:  # as `join` places them
        await core.sio.manager.enter_room(sid, '/', shared.room, f'eio-{sid}')
    try:
        asyncio.get_running_loop().call_soon(lambda: answered_after.append(len(queued)))
        assert await broadcast.send(shared.room, 'balances', {'room': shared.room, 'cards': {}}) >= len(joined)
    finally:
        for sid in joined:
            await core.sio.manager.leave_room(sid, '/', shared.room)
    assert sorted(socket for socket, _ in queued) == sorted(f'eio-{sid}' for sid in joined)  # each page once
    (text,) = {data for _, data in queued}  # one encoding for all
    assert json.loads(text[1:]) == ['balances', {'room': shared.room, 'cards': {}}]  # the page filters on its room
    assert answered_after == [broadcast.CHUNK]  # the loop ran what was waiting after the first chunk, not the last


async def test_a_pages_outbox_waits_for_something_to_send_without_waking_every_second(user: User) -> None:
    await user.open('/login')
    assert tuning.outbox_waits_for_its_event()  # NiceGUI's loop is still the one the change was made for
    assert outbox.asyncio.wait_for is tuning._until_set  # and its outboxes use the patient wait
    assert asyncio.wait_for is not tuning._until_set  # nothing else does


async def test_only_the_socket_of_a_page_joins_its_boards_room(
    user: User, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``join`` names a page and its board; a socket that is not that page's (another page's, guessing its id) is
    refused, and the page's own is let in — found by asking the page's room, whatever the number of rooms."""
    await sign_in(user)
    board = await open_board(user)
    sent: list[str] = []

    async def recording(sid: str, event: str, data: object) -> None:
        sent.append(sid)

    monkeypatch.setattr(broadcast, 'send_to', recording)
    others = [f'other-{n}' for n in range(50)]  # rooms of other pages and boards, as a busy process holds
    for n, sid in enumerate(others):
        await core.sio.manager.enter_room(sid, '/', f'room-{n}', f'eio-{sid}')
    page, stranger = [await core.sio.manager.connect(f'eio-{name}', '/') for name in ('page', 'stranger')]
    await core.sio.manager.enter_room(page, '/', board.client.id)  # as NiceGUI places a page's socket
    joining = {'client_id': board.client.id, 'board': board.id}
    try:
        await join(stranger, joining)
        assert not broadcast.owns(stranger, board.client.id)
        assert sent == []
        assert stranger not in dict(core.sio.manager.get_participants('/', board.room))
        await join(page, joining)
        assert broadcast.owns(page, board.client.id)
        assert sent == [page]
        assert page in dict(core.sio.manager.get_participants('/', board.room))
    finally:
        for n, sid in enumerate(others):
            await core.sio.manager.leave_room(sid, '/', f'room-{n}')
        for sid in (page, stranger):
            await core.sio.manager.disconnect(sid, '/')
