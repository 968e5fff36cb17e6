"""Time

Every service takes an optional ``now``: expiry is derived at read time from it, so tests and the demo generator
move the clock by passing another instant. Without one, the wall clock in UTC.
"""

import asyncio
import contextlib
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


class Clock:
    """What the live models and the alert evaluator wait with: the wall clock (tests move one of their own)."""

    def now(self) -> datetime:
        return utcnow()

    async def wait(self, until: datetime | None, wake: asyncio.Event) -> None:
        """Return when ``wake`` is set, or at ``until`` (``None``: never), whichever comes first."""
        timeout = None if until is None else max(0.0, (until - self.now()).total_seconds())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
