"""Real peers for the alert tests: an SMTP server (aiosmtpd) and a webhook receiver (an HTTP server), each on a
free loopback port in a thread of its own, recording what they receive"""

import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.test_main import free_port


class Mailbox:
    """What the SMTP server received: one parsed message per recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append((recipient, message))
        return '250 OK'


@dataclass
class SmtpServer:
    url: str
    mailbox: Mailbox


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname='127.0.0.1', port=port)
    controller.start()
    try:
        yield SmtpServer(f'smtp://127.0.0.1:{port}', mailbox)
    finally:
        controller.stop()


@dataclass
class Call:
    at: float
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    url: str
    calls: list[Call] = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many calls, then 200
    answered: list[int] = field(default_factory=list)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """The payloads whose signature checks out under the secret (and only if every one does)."""
        for call in self.calls:
            expected = 'sha256=' + hmac.new(secret.encode(), call.body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(call.headers.get('X-Balances-Signature', ''), expected), call
        return [call.json for call in self.calls]


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    port = free_port()
    receiver = Receiver(f'http://127.0.0.1:{port}/hook', fail_first=fail_first)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            with lock:
                receiver.calls.append(Call(time.monotonic(), dict(self.headers.items()), body))
                status = 500 if len(receiver.calls) <= receiver.fail_first else 200
                receiver.answered.append(status)
            self.send_response(status)
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Wait for a real peer to have received something (polling, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError('it did not arrive in time')
        time.sleep(0.02)
