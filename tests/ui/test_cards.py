"""How a card's sentences read: projections in whole tokens like the quantities beside them; one event said once"""

from datetime import UTC, date, datetime
from decimal import Decimal

from services.reading.forecast import HolderForecast, Suggestion, Together
from ui.cards import forecast_lines, suggestion_text, together_text


def test_a_suggestion_says_what_it_recovers_in_whole_tokens_like_what_it_moves() -> None:
    move = Suggestion(
        1, 'Architecture', 2, 'Structure', Decimal(190), datetime(2027, 3, 1, tzinfo=UTC), Decimal('134.1452')
    )
    assert suggestion_text(move, 'en') == (
        'Move 190 tokens expiring 1 Mar 2027 from Architecture to Structure — recovers 134'
    )
    assert 'récupère 134' in suggestion_text(move, 'fr')
    small = Suggestion(1, 'A', 2, 'B', Decimal('0.5'), datetime(2027, 3, 1, tzinfo=UTC), Decimal('0.25'))
    assert suggestion_text(small, 'en').endswith('recovers 0.25')  # under one token, as it is


def forecast(runs_out_on: date | None, *unused: tuple[date, str]) -> HolderForecast:
    expiring = tuple((day, Decimal(quantity)) for day, quantity in unused)
    total = sum((quantity for _, quantity in expiring), Decimal(0))
    return HolderForecast(1, 'Infrastructure', Decimal(3000), Decimal('12.5'), runs_out_on, 200, expiring, total)


def test_lots_that_expire_before_the_pace_uses_them_are_said_in_one_sentence() -> None:
    runs_out, unused, _ = forecast_lines(forecast(date(2027, 7, 7), (date(2027, 7, 7), '1027.4')), 'flex', 'en')
    assert runs_out == 'Lasts until 7 Jul 2027 at the last 28 days’ pace, when its last 1,027 tokens expire unused.'
    assert unused == ''  # not a second event on the same day
    runs_out, unused, _ = forecast_lines(
        forecast(date(2027, 10, 5), (date(2027, 3, 1), '200'), (date(2027, 10, 5), '1730')), 'flex', 'en'
    )
    assert runs_out == 'Lasts until 5 Oct 2027 at the last 28 days’ pace, when its last 1,730 tokens expire unused.'
    assert unused == '200 tokens will expire unused before that, the first on 1 Mar 2027.'
    assert (
        'Suffit jusqu’au 5 oct. 2027'
        in forecast_lines(forecast(date(2027, 10, 5), (date(2027, 10, 5), '1730')), 'flex', 'fr')[0]
    )


def test_a_balance_the_pace_uses_up_runs_out_and_what_expires_before_is_said_apart() -> None:
    runs_out, unused, _ = forecast_lines(forecast(date(2027, 10, 5), (date(2027, 3, 1), '200')), 'flex', 'en')
    assert runs_out == 'Runs out around 5 Oct 2027 at the last 28 days’ pace.'
    assert unused == '200 tokens will expire unused, the first on 1 Mar 2027.'


def test_suggestions_applied_together_say_what_they_recover_in_all_and_whether_that_is_their_sum() -> None:
    at = datetime(2026, 12, 13, 10, tzinfo=UTC)
    one = Suggestion(1, 'Fluides', 2, 'Architecture', Decimal(1900), at, Decimal(1900))
    two = Suggestion(3, 'Zeta', 2, 'Architecture', Decimal(481), at, Decimal('481.4'))
    overlapping, apart = Together(Decimal(1900), Decimal(2381)), Together(Decimal(2381), Decimal(2381))
    assert together_text([one], overlapping, 'en') == ''  # one suggestion says it already
    assert together_text([one, two], overlapping, 'en') == (
        'Applying all 2, one after the other: 1,900 tokens recovered in all, not 2,381: some draw on the same '
        'tokens or fill the same team.'
    )
    assert together_text([one, two], apart, 'en') == 'Applying all 2: 2,381 tokens recovered in all.'
    assert '1 900 jetons récupérés' in together_text([one, two], overlapping, 'fr').replace('\u202f', ' ')
