"""Usage events as a feed sends them, and the checks a batch passes before the ledger sees it"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Contract
from services.domain import regions
from services.domain.checks import client_id_of, fingerprint, instant, text_of, units_of
from services.domain.errors import ClientIdConflict, InvalidInput, UnknownTeam, WrongMode

MAX_BATCH = 1000
MAX_USER = 200
MAX_PRODUCT = 100
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class UsageInput:
    """One usage event: ``team`` pays in Flex mode, and only tags the usage in cloud-credit mode."""

    id: str
    user: str
    product: str
    quantity: object
    occurred_at: datetime
    team: int | None = None


@dataclass(frozen=True)
class CheckedUsage:
    client_id: str
    holder_id: int
    team_id: int | None
    user: str
    product: str
    units: int
    occurred_at: datetime
    fingerprint: str


@dataclass(frozen=True)
class CheckedBatch:
    unique: tuple[CheckedUsage, ...]
    duplicates: int


def payer(
    contract: Contract,
    holders: Mapping[int | None, int],
    team_ids: set[int],
    team: int | None,
    index: int,
    batch: str = 'events',
) -> int:
    """The holder that pays for an item of a batch of its ``team``: the team (Flex, where it is required) or the
    contract's pool (cloud credits, where a team only tags); ``InvalidInput`` naming the item otherwise."""
    if contract.mode == regions.FLEX and team is None:
        raise WrongMode('team', 'is required: in a Flex contract the team pays', index=index, batch=batch)
    if team is not None and team not in team_ids:
        raise UnknownTeam(team, index=index, batch=batch)
    return holders[team] if contract.mode == regions.FLEX else holders[None]


def not_ahead(value: object, field: str, now: datetime, index: int, batch: str = 'events') -> datetime:
    """An instant of a batch's item, at most 5 minutes from now."""
    at = instant(value, field, index, batch)
    if at > now + FUTURE_TOLERANCE:
        raise InvalidInput(field, 'is more than 5 minutes in the future', index=index, batch=batch)
    return at


def _check(
    contract: Contract,
    holders: Mapping[int | None, int],
    team_ids: set[int],
    event: UsageInput,
    index: int,
    now: datetime,
) -> CheckedUsage:
    client_id = client_id_of(event.id, index=index)
    user = text_of(event.user, 'user', MAX_USER, index=index)
    product = text_of(event.product, 'product', MAX_PRODUCT, index=index)
    units = units_of(event.quantity, index=index)
    occurred_at = not_ahead(event.occurred_at, 'occurred_at', now, index)
    holder_id = payer(contract, holders, team_ids, event.team, index)
    digest = fingerprint(event.team, user, product, units, occurred_at.isoformat())
    return CheckedUsage(client_id, holder_id, event.team, user, product, units, occurred_at, digest)


def checked_events(
    contract: Contract,
    holders: Mapping[int | None, int],
    team_ids: set[int],
    events: Sequence[UsageInput],
    now: datetime,
) -> CheckedBatch:
    """Check every event (naming the first bad one by index) and fold repeats of an id within the batch."""
    if not 1 <= len(events) <= MAX_BATCH:
        raise InvalidInput('events', f'a batch holds 1 to {MAX_BATCH} events, not {len(events)}')
    unique: dict[str, CheckedUsage] = {}
    duplicates = 0
    for index, event in enumerate(events):
        checked = _check(contract, holders, team_ids, event, index, now)
        first = unique.get(checked.client_id)
        if first is None:
            unique[checked.client_id] = checked
        elif first.fingerprint == checked.fingerprint:
            duplicates += 1
        else:
            raise ClientIdConflict('usage event', checked.client_id)
    return CheckedBatch(tuple(unique.values()), duplicates)
