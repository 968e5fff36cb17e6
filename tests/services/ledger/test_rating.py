"""Product sessions rated into 24-hour windows, exactly as the spec says: hand-computed cases, a property against a
plain model of the rules, and two batches racing for one window"""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.catalog import products
from services.domain.errors import ClientIdConflict, InsufficientBalance, InvalidInput
from services.ingest.sessions import SessionInput
from services.ledger.sessions import rate_sessions
from services.reading.audit import check_ledger
from services.reading.state import contract_balances
from services.reading.usage import usage_breakdown
from tests.helpers import DAY, NOW, buy, flex_contract, snapshot

HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)
START = NOW - 20 * DAY


async def priced(*rates: tuple[str, object, datetime]) -> None:
    """Products and their rates: (code, daily rate, effective from), the first of each code creating it."""
    made: set[str] = set()
    for code, rate, start in rates:
        if code in made:
            await products.add_rate(code, rate, start, now=NOW)
        else:
            await products.create_product(code, code.upper(), rate, effective_from=start, now=NOW)
            made.add(code)


def session(sid: str, at: datetime, minutes: int = 30, *, user: str = 'ana', product: str = 'cad', team: int = 0):
    return SessionInput(sid, user, product, at, minutes, team)


async def contract_with(tokens: object = 1000) -> tuple[int, int]:
    contract, teams = await flex_contract('Structure')
    await buy(contract, 'lot', tokens, teams['Structure'], purchased_at=NOW - 60 * DAY, now=NOW - 60 * DAY)
    return contract, teams['Structure']


async def available(contract: int) -> Decimal:
    return (await contract_balances(contract, now=NOW)).balances[0].available


async def test_a_day_of_sessions_costs_one_window_per_user_and_product(db: str) -> None:
    await priced(('cad', 7, START - DAY), ('render', 10, START - DAY))
    contract, team = await contract_with()
    result = await rate_sessions(
        contract,
        [
            session('s1', START, team=team),  # opens ana's cad window: 7
            session('s2', START + 3 * HOUR, team=team),  # inside it: 0
            session('s3', START + 5 * HOUR, product='render', team=team),  # her render window: 10
            session('s4', START + 6 * HOUR, user='leo', team=team),  # leo's cad window: 7
            session('s5', START + 7 * HOUR, 4, user='zoe', team=team),  # 4 minutes, no window: 0
        ],
        now=NOW,
    )
    assert [(c.id, c.quantity) for c in result.charged] == [('s1', 7), ('s2', 0), ('s3', 10), ('s4', 7), ('s5', 0)]
    assert (result.charged[0].window_start, result.charged[0].window_end) == (START, START + DAY)
    assert result.charged[1].window_start is None  # it cost nothing: no window of its own
    assert await available(contract) == 1000 - 24
    by_product = await usage_breakdown(contract, by='product', now=NOW)
    assert {row.key: row.quantity for row in by_product.rows} == {'cad': 14, 'render': 10}  # usage like any other
    assert await check_ledger(contract, now=NOW) == []


async def test_the_windows_edges_exactly_24_hours_and_5_minutes(db: str) -> None:
    await priced(('cad', 7, START - DAY))
    contract, team = await contract_with()
    result = await rate_sessions(
        contract,
        [
            session('open', START, team=team),
            session('last-instant', START + DAY - timedelta(microseconds=1), team=team),  # still inside: 0
            session('next', START + DAY, team=team),  # [start, start + 24 h): a new window
            session('four', START + 3 * DAY, 4, team=team),  # under 5 minutes: free
            session('five', START + 4 * DAY, 5, team=team),  # 5 minutes: charged
        ],
        now=NOW,
    )
    assert [c.quantity for c in result.charged] == [7, 0, 7, 0, 7]


async def test_a_window_is_charged_the_rate_in_effect_when_it_opens_and_keeps_it(db: str) -> None:
    change = START + 2 * HOUR
    await priced(('cad', 7, START - DAY), ('cad', 10, change))
    contract, team = await contract_with()
    result = await rate_sessions(
        contract,
        [
            session('before', START, team=team),  # opens at 7
            session('in-it-after', change + HOUR, team=team),  # inside the 7 window: 0, not 10
            session('at-the-change', change, user='leo', team=team),  # opens exactly at the change: 10
        ],
        now=NOW,
    )
    assert [c.quantity for c in result.charged] == [7, 0, 10]


async def test_sessions_are_rated_in_started_at_order_and_charges_are_final(db: str) -> None:
    await priced(('cad', 7, START - 2 * DAY))
    contract, team = await contract_with()
    late = START - 5 * HOUR
    first = await rate_sessions(
        contract, [session('b', START + HOUR, team=team), session('a', START, 3, team=team)], now=NOW
    )
    assert [c.quantity for c in first.charged] == [7, 0]  # a (3 min) is rated first and opens nothing; b opens
    then = await rate_sessions(contract, [session('late', late, team=team)], now=NOW)
    # a late session before the charged window opens its own: the earlier charge stays as it was
    assert [c.quantity for c in then.charged] == [7]
    assert await available(contract) == 1000 - 14


