"""Signed-in browsers: sign-in with throttling, a session per sign-in, checked on every request and action

Sign-in (``sign_in``) checks the password and answers with a one-time ticket; the browser exchanges it at once
(``enter``) for the token its new session cookie carries — a new cookie, so that a cookie taken before sign-in
gives nothing afterwards. Only digests of tickets and tokens are stored. A session ends at sign-out, after
``IDLE`` without a page request or action, or ``LIFETIME`` after sign-in, whichever comes first.

Throttling, per account and per client address: after ``FREE_FAILURES`` failures of an account (``ADDRESS_FREE_
FAILURES`` of an address: an office's colleagues share one) each further attempt must wait twice as long as the
previous one, up to ``LOCK_OUT``; failures are forgotten ``FORGET`` after the last one. So one mistyped password
after a colleague's few failures from the same address locks nobody out, while one address guessing at many
accounts is slowed down all the same. A throttled attempt is refused before any password is checked, with the same
answer and the same (absent) work whether the e-mail belongs to an administrator or not; the refusal says which
count it is (the e-mail's or the address's) and until when.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models import AdminSession, SignInFailure
from services.accounts.admins import AdminInfo, admin_info, authenticate
from services.infrastructure.clock import resolve

IDLE = timedelta(hours=8)
LIFETIME = timedelta(hours=12)
TICKET_LIFETIME = timedelta(seconds=30)
FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
LOCK_OUT = timedelta(minutes=15)
FORGET = timedelta(hours=1)
TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a ticket to exchange, or a refusal — when throttled, until when (``retry_at``),
    because of which count (``throttled``: ``'email'`` or ``'address'``), and whether the password was checked at
    all (``checked``: a throttled attempt is refused before)."""

    ticket: str | None = None
    retry_at: datetime | None = None
    throttled: str | None = None
    checked: bool = True


def _keys(email: str, address: str) -> list[str]:
    return [f'email:{email.strip().lower()[:254]}', f'address:{address[:64]}']


async def _throttled(keys: list[str], now: datetime) -> tuple[datetime, str] | None:
    """Until when, and by which count, attempts with these keys wait (the latest when both do)."""
    row = await SignInFailure.filter(key__in=keys, locked_until__gt=now).order_by('-locked_until').first()
    return (row.locked_until, row.key.partition(':')[0]) if row and row.locked_until else None


def _free(key: str) -> int:
    return ADDRESS_FREE_FAILURES if key.startswith('address:') else FREE_FAILURES


async def _failed(keys: list[str], now: datetime) -> None:
    async with in_transaction('default'):
        for key in keys:
            row = await SignInFailure.get_or_none(key=key)
            failures = 1 if row is None or now - row.last_failure_at > FORGET else row.failures + 1
            free = _free(key)
            wait = min(LOCK_OUT, timedelta(seconds=2 ** min(failures - free, 10))) if failures >= free else None
            locked_until = now + wait if wait else None
            if row is None:
                await SignInFailure.create(key=key, failures=failures, last_failure_at=now, locked_until=locked_until)
            else:
                row.failures, row.last_failure_at, row.locked_until = failures, now, locked_until
                await row.save()


async def sign_in(email: str, password: str, *, address: str, browser: str, now: datetime | None = None) -> SignIn:
    """Check an administrator's e-mail and password from a client address; a ticket for ``browser`` when right."""
    now = resolve(now)
    keys = _keys(email if isinstance(email, str) else '', address)
    if (throttled := await _throttled(keys, now)) is not None:
        return SignIn(retry_at=throttled[0], throttled=throttled[1], checked=False)
    admin = await authenticate(email, password)
    if admin is None:
        await _failed(keys, now)
        throttled = await _throttled(keys, now)
        return SignIn(retry_at=throttled[0], throttled=throttled[1]) if throttled else SignIn()
    await SignInFailure.filter(key=keys[0]).delete()  # the account's own count starts again; the address's does not
    ticket = secrets.token_urlsafe(32)
    await AdminSession.create(
        admin_id=admin.id,
        ticket_hash=_digest(ticket),
        browser=_digest(browser),
        created_at=now,
        last_seen_at=now,
    )
    return SignIn(ticket=ticket)


async def enter(ticket: str, *, browser: str, now: datetime | None = None) -> str | None:
    """Exchange a fresh ticket, from the browser it was made for, for the session's token (once)."""
    now = resolve(now)
    async with in_transaction('default'):
        session = await AdminSession.filter(ticket_hash=_digest(ticket), ended_at=None).select_for_update().first()
        if session is None or session.browser != _digest(browser) or now - session.created_at > TICKET_LIFETIME:
            return None
        token = secrets.token_urlsafe(32)
        session.ticket_hash, session.token_hash, session.last_seen_at = None, _digest(token), now
        await session.save()
    return token


async def current(token: object, *, now: datetime | None = None) -> AdminInfo | None:
    """The administrator a session token stands for while the session lasts; ``None`` otherwise."""
    if not isinstance(token, str) or not token:
        return None
    now = resolve(now)
    session = await AdminSession.get_or_none(token_hash=_digest(token), ended_at=None)
    if session is None:
        return None
    if now - session.last_seen_at > IDLE or now - session.created_at > LIFETIME:
        session.ended_at = now
        await session.save(update_fields=['ended_at'])
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        session.last_seen_at = now
        await session.save(update_fields=['last_seen_at'])
    return await admin_info(session.admin_id)


async def sign_out(token: object, *, now: datetime | None = None) -> None:
    """End the session of this token (nothing when there is none)."""
    if isinstance(token, str) and token:
        await AdminSession.filter(token_hash=_digest(token), ended_at=None).update(ended_at=resolve(now))


async def ended(tokens: list[str]) -> set[str]:
    """Which of these tokens no longer stand for a session (signed out, or expired)."""
    if not tokens:
        return set()
    digests = {_digest(token): token for token in tokens}
    now = resolve(None)
    rows = await AdminSession.filter(
        token_hash__in=list(digests), ended_at=None, created_at__gt=now - LIFETIME, last_seen_at__gt=now - IDLE
    ).values_list('token_hash', flat=True)
    live = {str(row) for row in rows}
    return {token for digest, token in digests.items() if digest not in live}
