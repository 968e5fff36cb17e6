"""The run-out forecast against cases computed by hand, and the suggestions' promise as a property

``NOW`` is 2026-11-23 10:00 UTC: today is 23 November, the window is 26 October to 22 November, the projection
starts on 24 November.
"""

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import ledger
from services.domain.errors import UnknownTeam, WrongMode
from services.infrastructure.database import close_database, open_database
from services.ledger.allocation import LotState
from services.reading import forecast as forecasting
from services.reading import live
from services.reading.forecast import HolderInput, Together, daily_rate, project, suggestions, together
from services.reading.state import contract_forecast
from tests.conftest import fresh_sqlite, truncate_all
from tests.helpers import DAY, NOW, MovedClock, buy, cloud_contract, flex_contract, until, use

LONG_AGO = NOW - 40 * DAY


async def window_usage(contract: int, team: int | None, per_day: object, *, days: int = 28, tag: str = 'w') -> None:
    """``per_day`` on each of the ``days`` complete days before today (charged as it occurred)."""
    for offset in range(1, days + 1):
        at = NOW - offset * DAY
        await ledger.consume(contract, [use(f'{tag}{team}-{offset}', per_day, team=team, at=at)], now=at)


def test_the_rate_is_rounded_half_even_to_four_decimals() -> None:
    assert daily_rate(70) == 2  # 2.5 units: to the even neighbour below
    assert daily_rate(98) == 4  # 3.5 units: to the even neighbour above
    assert daily_rate(28 * 12_345) == 12_345
    assert daily_rate(0) == 0


async def test_rate_from_the_last_28_complete_days_and_the_run_out_date(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'p', 200, team, purchased_at=LONG_AGO, now=LONG_AGO)
    await window_usage(contract, team, 2)  # 56 in the window: 2 a day
    await ledger.consume(contract, [use('today', 10, team=team, at=NOW)], now=NOW)  # today: not in the window
    early = NOW - 29 * DAY  # 25 October: one day before the window
    await ledger.consume(contract, [use('early', 4, team=team, at=early)], now=early)
    holder = (await contract_forecast(contract, now=NOW)).holders[0]
    assert (holder.available, holder.daily_rate) == (130, 2)
    # 130 covers 65 days from 24 November (to 27 January); 28 January is the first day it cannot cover
    assert (holder.runs_out_on, holder.days_left) == (date(2027, 1, 28), 66)
    assert (holder.expires_unused, holder.expires_unused_total) == ((), 0)


