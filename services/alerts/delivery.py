"""Delivering notices: the senders work the outbox, each notice exactly once, retried for over an hour

Every process runs a sender. A sender claims due deliveries in one statement (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL: two senders never claim the same row; SQLite has one writer), which leases them for ``LEASE`` seconds
and counts the attempt; then it sends outside any transaction, and records the outcome. A notice that fails is
tried again after growing delays (10 s, 30 s, 1 min, … 15 min; the last try 94 minutes after the first); one whose
sender died mid-send is claimed again when its lease ends. A webhook carries the alert's id, the same on every
try, so that a receiver can drop a repeat; a delivery is marked sent only after the receiver's 2xx.
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiosmtplib
import httpx
from pypika_tortoise import Table

from models import Alert, AlertDelivery, AlertRule
from services.accounts.contracts import get_contract
from services.alerts.history import described
from services.alerts.messages import Crossing, email
from services.alerts.rules import RuleInfo
from services.alerts.targets import PrivateTarget, check_reachable
from services.domain.quantity import format_quantity, from_units
from services.infrastructure import bus, database, tasks
from services.infrastructure.clock import utcnow

RETRY_DELAYS = (10, 30, 60, 120, 300, 600, 900, 900, 900, 900, 900)  # seconds after the 1st, 2nd, … failure
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE = timedelta(seconds=30)  # longer than any try takes: a webhook's 5 s, an SMTP exchange's 15 s
WEBHOOK_TIMEOUT = 5.0
SMTP_TIMEOUT = 15.0
POLL = 2.0  # seconds between two looks at the outbox when nothing woke the sender
BATCH = 20
SIGNATURE_HEADER = 'X-Balances-Signature'
log = logging.getLogger('balances.alerts.delivery')


@dataclass(frozen=True)
class DeliveryConfig:
    """Where notices go out: the SMTP server (``None``: e-mails are logged, not sent), the sender address, the
    page's public URL for links, and whether webhooks may target private addresses."""

    smtp_url: str | None = None
    mail_from: str = 'balances@localhost'
    public_url: str = 'http://127.0.0.1:8080'
    allow_private: bool = False


@dataclass(frozen=True)
class Job:
    id: int
    alert: int
    channel: str
    target: str
    language: str
    attempts: int


class Undeliverable(Exception):
    """A delivery that cannot succeed by trying again (no SMTP server, a private target)."""


class ReceiverAnswered(RuntimeError):
    """A webhook receiver answered, but not 2xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f'the receiver answered {status}')
        self.status = status


async def release_claims() -> int:
    """At the start of the only process (SQLite): what a process that died was sending is due again now, not at the
    end of its lease. (On PostgreSQL other processes may be sending: leases end by themselves.)"""
    conn = database.connection()
    if database.is_postgres(conn):
        return 0
    return int(await AlertDelivery.filter(status='pending', claimed_until__not_isnull=True).update(claimed_until=None))


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(alert: Alert) -> bytes:
    """The JSON a webhook receives for a crossing: the same bytes on every try."""
    payload = {
        'id': alert.id,
        'rule': alert.rule_id,  # type: ignore[attr-defined]
        'contract': alert.contract_id,  # type: ignore[attr-defined]
        'team': alert.team_id,  # type: ignore[attr-defined]
        'kind': alert.kind,
        'state': alert.state,
        'at': alert.at.isoformat().replace('+00:00', 'Z'),
        'available': format_quantity(from_units(alert.available)),
        'total': format_quantity(from_units(alert.total)),
    }
    return json.dumps(payload, separators=(',', ':')).encode()


async def crossing_of(alert: Alert) -> Crossing:
    """A recorded alert as the crossing it was, for composing its e-mail (as the bell reads it)."""
    contract = await get_contract(alert.contract_id)  # type: ignore[attr-defined]
    (info,) = await described(contract.id, [alert])
    return info.crossing(contract)


def page_link(config: DeliveryConfig, contract: int) -> str:
    """The address of a contract's page, for e-mails."""
    return f'{config.public_url.rstrip("/")}/?contract={contract}'


