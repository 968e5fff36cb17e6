"""Dates in a contract's time zone and inclusive date ranges"""

from datetime import UTC, date, datetime

import pytest

from services.domain.dates import DateRange, local_date, start_of_day
from services.domain.errors import InvalidInput


def test_local_date_and_start_of_day_follow_the_time_zone() -> None:
    instant = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert local_date(instant, 'Europe/Paris') == date(2026, 11, 24)
    assert local_date(instant, 'America/Sao_Paulo') == date(2026, 11, 23)
    assert start_of_day(date(2026, 11, 24), 'Europe/Paris') == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def test_default_range_is_today_minus_89_days_to_today() -> None:
    window = DateRange.last_days(date(2026, 11, 23))
    assert (window.start, window.end, window.days) == (date(2026, 8, 26), date(2026, 11, 23), 90)
    assert date(2026, 8, 26) in window
    assert date(2026, 8, 25) not in window


def test_presets() -> None:
    today = date(2026, 3, 15)
    assert DateRange.this_month(today) == DateRange(date(2026, 3, 1), today)
    assert DateRange.last_month(today) == DateRange(date(2026, 2, 1), date(2026, 2, 28))
    assert DateRange.last_month(date(2026, 1, 10)) == DateRange(date(2025, 12, 1), date(2025, 12, 31))
    assert DateRange.last_12_months(today) == DateRange(date(2025, 3, 16), today)
    assert DateRange.last_12_months(date(2028, 2, 29)).days == 366


def test_bad_ranges_name_the_field() -> None:
    with pytest.raises(InvalidInput) as order:
        DateRange(date(2026, 2, 2), date(2026, 2, 1))
    assert order.value.field == 'from'
    with pytest.raises(InvalidInput) as length:
        DateRange(date(2025, 1, 1), date(2026, 1, 2))
    assert length.value.field == 'to'
    assert DateRange(date(2024, 1, 1), date(2024, 12, 31)).days == 366