async def test_a_lot_that_expires_mid_projection_leaves_what_it_still_holds(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'b', 1140, team, purchased_at=LONG_AGO, now=LONG_AGO, expires_at=NOW + 300 * DAY)
    await window_usage(contract, team, 5)
    await buy(contract, 'a', 100, team, expires_at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    holder = (await contract_forecast(contract, now=NOW)).holders[0]
    # 24 Nov – 2 Dec: 9 days × 5 from lot a (its expiry comes first); on 3 Dec its 55 left expire unused;
    # lot b's 1,000 then last 200 days from 3 December: it runs short on 21 June 2027
    assert holder.expires_unused == ((date(2026, 12, 3), 55),)
    assert holder.expires_unused_total == 55
    assert (holder.runs_out_on, holder.days_left) == (date(2027, 6, 21), 210)


async def test_no_run_out_at_rate_zero_or_beyond_365_days(db: str) -> None:
    contract, teams = await flex_contract('Idle', 'Slow')
    await buy(contract, 'i', 50, teams['Idle'], expires_at=NOW + 10 * DAY)
    await buy(contract, 's', 1000, teams['Slow'], purchased_at=LONG_AGO, now=LONG_AGO, expires_at=NOW + 3000 * DAY)
    await window_usage(contract, teams['Slow'], 1)  # 1 a day: 972 left last 972 days
    idle, slow = (await contract_forecast(contract, now=NOW)).holders
    assert (idle.daily_rate, idle.runs_out_on, idle.days_left) == (0, None, None)
    assert idle.expires_unused == ((date(2026, 12, 3), 50),)  # nothing uses it: all of it expires
    assert (slow.daily_rate, slow.runs_out_on, slow.days_left, slow.expires_unused) == (1, None, None, ())


async def test_a_lot_expiring_later_today_is_lost_to_the_projection(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'tonight', 30, teams['A'], expires_at=NOW + timedelta(hours=5))
    holder = (await contract_forecast(contract, now=NOW)).holders[0]
    assert (holder.available, holder.expires_unused) == (30, ((date(2026, 11, 23), 30),))


async def test_the_cloud_pool_counts_every_tag(db: str) -> None:
    contract, teams = await cloud_contract('Ops', 'Design')
    await buy(contract, 'p', 1000, purchased_at=LONG_AGO, now=LONG_AGO)
    await window_usage(contract, teams['Ops'], 1, tag='o')
    await window_usage(contract, teams['Design'], 2, tag='d')
    await window_usage(contract, None, '0.5', tag='n')
    forecast = await contract_forecast(contract, now=NOW)
    (pool,) = forecast.holders
    assert (pool.team, pool.daily_rate, pool.available) == (None, Decimal('3.5'), 902)
    assert forecast.suggestions == ()
    with pytest.raises(WrongMode):
        await contract_forecast(contract, team=teams['Ops'], now=NOW)


async def test_holders_in_the_order_of_the_balances_and_one_team(db: str) -> None:
    contract, teams = await flex_contract('Zeta', 'Alpha')
    forecast = await contract_forecast(contract, now=NOW)
    assert [h.team_name for h in forecast.holders] == ['Alpha', 'Zeta']
    assert [h.team for h in (await contract_forecast(contract, team=teams['Zeta'], now=NOW)).holders] == [teams['Zeta']]
    with pytest.raises(UnknownTeam):
        await contract_forecast(contract, team=999, now=NOW)


async def wasting_and_running_short() -> tuple[int, dict[str, int]]:
    """Fluides will let 280 expire on 13 December; Architecture runs out on 26 November."""
    contract, teams = await flex_contract('Fluides', 'Architecture')
    # Fluides: 300 expiring on 13 December, uses 1 a day: 280 will expire unused
    await buy(contract, 'f', 300, teams['Fluides'], expires_at=datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    await buy(contract, 'f-old', 28, teams['Fluides'], purchased_at=LONG_AGO, now=LONG_AGO)
    await window_usage(contract, teams['Fluides'], 1, tag='f')
    # Architecture: 20 left, uses 10 a day: runs out on 26 November
    await buy(contract, 'a', 300, teams['Architecture'], purchased_at=LONG_AGO, now=LONG_AGO)
    await window_usage(contract, teams['Architecture'], 10, tag='a')
    return contract, teams


async def test_a_suggestion_moves_what_one_team_wastes_to_one_that_runs_short(db: str) -> None:
    contract, teams = await wasting_and_running_short()
    forecast = await contract_forecast(contract, now=NOW)
    (suggestion,) = forecast.suggestions
    assert (suggestion.from_team, suggestion.to_team) == (teams['Fluides'], teams['Architecture'])
    # Architecture would use 10 a day of them from 24 Nov to 12 Dec: 190; Fluides keeps the 10 it uses
    assert (suggestion.quantity, suggestion.recovers) == (190, 190)
    assert suggestion.expires_at == datetime(2026, 12, 13, 9, 0, tzinfo=UTC)
    await ledger.transfer(
        contract,
        client_id='s',
        from_team=suggestion.from_team,
        to_team=suggestion.to_team,
        quantity=suggestion.quantity,
        now=NOW,
    )
    after = await contract_forecast(contract, now=NOW)
    before_total = sum(h.expires_unused_total for h in forecast.holders)
    assert sum(h.expires_unused_total for h in after.holders) == before_total - 190


async def test_a_live_model_shows_its_numbers_first_and_its_suggestions_after_them(db: str) -> None:
    """Every pair of teams is weighed for the suggestions (most of a first load's time): the numbers of every
    contract a pass read go to the pages before any suggestion is computed."""
    contract, teams = await wasting_and_running_short()
    models = live.LiveContracts(MovedClock(NOW))
    updates: list[live.LiveUpdate] = []
    models.start()
    try:
        acquiring = asyncio.create_task(models.acquire(contract))
        await asyncio.sleep(0)  # the model exists as soon as it is asked for; the pass reads it
        models.models[contract].updates.subscribe(updates.append)
        model = await acquiring
        assert len(model.holders) == 2
        await until(lambda: model.suggestions)
    finally:
        await models.close()
    (suggestion,) = model.suggestions
    assert (suggestion.from_team, suggestion.to_team, suggestion.quantity) == (
        teams['Fluides'],
        teams['Architecture'],
        190,
    )
    first, last = updates[0], updates[-1]
    assert (len(first.holders), first.suggestions) == (2, None)  # the numbers, without waiting for the suggestions
    assert (last.holders, last.suggestions) == ((), model.suggestions)  # then the suggestions, with no card to redraw


def test_suggestions_remembered_by_pair_are_those_computed_afresh_after_a_change() -> None:
    """The live model asks again after every change: only the pairs of the teams it touched are projected again,
    and the answer is the one a fresh computation gives."""
    expiring = NOW + 20 * DAY

    def holders(wasteful_remaining: int) -> list[HolderInput]:
        lot = lambda n, holder, units, expires: LotState(n, holder, units, units, LONG_AGO, expires)  # noqa: E731
        wasteful = HolderInput(1, 1, 'Fluides', (lot(1, 1, wasteful_remaining, expiring),), 10 * 10_000)
        short = HolderInput(2, 2, 'Architecture', (lot(2, 2, 200 * 10_000, NOW + 300 * DAY),), 100 * 10_000)
        also = HolderInput(3, 3, 'Zeta', (lot(3, 3, 500 * 10_000, expiring),), 1 * 10_000)
        return [wasteful, short, also]

    forecasting._PAIRS.clear()
    first = suggestions(holders(3000 * 10_000), NOW, 'Europe/Paris')
    assert first[0].quantity == 1900  # what Architecture uses of them before they expire
    pairs = len(forecasting._PAIRS)
    changed = suggestions(holders(1000 * 10_000), NOW + timedelta(minutes=5), 'Europe/Paris')  # Fluides used 2,000
    assert len(forecasting._PAIRS) - pairs == 3  # not Zeta → Architecture again: Fluides is in neither
    assert changed[0].quantity == 810  # what Fluides will not use itself: 1,000 − 19 days × 10
    forecasting._PAIRS.clear()
    assert changed == suggestions(holders(1000 * 10_000), NOW + timedelta(minutes=5), 'Europe/Paris')


def test_suggestions_applied_together_recover_what_the_shared_target_can_use_not_their_sum() -> None:
    """Two teams' tokens expiring on 13 December, both suggested to Architecture: it uses 100 a day for the 19
    days before they expire, so it absorbs 1,900 of them in all, whoever sends them."""
    expiring = NOW + 20 * DAY
    lot = lambda n, holder, units, expires: LotState(n, holder, units, units, LONG_AGO, expires)  # noqa: E731
    fluides = HolderInput(1, 1, 'Fluides', (lot(1, 1, 3000 * 10_000, expiring),), 10 * 10_000)
    architecture = HolderInput(2, 2, 'Architecture', (lot(2, 2, 200 * 10_000, NOW + 300 * DAY),), 100 * 10_000)
    zeta = HolderInput(3, 3, 'Zeta', (lot(3, 3, 500 * 10_000, expiring),), 1 * 10_000)
    holders = [fluides, architecture, zeta]
    found = suggestions(holders, NOW, 'Europe/Paris')
    assert [(s.from_team_name, s.quantity, s.recovers) for s in found] == [
        ('Fluides', 1900, 1900),
        ('Zeta', 481, 481),  # Zeta's 500 less the 19 it uses itself, each on its own
    ]
    assert together(holders, found, NOW, 'Europe/Paris') == Together(Decimal(1900), Decimal(2381))
    assert together(holders, found[1:], NOW, 'Europe/Paris') == Together(Decimal(481), Decimal(481))
    separate = HolderInput(4, 4, 'Sol', (lot(4, 4, 10 * 10_000, NOW + 300 * DAY),), 100 * 10_000)
    apart = suggestions([zeta, separate, fluides, architecture], NOW, 'Europe/Paris')
    chosen = [s for s in apart if (s.from_team_name, s.to_team_name) in {('Fluides', 'Architecture'), ('Zeta', 'Sol')}]
    both = together([zeta, separate, fluides, architecture], chosen, NOW, 'Europe/Paris')
    assert both.recovered == both.separately == sum(s.recovers for s in chosen)  # apart: they add up


def test_projection_matches_a_day_by_day_walk() -> None:
    today = date(2026, 11, 23)
    lots = [
        LotState(1, 1, 40, 40, NOW, datetime(2026, 11, 30, 8, tzinfo=UTC)),
        LotState(2, 1, 10, 10, NOW, datetime(2026, 11, 30, 8, tzinfo=UTC)),
        LotState(3, 1, 500, 120, NOW, datetime(2027, 1, 15, 8, tzinfo=UTC)),
    ]
    for rate in (0, 3, 7, 17, 130):
        assert project(lots, rate, today, 'UTC') == day_by_day(lots, rate, today)


def day_by_day(lots: list[LotState], rate: int, today: date) -> object:
    """The spec's words, one day at a time (the reference the projection is checked against)."""
    from services.reading.forecast import Projection

    left = {lot.id: lot.remaining for lot in lots}
    order = sorted(lots, key=lambda lot: (lot.expires_at, lot.original, lot.purchased_at, lot.id))
    unused: dict[date, int] = {}
    leftover: dict[int, int] = {}
    day = today
    for _ in range(2000):
        day += timedelta(days=1)
        for lot in order:
            if lot.expires_at.date() <= day and left[lot.id]:
                unused[lot.expires_at.date()] = unused.get(lot.expires_at.date(), 0) + left[lot.id]
                leftover[lot.id], left[lot.id] = left[lot.id], 0
        if rate == 0:
            if not any(left.values()):
                return Projection(None, tuple(sorted(unused.items())), leftover)
            continue
        if sum(left.values()) < rate:
            return Projection(day, tuple(sorted(unused.items())), leftover)
        needed = rate
        for lot in order:
            take = min(needed, left[lot.id])
            left[lot.id] -= take
            needed -= take
    raise AssertionError('the walk did not end')


TEAMS = ('A', 'B', 'C')
EXAMPLES = {'sqlite': 40, 'postgres': 15}
lot_strategy = st.tuples(st.sampled_from(TEAMS), st.integers(1, 400), st.integers(2, 120))  # team, tokens, days


@pytest.mark.parametrize('lane', ['sqlite', 'postgres'])
def test_applying_a_suggestion_recovers_what_it_says(lane: str, request: pytest.FixtureRequest) -> None:
    """Each suggestion, posted as a transfer, lowers the contract's tokens expiring unused by exactly ``recovers``
    and does not bring its source's run-out date closer; the next one is checked against the state it makes."""
    loop = asyncio.new_event_loop()
    checked: list[int] = []

    @settings(max_examples=EXAMPLES[lane], deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        lots=st.lists(lot_strategy, min_size=1, max_size=6), rates=st.lists(st.integers(0, 12), min_size=3, max_size=3)
    )
    def check(lots: list[tuple[str, int, int]], rates: list[int]) -> None:
        url = fresh_sqlite(request.getfixturevalue('sqlite_template')) if lane == 'sqlite' else ''
        url = url or request.getfixturevalue('postgres_url')
        loop.run_until_complete(in_database(url, lots, rates, checked))

    try:
        check()
    finally:
        loop.close()
    assert sum(checked) >= 5, f'too few suggestions were exercised: {checked}'


async def in_database(url: str, lots: list[tuple[str, int, int]], rates: list[int], checked: list[int]) -> None:
    await open_database(url)
    try:
        if url.startswith('postgres'):
            await truncate_all()
        checked.append(await apply_suggestions(lots, rates))
    finally:
        await close_database()


async def apply_suggestions(lots: list[tuple[str, int, int]], rates: list[int]) -> int:
    contract, teams = await flex_contract(*TEAMS)
    for name, rate in zip(TEAMS, rates, strict=True):
        if rate:  # the window's usage, paid from a lot bought for it
            await buy(contract, f'w-{name}', rate * 28, teams[name], purchased_at=LONG_AGO, now=LONG_AGO)
            await window_usage(contract, teams[name], rate, tag=name)
    for n, (name, tokens, days) in enumerate(lots):
        await buy(contract, f'l{n}', tokens, teams[name], expires_at=NOW + days * DAY + timedelta(hours=n))
    applied = 0
    forecast = await contract_forecast(contract, now=NOW)
    while forecast.suggestions and applied < 3:
        suggestion = forecast.suggestions[0]
        assert suggestion.recovers > 0
        done = await ledger.transfer(
            contract,
            client_id=f's{applied}',
            from_team=suggestion.from_team,
            to_team=suggestion.to_team,
            quantity=suggestion.quantity,
            now=NOW,
        )
        assert all(move.expires_at == suggestion.expires_at for move in done.lots)
        after = await contract_forecast(contract, now=NOW)
        total = sum(h.expires_unused_total for h in forecast.holders)
        assert sum(h.expires_unused_total for h in after.holders) == total - suggestion.recovers
        source_before = next(h for h in forecast.holders if h.team == suggestion.from_team).runs_out_on
        source_after = next(h for h in after.holders if h.team == suggestion.from_team).runs_out_on
        assert source_after is None or (source_before is not None and source_after >= source_before)
        forecast, applied = after, applied + 1
    return applied
