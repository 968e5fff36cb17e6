"""Checks shared by the ledger's writes: client ids, quantities, instants, payload fingerprints"""

import hashlib
from datetime import UTC, datetime

from services.domain.errors import InvalidInput
from services.domain.quantity import QuantityError, to_units

MAX_CLIENT_ID = 128


def fingerprint(*parts: object) -> str:
    """A digest of a request's payload, to tell a replay (same payload) from a reused id (another payload)."""
    return hashlib.sha256('\x1f'.join(map(str, parts)).encode()).hexdigest()


def client_id_of(value: object, field: str = 'id', index: int | None = None) -> str:
    """A client id as given: ``InvalidInput`` naming ``field`` unless it is a non-blank string of at most 128
    characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CLIENT_ID:
        raise InvalidInput(field, f'must be a non-blank string of at most {MAX_CLIENT_ID} characters', index=index)
    return value


def units_of(value: object, field: str = 'quantity', index: int | None = None) -> int:
    """A quantity as integer ten-thousandths; ``InvalidInput`` naming ``field`` (and the event index) otherwise."""
    try:
        return to_units(value)
    except QuantityError as error:
        raise InvalidInput(field, str(error), index=index) from None


def instant(value: object, field: str, index: int | None = None) -> datetime:
    """An aware time as UTC; a time without an offset is refused."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(field, 'must be a time with a time zone offset', index=index)
    return value.astimezone(UTC)
