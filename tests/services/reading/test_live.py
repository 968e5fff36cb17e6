"""The live pass's pace: a flood of changes leaves the writers their share, pages waiting for their first cards do not
wait for it"""

import pytest

from services.reading.live import BUSY_SHARE, INTERVAL, rest_after


@pytest.mark.parametrize('reading', [0.0, INTERVAL / 4, INTERVAL, 1.0])
def test_a_pass_is_followed_by_three_times_its_read_and_at_least_what_is_left_of_the_interval(reading: float) -> None:
    assert rest_after(reading, waiting=False) == max(INTERVAL - reading, BUSY_SHARE * reading)


@pytest.mark.parametrize('reading', [0.0, INTERVAL / 4, INTERVAL, 1.0])
def test_pages_waiting_for_a_contracts_first_cards_only_keep_the_interval_between_passes(reading: float) -> None:
    assert rest_after(reading, waiting=True) == INTERVAL - reading
    assert rest_after(reading, waiting=True) <= rest_after(reading, waiting=False)
