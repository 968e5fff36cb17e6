"""Checks shared by the ledger's writes: client ids, quantities, instants, payload fingerprints"""

import hashlib
import re
from datetime import UTC, datetime, timedelta

from services.domain.errors import InvalidInput
from services.domain.quantity import QuantityError, to_units

MAX_CLIENT_ID = 128
CONTROL = re.compile('[\x00-\x1f\x7f-\x9f]')  # C0, DEL and C1: no name, id or e-mail carries one
EMAIL = (
    '^[^@\\s\\x00-\\x1f\\x7f-\\x9f]+@[^@\\s\\x00-\\x1f\\x7f-\\x9f]+\\.[^@\\s\\x00-\\x1f\\x7f-\\x9f]+$'  # JSON Schema
)
PLAIN_TEXT = '^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$'  # JSON Schema


def text_of(
    value: object,
    field: str,
    max_length: int,
    *,
    index: int | None = None,
    strip: bool = False,
    batch: str = 'events',
) -> str:
    """A non-blank string of at most ``max_length`` characters without control characters (stripped when asked);
    ``InvalidInput`` naming ``field`` (and the item's index in its batch) otherwise."""
    text = value.strip() if isinstance(value, str) and strip else value
    if not isinstance(text, str) or not text.strip() or len(text) > max_length:
        raise InvalidInput(
            field, f'must be a non-blank string of at most {max_length} characters', index=index, batch=batch
        )
    if CONTROL.search(text):
        raise InvalidInput(field, 'must not contain control characters', index=index, batch=batch)
    return text


def fingerprint(*parts: object) -> str:
    """A digest of a request's payload, to tell a replay (same payload) from a reused id (another payload)."""
    return hashlib.sha256('\x1f'.join(map(str, parts)).encode()).hexdigest()


def client_id_of(value: object, field: str = 'id', index: int | None = None, batch: str = 'events') -> str:
    """A client id as given: ``InvalidInput`` naming ``field`` unless it is a non-blank string of at most 128
    characters."""
    return text_of(value, field, MAX_CLIENT_ID, index=index, batch=batch)


def units_of(value: object, field: str = 'quantity', index: int | None = None) -> int:
    """A quantity as integer ten-thousandths; ``InvalidInput`` naming ``field`` (and the event index) otherwise."""
    try:
        return to_units(value)
    except QuantityError as error:
        raise InvalidInput(field, str(error), index=index) from None


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)  # room for a year of validity and any time zone after it


def instant(value: object, field: str, index: int | None = None, batch: str = 'events') -> datetime:
    """An aware time as UTC, between 1970 and 9998; a time without an offset is refused."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(field, 'must be a time with a time zone offset', index=index, batch=batch)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable instant
        utc = EARLIEST - timedelta(days=1)
    if not EARLIEST <= utc <= LATEST:
        raise InvalidInput(field, 'must lie between 1970 and 9998', index=index, batch=batch)
    return utc
