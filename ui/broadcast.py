"""One message to every page of a room: the only module that knows how NiceGUI's socket.io carries it

A board's pages join its room from the browser (``join``, again after every reconnection). ``send`` encodes a
message once and queues that encoding on each socket of the room as socket.io's own emit to a room does, but without
its task (and its encoding) per socket, yielding to the event loop every ``CHUNK`` sockets so that the requests
arriving meanwhile are answered between them. This leans on python-socketio's manager and python-engineio's packets
as NiceGUI ``TESTED_WITH`` bundles them; ``tests/ui/test_broadcast.py`` pins it.
"""

import asyncio
from typing import Any

import engineio.packet
import socketio.packet
from nicegui import core

TESTED_WITH = '3.18.0'  # the NiceGUI whose socket.io this was written against (a test fails on another)
CHUNK = 5  # the sockets a message is queued on between two yields to the event loop (their writes follow)
NAMESPACE = '/'


def encoded(event: str, data: Any) -> list[engineio.packet.Packet]:
    """A socket.io event as the engine.io packets that carry it, encoded once for every socket it is sent to."""
    packet = core.sio.packet_class(socketio.packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode()
    return [
        engineio.packet.Packet(engineio.packet.MESSAGE, part)
        for part in (packet if isinstance(packet, list) else [packet])
    ]


async def send(room: str, event: str, data: Any) -> int:
    """Send ``event`` with ``data`` to every socket of ``room``; how many sockets it was queued on."""
    packets = encoded(event, data)
    sent = 0
    for sent, (_, socket) in enumerate(core.sio.manager.get_participants(NAMESPACE, room), 1):
        for packet in packets:
            await core.sio.eio.send_packet(socket, packet)
        if sent % CHUNK == 0:
            await asyncio.sleep(0)
    return sent


async def send_to(sid: str, event: str, data: Any) -> None:
    """Send ``event`` with ``data`` to one socket."""
    await core.sio.emit(event, data, to=sid)


async def enter(sid: str, room: str) -> None:
    """Put a socket in a room (the pages of one board)."""
    await core.sio.enter_room(sid, room)


def owns(sid: str, client_id: str) -> bool:
    """Whether the socket ``sid`` is that of the page ``client_id`` (NiceGUI puts each page's socket in a room named
    after the page). Asks that room, not the socket's rooms: socket.io finds those by going through every room."""
    return any(member == sid for member, _ in core.sio.manager.get_participants(NAMESPACE, client_id))


def on(event: str, handler: Any) -> None:
    """Handle a socket.io event the browser code emits."""
    core.sio.on(event, handler)
