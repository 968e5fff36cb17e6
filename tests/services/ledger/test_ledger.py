"""The ledger's writes: purchase, consume, transfer and their refusals (each with a before/after snapshot)"""

from collections.abc import Awaitable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from models import Lot
from services import ledger
from services.domain.errors import (
    ClientIdConflict,
    InsufficientBalance,
    InvalidInput,
    LedgerError,
    TransfersNotAvailable,
    UnknownContract,
    UnknownTeam,
    WrongMode,
)
from services.domain.quantity import from_units
from services.reading.audit import check_ledger
from services.reading.state import contract_balances
from tests.helpers import DAY, NOW, buy, cloud_contract, dec, flex_contract, snapshot, use


async def refused(call: Awaitable[Any], error: type[LedgerError]) -> LedgerError:
    """Await a call that must be refused with ``error`` and must leave every table as it was."""
    before = await snapshot()
    with pytest.raises(error) as info:
        await call
    assert await snapshot() == before
    return info.value


async def balance(contract_id: int, team: int | None = None, now=NOW):
    result = await contract_balances(contract_id, now=now)
    return next(b for b in result.balances if b.team == team)


async def remaining(contract_id: int) -> dict[str, Decimal]:
    rows = await Lot.filter(contract_id=contract_id, origin='purchase').values_list('client_id', 'remaining')
    return {client_id: from_units(units) for client_id, units in rows}


async def test_purchase_creates_a_lot_valid_365_days(db: str) -> None:
    contract, teams = await flex_contract('A')
    result = await ledger.purchase(contract, client_id='p1', quantity='1250.5', team=teams['A'], now=NOW)
    assert result.created
    assert result.quantity == dec('1250.5')
    assert result.purchased_at == NOW
    assert result.expires_at == NOW + timedelta(days=365)
    assert (await balance(contract, teams['A'])).available == dec('1250.5')


async def test_purchase_replay_returns_the_original_and_a_different_payload_conflicts(db: str) -> None:
    contract, teams = await flex_contract('A')
    first = await ledger.purchase(contract, client_id='p1', quantity='10', team=teams['A'], now=NOW)
    again = await ledger.purchase(contract, client_id='p1', quantity='10.000', team=teams['A'], now=NOW + DAY)
    assert not again.created
    assert again.purchased_at == first.purchased_at
    await refused(ledger.purchase(contract, client_id='p1', quantity='11', team=teams['A'], now=NOW), ClientIdConflict)
    assert (await balance(contract, teams['A'])).total == 10


@pytest.mark.parametrize(
    ('kwargs', 'error', 'field'),
    [
        ({'quantity': '0'}, InvalidInput, 'quantity'),
        ({'quantity': '-5'}, InvalidInput, 'quantity'),
        ({'quantity': '1.00001'}, InvalidInput, 'quantity'),
        ({'quantity': 1.5}, InvalidInput, 'quantity'),
        ({'quantity': '1e3'}, InvalidInput, 'quantity'),
        ({'quantity': '1234567890123'}, InvalidInput, 'quantity'),
        ({'team': None}, WrongMode, 'team'),
        ({'team': 999}, UnknownTeam, 'team'),
        ({'purchased_at': NOW + DAY}, InvalidInput, 'purchased_at'),
        ({'expires_at': NOW - DAY}, InvalidInput, 'expires_at'),
        ({'client_id': ''}, InvalidInput, 'id'),
        ({'client_id': 'x' * 129}, InvalidInput, 'id'),
    ],
)
async def test_purchase_refusals(db: str, kwargs: dict[str, Any], error: type[InvalidInput], field: str) -> None:
    contract, teams = await flex_contract('A')
    call = {'client_id': 'p1', 'quantity': '10', 'team': teams['A'], 'now': NOW, **kwargs}
    refusal = await refused(ledger.purchase(contract, **call), error)
    assert isinstance(refusal, InvalidInput)
    assert refusal.field == field


async def test_cloud_purchase_refuses_a_team_and_unknown_contracts_are_named(db: str) -> None:
    contract, teams = await cloud_contract('Ops')
    await refused(ledger.purchase(contract, client_id='p', quantity=5, team=teams['Ops'], now=NOW), WrongMode)
    await refused(ledger.purchase(4242, client_id='p', quantity=5, now=NOW), UnknownContract)
    await buy(contract, 'p', 5)
    assert (await balance(contract)).available == 5


