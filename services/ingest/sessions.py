"""Product sessions as the licensing system reports them, and the checks a batch passes before it is rated"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from models import Contract
from services.catalog.products import RateBook
from services.domain.checks import client_id_of, fingerprint, text_of
from services.domain.errors import ClientIdConflict, InvalidInput
from services.ingest.events import MAX_BATCH, MAX_PRODUCT, MAX_USER, not_ahead, payer

BATCH = 'sessions'
MAX_MINUTES = 1440


@dataclass(frozen=True)
class SessionInput:
    """One session: ``team`` pays in Flex mode, and only tags the usage in cloud-credit mode."""

    id: str
    user: str
    product: str
    started_at: datetime
    minutes: object
    team: int | None = None


@dataclass(frozen=True)
class CheckedSession:
    client_id: str
    index: int  # its place in the batch (the answer's order)
    holder_id: int
    team_id: int | None
    user: str
    product: str
    started_at: datetime
    minutes: int
    fingerprint: str


@dataclass(frozen=True)
class CheckedSessions:
    unique: tuple[CheckedSession, ...]
    duplicates: int


def _minutes(value: object, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        raise InvalidInput(
            'minutes', f'must be a whole number of minutes from 0 to {MAX_MINUTES}', index=index, batch=BATCH
        )
    return value


def _check(
    contract: Contract,
    holders: Mapping[int | None, int],
    team_ids: set[int],
    book: RateBook,
    session: SessionInput,
    index: int,
    now: datetime,
) -> CheckedSession:
    client_id = client_id_of(session.id, index=index, batch=BATCH)
    user = text_of(session.user, 'user', MAX_USER, index=index, batch=BATCH)
    product = text_of(session.product, 'product', MAX_PRODUCT, index=index, batch=BATCH)
    started_at = not_ahead(session.started_at, 'started_at', now, index, BATCH)
    minutes = _minutes(session.minutes, index)
    holder_id = payer(contract, holders, team_ids, session.team, index, BATCH)
    if book.rate_at(product, started_at) is None:
        why = 'is not a product' if product not in book.names else 'has no rate effective at started_at'
        raise InvalidInput('product', f'{product!r} {why}', index=index, batch=BATCH)
    digest = fingerprint(session.team, user, product, started_at.isoformat(), minutes)
    return CheckedSession(client_id, index, holder_id, session.team, user, product, started_at, minutes, digest)


def checked_sessions(
    contract: Contract,
    holders: Mapping[int | None, int],
    team_ids: set[int],
    book: RateBook,
    sessions: Sequence[SessionInput],
    now: datetime,
) -> CheckedSessions:
    """Check every session (naming the first bad one by index) and fold repeats of an id within the batch."""
    if not 1 <= len(sessions) <= MAX_BATCH:
        raise InvalidInput('sessions', f'a batch holds 1 to {MAX_BATCH} sessions, not {len(sessions)}')
    unique: dict[str, CheckedSession] = {}
    duplicates = 0
    for index, session in enumerate(sessions):
        checked = _check(contract, holders, team_ids, book, session, index, now)
        first = unique.get(checked.client_id)
        if first is None:
            unique[checked.client_id] = checked
        elif first.fingerprint == checked.fingerprint:
            duplicates += 1
        else:
            raise ClientIdConflict('session', checked.client_id)
    return CheckedSessions(tuple(unique.values()), duplicates)