async def send_email(
    config: DeliveryConfig, job: Job, alert: Alert | None, *, crossing: Crossing | None = None
) -> None:
    """Send a crossing's e-mail to one recipient; ``Undeliverable`` when no SMTP server is configured."""
    if crossing is None:
        if alert is None:
            raise ValueError('an e-mail needs its alert or its crossing')
        crossing = await crossing_of(alert)
    message = email(
        crossing, job.language, sender=config.mail_from, recipient=job.target, link=page_link(config, crossing.contract)
    )
    if not config.smtp_url:
        log.warning('e-mail not sent (BALANCES_SMTP_URL is not set): to %s, subject %r', job.target, message['Subject'])
        raise Undeliverable('no SMTP server is configured (BALANCES_SMTP_URL)')
    server = urlsplit(config.smtp_url)
    starttls = server.scheme == 'smtp+starttls'
    await aiosmtplib.send(
        message,
        hostname=server.hostname or 'localhost',
        port=server.port or (465 if server.scheme == 'smtps' else 587 if starttls else 25),
        username=server.username or None,
        password=server.password or None,
        use_tls=server.scheme == 'smtps',
        start_tls=starttls,
        timeout=SMTP_TIMEOUT,
    )


async def send_webhook(config: DeliveryConfig, job: Job, alert: Alert) -> None:
    """POST a crossing, signed, to the rule's webhook; an error unless the receiver answers 2xx within 5 s."""
    rule = await AlertRule.get(id=alert.rule_id)  # type: ignore[attr-defined]
    await post_webhook(config, job.target, rule.webhook_secret or '', webhook_body(alert))


async def post_webhook(config: DeliveryConfig, url: str, secret: str, body: bytes) -> None:
    """POST a signed body to a public address (unless private ones are allowed); an error unless 2xx within 5 s."""
    try:
        await check_reachable(url, allow_private=config.allow_private)
    except PrivateTarget as refusal:
        raise Undeliverable(str(refusal)) from None
    headers = {'Content-Type': 'application/json', SIGNATURE_HEADER: sign(secret, body)}
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as client:
        answer = await client.post(url, content=body, headers=headers)
    if not 200 <= answer.status_code < 300:
        raise ReceiverAnswered(answer.status_code)


DELIVERY = Table('alert_delivery')


@database.shaped
def _claim_sql(marks: database.Marks) -> database.Built:
    """Lease the due deliveries no other sender holds, counting the attempt. Values: the lease's end, now (twice), the
    batch's size."""
    until, now, again, limit = marks.many(4)
    due = (
        marks.query.from_(DELIVERY)
        .select(DELIVERY.id)
        .where(
            (DELIVERY.status == 'pending')
            & (DELIVERY.next_attempt_at <= now)
            & (DELIVERY.claimed_until.isnull() | (DELIVERY.claimed_until <= again))
        )
        .orderby(DELIVERY.next_attempt_at, DELIVERY.id)
        .limit(limit)
    )
    if marks.postgres:
        due = due.for_update(skip_locked=True)
    claimed = (
        marks.query.update(DELIVERY)
        .set(DELIVERY.claimed_until, until)
        .set(DELIVERY.attempts, DELIVERY.attempts + 1)
        .where(DELIVERY.id.isin(due))
    )
    columns = ('id', 'alert_id', 'channel', 'target', 'language', 'attempts')
    return database.returning(claimed, *(DELIVERY.field(column) for column in columns))


@database.shaped
def _settle_sql(marks: database.Marks) -> database.Built:
    status, due, error, sent_at, delivery = marks.many(5)
    return (
        marks.query.update(DELIVERY)
        .set(DELIVERY.status, status)
        .set(DELIVERY.next_attempt_at, due)
        .set(DELIVERY.last_error, error)
        .set(DELIVERY.sent_at, sent_at)
        .set(DELIVERY.claimed_until, None)
        .where(DELIVERY.id == delivery)
    )


async def claim(now: datetime, limit: int = BATCH) -> list[Job]:
    """Lease the due deliveries no other sender holds, counting the attempt; in one statement."""
    conn = database.connection()
    rows = await database.fetch_shaped(conn, _claim_sql, [now + LEASE, now, now, limit])
    return [
        Job(int(r['id']), int(r['alert_id']), str(r['channel']), str(r['target']), str(r['language']), r['attempts'])
        for r in rows
    ]


async def settle(job: Job, error: BaseException | None, now: datetime) -> str:
    """Record the outcome of a try: sent; failed for good; or due again after the next delay."""
    conn = database.connection()
    if error is None:
        status, due, reason = 'sent', now, None
    elif isinstance(error, Undeliverable) or job.attempts >= MAX_ATTEMPTS:
        status, due, reason = 'failed', now, str(error) or type(error).__name__
    else:
        delay = RETRY_DELAYS[min(job.attempts, len(RETRY_DELAYS)) - 1]
        status, due, reason = 'pending', now + timedelta(seconds=delay), str(error) or type(error).__name__
    outcome = [status, due, reason[:500] if reason else None, now if status == 'sent' else None, job.id]
    await database.fetch_shaped(conn, _settle_sql, outcome)
    return status