async def test_consumption_order_earliest_expiry_then_smaller_then_earlier_purchase_then_creation(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    late = NOW + timedelta(days=200)
    await buy(contract, 'late', 5, team, expires_at=late)
    await buy(contract, 'big', 30, team, expires_at=NOW + 10 * DAY)
    await buy(contract, 'small-later', 20, team, purchased_at=NOW - DAY, expires_at=NOW + 10 * DAY)
    await buy(contract, 'small-earlier', 20, team, purchased_at=NOW - 2 * DAY, expires_at=NOW + 10 * DAY)
    await buy(contract, 'small-same', 20, team, purchased_at=NOW - 2 * DAY, expires_at=NOW + 10 * DAY)
    await ledger.consume(contract, [use('e1', 25, team=team)], now=NOW)
    assert await remaining(contract) == {'late': 5, 'big': 30, 'small-later': 20, 'small-earlier': 0, 'small-same': 15}
    await ledger.consume(contract, [use('e2', 40, team=team)], now=NOW)
    assert await remaining(contract) == {'late': 5, 'big': 25, 'small-later': 0, 'small-earlier': 0, 'small-same': 0}
    assert await check_ledger(contract, now=NOW) == []


async def test_expired_lots_are_skipped_and_counted_as_expired_without_any_job(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'soon', 10, team, expires_at=NOW + DAY)
    await buy(contract, 'later', 10, team, expires_at=NOW + 30 * DAY)
    await ledger.consume(contract, [use('e1', 4, team=team)], now=NOW)
    after = await balance(contract, team, now=NOW + 2 * DAY)
    assert (after.available, after.used, after.expired, after.total) == (10, 4, 6, 20)
    await ledger.consume(contract, [use('e2', 3, team=team)], now=NOW + 2 * DAY)
    assert await remaining(contract) == {'soon': 6, 'later': 7}
    await refused(ledger.consume(contract, [use('e3', 8, team=team)], now=NOW + 2 * DAY), InsufficientBalance)


async def test_a_lot_is_expired_from_its_expiry_instant_on(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'], expires_at=NOW + DAY)
    assert (await balance(contract, teams['A'], now=NOW + DAY - timedelta(microseconds=1))).available == 10
    assert (await balance(contract, teams['A'], now=NOW + DAY)).expired == 10


async def test_one_event_spans_lots_and_the_batch_is_all_or_nothing(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    await buy(contract, 'a1', 3, teams['A'], expires_at=NOW + DAY)
    await buy(contract, 'a2', 3, teams['A'])
    await buy(contract, 'b1', 1, teams['B'])
    batch = [use('ok', 5, team=teams['A']), use('too-much', 2, team=teams['B'])]
    refusal = await refused(ledger.consume(contract, batch, now=NOW), InsufficientBalance)
    assert isinstance(refusal, InsufficientBalance)
    assert refusal.event_id == 'too-much'
    result = await ledger.consume(contract, batch[:1], now=NOW)
    assert (result.accepted, result.duplicates) == (1, 0)
    assert await remaining(contract) == {'a1': 0, 'a2': 1, 'b1': 1}


async def test_replays_change_nothing_and_a_reused_id_conflicts(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'p', 100, team)
    first = await ledger.consume(contract, [use('e1', '2.5', team=team), use('e2', 1, team=team)], now=NOW)
    assert (first.accepted, first.duplicates) == (2, 0)
    before = await snapshot()
    again = await ledger.consume(contract, [use('e1', '2.50', team=team), use('e2', '1.0', team=team)], now=NOW)
    assert (again.accepted, again.duplicates) == (0, 2)
    assert await snapshot() == before
    mixed = await ledger.consume(contract, [use('e1', '2.5', team=team), use('e3', 1, team=team)], now=NOW)
    assert (mixed.accepted, mixed.duplicates) == (1, 1)
    await refused(ledger.consume(contract, [use('e1', 3, team=team)], now=NOW), ClientIdConflict)
    await refused(ledger.consume(contract, [use('e1', '2.5', team=team, user='bob')], now=NOW), ClientIdConflict)


async def test_the_same_id_twice_in_a_batch(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 100, teams['A'])
    same = await ledger.consume(contract, [use('e', 1, team=teams['A']), use('e', 1, team=teams['A'])], now=NOW)
    assert (same.accepted, same.duplicates) == (1, 1)
    await refused(
        ledger.consume(contract, [use('f', 1, team=teams['A']), use('f', 2, team=teams['A'])], now=NOW),
        ClientIdConflict,
    )
    assert (await balance(contract, teams['A'])).used == 1


@pytest.mark.parametrize(
    ('event', 'field'),
    [
        ({'quantity': 0}, 'quantity'),
        ({'quantity': '0.00001'}, 'quantity'),
        ({'user': ''}, 'user'),
        ({'user': 'u' * 201}, 'user'),
        ({'product': ''}, 'product'),
        ({'product': 'p' * 101}, 'product'),
        ({'occurred_at': NOW + timedelta(minutes=6)}, 'occurred_at'),
        ({'occurred_at': NOW.replace(tzinfo=None)}, 'occurred_at'),
        ({'team': None}, 'team'),
        ({'team': 999}, 'team'),
        ({'id': ''}, 'id'),
    ],
)
async def test_usage_refusals_name_the_field_and_the_index(db: str, event: dict[str, Any], field: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 100, teams['A'])
    good = use('good', 1, team=teams['A'])
    bad = use('bad', 1, team=teams['A']).__class__(**{**use('bad', 1, team=teams['A']).__dict__, **event})
    refusal = await refused(ledger.consume(contract, [good, bad], now=NOW), InvalidInput)
    assert isinstance(refusal, InvalidInput)
    assert (refusal.field, refusal.index) == (field, 1)


async def test_batch_size_limits(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10_000, teams['A'])
    await refused(ledger.consume(contract, [], now=NOW), InvalidInput)
    too_many = [use(f'e{i}', 1, team=teams['A']) for i in range(1001)]
    await refused(ledger.consume(contract, too_many, now=NOW), InvalidInput)
    result = await ledger.consume(contract, too_many[:1000], now=NOW)
    assert result.accepted == 1000
    assert await check_ledger(contract, now=NOW) == []


async def test_cloud_usage_is_paid_by_the_pool_and_tagged_by_an_optional_team(db: str) -> None:
    contract, teams = await cloud_contract('Ops')
    await buy(contract, 'p', 10)
    await ledger.consume(contract, [use('e1', 2), use('e2', 3, team=teams['Ops'])], now=NOW)
    pool = await balance(contract)
    assert (pool.available, pool.used) == (5, 5)
    await refused(ledger.consume(contract, [use('e3', 1, team=999)], now=NOW), UnknownTeam)


async def test_transfer_moves_tokens_in_consumption_order_keeping_expiry_dates(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    soon, later = NOW + 10 * DAY, NOW + 100 * DAY
    await buy(contract, 'p1', 10, a, expires_at=later)
    await buy(contract, 'p2', 4, a, expires_at=soon)
    preview_before = await snapshot()
    preview = await ledger.preview_transfer(contract, from_team=a, to_team=b, quantity=6, now=NOW)
    assert await snapshot() == preview_before
    assert [(m.expires_at, m.quantity) for m in preview] == [(soon, 4), (later, 2)]
    done = await ledger.transfer(contract, client_id='t1', from_team=a, to_team=b, quantity=6, now=NOW)
    assert done.created
    assert done.lots == preview
    source, target = await balance(contract, a), await balance(contract, b)
    assert (source.available, source.total, target.available, target.total) == (8, 8, 6, 6)
    assert target.next_expiry is not None
    assert target.next_expiry.date == soon.date()
    assert target.next_expiry.quantity == 4
    replay = await ledger.transfer(contract, client_id='t1', from_team=a, to_team=b, quantity='6.0', now=NOW)
    assert not replay.created
    assert replay.lots == done.lots
    await refused(
        ledger.transfer(contract, client_id='t1', from_team=a, to_team=b, quantity=5, now=NOW), ClientIdConflict
    )
    # the moved tokens expire with their original lot's date: after it, B's part is expired too
    expired = await balance(contract, b, now=soon)
    assert (expired.available, expired.expired) == (2, 4)
    assert await check_ledger(contract, now=soon) == []


async def test_transfer_refusals(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'p', 5, a)
    call: dict[str, Any] = {'client_id': 't', 'now': NOW}
    await refused(ledger.transfer(contract, from_team=a, to_team=b, quantity=6, **call), InsufficientBalance)
    await refused(ledger.transfer(contract, from_team=a, to_team=a, quantity=1, **call), InvalidInput)
    await refused(ledger.transfer(contract, from_team=a, to_team=999, quantity=1, **call), UnknownTeam)
    await refused(ledger.transfer(contract, from_team=a, to_team=b, quantity=0, **call), InvalidInput)
    await refused(ledger.preview_transfer(contract, from_team=a, to_team=b, quantity=6, now=NOW), InsufficientBalance)
    cloud, cloud_teams = await cloud_contract('X', 'Y')
    await refused(
        ledger.transfer(cloud, from_team=cloud_teams['X'], to_team=cloud_teams['Y'], quantity=1, **call),
        TransfersNotAvailable,
    )


async def test_expired_tokens_cannot_be_moved(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    await buy(contract, 'p', 5, teams['A'], expires_at=NOW + DAY)
    call = ledger.transfer(contract, client_id='t', from_team=teams['A'], to_team=teams['B'], quantity=1, now=NOW + DAY)
    await refused(call, InsufficientBalance)


async def test_a_purchase_replayed_later_returns_the_original_even_past_its_expiry(db: str) -> None:
    # found by the stateful test: the defaults must not be re-derived from the clock of the replay
    contract, teams = await flex_contract('A')
    call: dict[str, Any] = {'client_id': 'p', 'quantity': 1, 'team': teams['A'], 'expires_at': NOW + DAY}
    first = await ledger.purchase(contract, **call, now=NOW)
    again = await ledger.purchase(contract, **call, now=NOW + 2 * DAY)
    assert (again.created, again.purchased_at, again.expires_at) == (False, first.purchased_at, first.expires_at)