async def test_duplicates_within_and_across_batches_are_charged_once_and_another_body_is_refused(db: str) -> None:
    await priced(('cad', 7, START - DAY))
    contract, team = await contract_with()
    one = session('s1', START, team=team)
    first = await rate_sessions(contract, [one, one, session('s2', START + 2 * DAY, team=team)], now=NOW)
    assert (first.accepted, first.duplicates, len(first.charged)) == (2, 1, 2)
    again = await rate_sessions(contract, [one], now=NOW)
    assert (again.accepted, again.duplicates, again.charged) == (0, 1, ())
    assert await available(contract) == 1000 - 14
    before = await snapshot()
    with pytest.raises(ClientIdConflict):
        await rate_sessions(contract, [session('s1', START, 45, team=team)], now=NOW)
    assert await snapshot() == before


async def test_a_batch_is_all_or_nothing(db: str) -> None:
    await priced(('cad', 7, START - DAY))
    contract, team = await contract_with(10)
    before = await snapshot()
    with pytest.raises(InsufficientBalance) as refused:
        await rate_sessions(
            contract, [session('fits', START, team=team), session('too-much', START, user='leo', team=team)], now=NOW
        )
    assert refused.value.event_id == 'too-much'  # the session's own id, not its usage event's
    with pytest.raises(InvalidInput) as invalid:
        await rate_sessions(
            contract, [session('ok', START, team=team), session('bad', START, 1441, team=team)], now=NOW
        )
    assert (invalid.value.batch, invalid.value.index, invalid.value.field) == ('sessions', 1, 'minutes')
    for bad, field in (
        (session('x', START, product='nothing', team=team), 'product'),
        (session('x', START - 10 * DAY, team=team), 'product'),  # before cad's first rate
        (session('x', NOW + 6 * MINUTE, team=team), 'started_at'),
        (SessionInput('x', 'ana', 'cad', START, Decimal('2.5'), team), 'minutes'),
        (SessionInput('x', 'ana', 'cad', START, '5', team), 'minutes'),
        (SessionInput('x', 'ana', 'cad', START, 5, None), 'team'),
    ):
        with pytest.raises(InvalidInput) as invalid:
            await rate_sessions(contract, [bad], now=NOW)
        assert invalid.value.field == field
    assert await snapshot() == before


async def test_two_batches_of_one_user_and_product_at_once_charge_one_window(db: str) -> None:
    await priced(('cad', 7, START - DAY))
    contract, team = await contract_with()
    await asyncio.gather(
        rate_sessions(contract, [session('left', START, team=team)], now=NOW),
        rate_sessions(contract, [session('right', START + MINUTE, team=team)], now=NOW),
    )
    assert await available(contract) == 1000 - 7


def as_sessions(batch: list[tuple[str, int, int, str]], team: int) -> list[SessionInput]:
    return [session(sid, START + at * MINUTE, minutes, user=user, team=team) for sid, at, minutes, user in batch]


def model(batches: list[list[tuple[str, int, int, str]]], rates: dict[str, int]) -> int:
    """The spec's rules, plainly: (id, start minute, minutes, user) per session, one product; units charged."""
    windows: dict[str, list[int]] = {}
    seen: set[str] = set()
    charged = 0
    for batch in batches:
        fresh = {}
        for sid, start, minutes, user in batch:
            if sid not in seen and sid not in fresh:
                fresh[sid] = (start, minutes, user)
        seen |= set(fresh)
        for start, minutes, user in sorted(fresh.values(), key=lambda s: s[0]):
            opened = windows.setdefault(user, [])
            if any(w <= start < w + 24 * 60 for w in opened) or minutes < 5:
                continue
            opened.append(start)
            charged += rates['cad']
    return charged


SESSION = st.tuples(
    st.sampled_from([f's{n}' for n in range(12)]),
    st.integers(0, 4 * 24 * 60),  # the minute it starts, over four days
    st.sampled_from([0, 4, 5, 30]),
    st.sampled_from(['ana', 'leo']),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(SESSION, min_size=1, max_size=6), min_size=1, max_size=4), st.integers(0, 3))
async def test_any_sequence_of_batches_charges_what_the_rules_say_and_retries_nothing_more(
    db: str, batches: list[list[tuple[str, int, int, str]]], retried: int
) -> None:
    if not await products.list_products(now=NOW):  # the examples share the test's database
        await priced(('cad', 7, START - DAY))
    contract, team = await contract_with(10_000)
    # an id reused with another body is a refusal (tested above): keep each id's first body throughout
    bodies: dict[str, tuple[int, int, str]] = {}
    normal = [
        [(sid, *bodies.setdefault(sid, (start, minutes, user))) for sid, start, minutes, user in b] for b in batches
    ]
    for batch in normal:
        await rate_sessions(
            contract,
            [
                session(sid, START + start * MINUTE, minutes, user=user, team=team)
                for sid, start, minutes, user in batch
            ],
            now=NOW,
        )
    expected = Decimal(model(normal, {'cad': 7}))
    assert await available(contract) == 10_000 - expected
    await rate_sessions(contract, as_sessions(normal[retried % len(normal)], team), now=NOW)
    assert await available(contract) == 10_000 - expected  # a retried batch charges nothing more