class Sender:
    """This process's sender: woken when deliveries are queued here, and looking every ``POLL`` seconds."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self.sent = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = lambda: None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._unsubscribe = bus.alerts_changed.subscribe(self.on_alerts)
        self._task = asyncio.create_task(self._run(), name='alert sender')

    def on_alerts(self, _contract_id: int) -> None:
        """Alerts were recorded (here or, through PostgreSQL, in another process): their deliveries are due."""
        self.wake()

    async def stop(self) -> None:
        self._unsubscribe()
        await tasks.cancel(self._task)

    async def _run(self) -> None:
        while True:
            try:
                while await self.run_once():
                    pass
            except Exception:  # the outbox waits: the next round tries again
                log.exception('the alert sender failed')
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL)
            self._wake.clear()

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due and send it; the number of deliveries tried (``now``: a clock of the tests')."""
        jobs = await claim(now or utcnow())
        if jobs:
            await asyncio.gather(*(self._deliver(job, now) for job in jobs))
        return len(jobs)

    async def _deliver(self, job: Job, now: datetime | None) -> None:
        error: BaseException | None = None
        try:
            alert = await Alert.get(id=job.alert)
            if job.channel == 'email':
                await send_email(self.config, job, alert)
            else:
                await send_webhook(self.config, job, alert)
        except Exception as failure:  # noqa: BLE001 - any failure of a try is recorded and retried
            error = failure
            log.info('delivery %s (%s to %s) failed: %s', job.id, job.channel, _safe(job.target), failure)
        status = await settle(job, error, now or utcnow())
        if status == 'sent':
            self.sent += 1


def _safe(target: str) -> str:
    """A target for the logs: a URL without its query (which may carry a receiver's token)."""
    parts = urlsplit(target)
    return f'{parts.scheme}://{parts.netloc}{parts.path}' if parts.scheme else target


@dataclass(frozen=True)
class TestResult:
    channel: str
    target: str
    error: str | None  # None: delivered
    problem: str | None = None  # what kind of failure, for the person: see ``problem_of``
    status: int | None = None  # the receiver's HTTP status (``problem`` ``status``)


def problem_of(error: BaseException) -> str:
    """What kind of failure an error is, as a person can act on it: ``name`` (the host's name does not resolve),
    ``refused`` (nothing listens there), ``timeout``, ``status`` (the receiver answered, not 2xx), ``private`` (a
    private address), ``no_mail_server`` (``BALANCES_SMTP_URL`` unset), or ``other``."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return 'name'
        if isinstance(seen, ConnectionRefusedError):
            return 'refused'
        if isinstance(seen, (TimeoutError, httpx.TimeoutException, aiosmtplib.SMTPTimeoutError)):
            return 'timeout'
        if isinstance(seen, ReceiverAnswered):
            return 'status'
        if isinstance(seen, Undeliverable):
            return 'no_mail_server' if 'BALANCES_SMTP_URL' in str(seen) else 'private'
        if isinstance(seen, httpx.ConnectError) and 'Name or service not known' in str(seen):
            return 'name'
        seen = seen.__cause__ or seen.__context__
    return 'other'


def _failed(channel: str, target: str, error: Exception) -> TestResult:
    status = error.status if isinstance(error, ReceiverAnswered) else None
    return TestResult(channel, target, str(error) or type(error).__name__, problem_of(error), status)


async def send_test(
    config: DeliveryConfig, rule: RuleInfo, crossing: Crossing, languages: dict[str, str]
) -> list[TestResult]:
    """Send a test notice of a rule now, to each of its e-mail addresses (in each one's language) and its webhook
    (``state`` ``"test"``); what happened to each. Nothing is recorded."""
    results = []
    for address, language in languages.items():
        try:
            await send_email(config, Job(0, 0, 'email', address, language, 1), None, crossing=crossing)
            results.append(TestResult('email', address, None))
        except Exception as error:  # noqa: BLE001 - every failure is the answer to show
            results.append(_failed('email', address, error))
    if rule.webhook_url:
        payload = {
            'id': f'test-{rule.id}-{int(crossing.at.timestamp())}',
            'rule': rule.id,
            'contract': rule.contract,
            'team': crossing.team,
            'kind': rule.kind,
            'state': 'test',
            'at': crossing.at.isoformat().replace('+00:00', 'Z'),
            'available': format_quantity(from_units(crossing.available)),
            'total': format_quantity(from_units(crossing.total)),
        }
        try:
            await post_webhook(config, rule.webhook_url, rule.webhook_secret or '', json.dumps(payload).encode())
            results.append(TestResult('webhook', rule.webhook_url, None))
        except Exception as error:  # noqa: BLE001 - every failure is the answer to show
            results.append(_failed('webhook', rule.webhook_url, error))
    return results
