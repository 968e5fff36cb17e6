"""Time

Every service takes an optional ``now``: expiry is derived at read time from it, so tests and the demo generator
move the clock by passing another instant. Without one, the wall clock in UTC.
"""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The wall clock, as an aware UTC instant."""
    return datetime.now(UTC)


def resolve(now: datetime | None) -> datetime:
    """``now`` as an aware UTC instant, or the wall clock."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError('now must carry a time zone offset')
    return now.astimezone(UTC)
