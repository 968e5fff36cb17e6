"""Calendar dates in a contract's time zone, and inclusive date ranges

"Today" is the contract's, not the server's: a Tokyo contract's day ends nine hours before UTC's.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.domain.errors import InvalidInput

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 90
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of an instant in a time zone (a contract's "today" is not the server's)."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def start_of_day(day: date, timezone: str) -> datetime:
    """The UTC instant at which ``day`` begins in ``timezone``."""
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of calendar dates, at most 366 days long."""

    start: date
    end: date

    def __post_init__(self) -> None:
        for field, day in (('from', self.start), ('to', self.end)):
            if not EARLIEST <= day <= LATEST:
                raise InvalidInput(field, f'must lie between {EARLIEST} and {LATEST}')
        if self.start > self.end:
            raise InvalidInput('from', f'{self.start} is after to ({self.end})')
        if self.days > MAX_RANGE_DAYS:
            raise InvalidInput('to', f'the range has {self.days} days, more than {MAX_RANGE_DAYS}')

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @classmethod
    def last_days(cls, today: date, days: int = DEFAULT_RANGE_DAYS) -> 'DateRange':
        """The ``days`` days ending today, today included (the reports' default: today − 89 days to today)."""
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def this_month(cls, today: date) -> 'DateRange':
        return cls(today.replace(day=1), today)

    @classmethod
    def last_month(cls, today: date) -> 'DateRange':
        end = today.replace(day=1) - timedelta(days=1)
        return cls(end.replace(day=1), end)

    @classmethod
    def last_12_months(cls, today: date) -> 'DateRange':
        """From the same day a year ago (the day after, when that is 29 February) to today: 365 or 366 days."""
        year = today.year - 1
        day = min(today.day, calendar.monthrange(year, today.month)[1])
        return cls(date(year, today.month, day) + timedelta(days=1), today)
