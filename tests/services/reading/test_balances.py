"""Balances: the arithmetic, health, next expiry, the 90-day alert and the 90-day distinct counts"""

from datetime import UTC, date, datetime, timedelta

from services import ledger
from services.reading.balances import health
from services.reading.state import contract_balances
from tests.helpers import DAY, NOW, buy, cloud_contract, flex_contract, use


def test_health_is_green_only_above_20_percent() -> None:
    assert health(21, 100) == 'green'
    assert health(20, 100) == 'red'
    assert health(0, 0) == 'red'
    assert health(2_000_001, 10_000_000) == 'green'


async def test_flex_balances_one_per_team_sorted_by_name(db: str) -> None:
    contract, teams = await flex_contract('Zeta', 'Alpha', 'Mid')
    await buy(contract, 'p', '100', teams['Mid'])
    await ledger.consume(contract, [use('e', '80.0001', team=teams['Mid'])], now=NOW)
    result = await contract_balances(contract, now=NOW)
    assert [b.team_name for b in result.balances] == ['Alpha', 'Mid', 'Zeta']
    mid = result.balances[1]
    assert (str(mid.available), str(mid.used), str(mid.total), mid.health) == ('19.9999', '80.0001', '100', 'red')
    empty = result.balances[0]
    assert (empty.total, empty.health, empty.next_expiry, empty.alert) == (0, 'red', None, False)


async def test_cloud_balances_exactly_one_for_the_contract(db: str) -> None:
    contract, teams = await cloud_contract('Ops', 'Design')
    await buy(contract, 'p', 50)
    await ledger.consume(contract, [use('e', 5, team=teams['Ops'])], now=NOW)
    result = await contract_balances(contract, now=NOW)
    assert len(result.balances) == 1
    pool = result.balances[0]
    assert (pool.team, pool.available, pool.used, pool.health) == (None, 45, 5, 'green')


async def test_next_expiry_and_the_90_day_alert_in_the_contract_time_zone(db: str) -> None:
    contract, teams = await flex_contract('A', timezone='Asia/Tokyo')
    team = teams['A']
    # 2026-11-23T20:00Z is already 24 November in Tokyo
    now = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    await buy(contract, 'far', 10, team, expires_at=now + 200 * DAY, now=now)
    await buy(contract, 'edge', 3, team, expires_at=datetime(2027, 2, 22, 16, 0, tzinfo=UTC), now=now)  # 23 Feb JST
    await buy(contract, 'edge2', 2, team, expires_at=datetime(2027, 2, 22, 14, 59, tzinfo=UTC), now=now)  # 22 Feb
    balance = (await contract_balances(contract, now=now)).balances[0]
    assert balance.next_expiry is not None
    assert (balance.next_expiry.date, balance.next_expiry.days_left) == (date(2027, 2, 22), 90)
    assert balance.next_expiry.quantity == 2
    assert (balance.expiring_within_90_days, balance.alert) == (2, True)
    later = (await contract_balances(contract, now=now + DAY)).balances[0]
    assert later.expiring_within_90_days == 5


async def test_no_alert_when_the_expiring_lot_is_empty_or_expired(db: str) -> None:
    contract, teams = await flex_contract('A')
    team = teams['A']
    await buy(contract, 'soon', 4, team, expires_at=NOW + 30 * DAY)
    await buy(contract, 'late', 10, team, expires_at=NOW + 300 * DAY)
    await ledger.consume(contract, [use('e', 4, team=team)], now=NOW)
    balance = (await contract_balances(contract, now=NOW)).balances[0]
    assert balance.alert is False
    assert balance.next_expiry is not None
    assert balance.next_expiry.quantity == 10
    after = (await contract_balances(contract, now=NOW + 301 * DAY)).balances[0]
    assert (after.next_expiry, after.alert, after.expired) == (None, False, 10)


async def test_usage_90_days_counts_distinct_products_and_users_in_the_rolling_window(db: str) -> None:
    contract, teams = await flex_contract('A', 'B', timezone='Europe/Paris')
    a = teams['A']
    await buy(contract, 'p', 1000, a, purchased_at=NOW - 200 * DAY)
    await buy(contract, 'q', 1000, teams['B'], purchased_at=NOW - 200 * DAY)
    window_start = NOW - timedelta(days=90)
    events = [
        use('out', 1, team=a, product='old', user='old@x', at=window_start),  # not in (now - 90 d, now]
        use('edge', 1, team=a, product='edge', user='edge@x', at=window_start + timedelta(seconds=1)),
        use('mid', 1, team=a, product='cad', user='ana@x', at=NOW - 40 * DAY),
        use('mid2', 1, team=a, product='cad', user='bob@x', at=NOW - 39 * DAY),
        use('today', 1, team=a, product='render', user='ana@x', at=NOW),
        use('b', 1, team=teams['B'], product='cad', user='zoe@x', at=NOW - DAY),
    ]
    await ledger.consume(contract, events, now=NOW)
    by_team = {b.team_name: b for b in (await contract_balances(contract, now=NOW)).balances}
    assert (by_team['A'].products_90_days, by_team['A'].users_90_days) == (3, 3)
    assert (by_team['B'].products_90_days, by_team['B'].users_90_days) == (1, 1)
    later = {b.team_name: b for b in (await contract_balances(contract, now=NOW + 2 * DAY)).balances}
    assert (later['A'].products_90_days, later['A'].users_90_days) == (2, 2)


async def test_cloud_usage_90_days_counts_the_whole_contract(db: str) -> None:
    contract, teams = await cloud_contract('Ops')
    await buy(contract, 'p', 100)
    await ledger.consume(
        contract, [use('a', 1, product='sim', user='u1'), use('b', 1, team=teams['Ops'], user='u2')], now=NOW
    )
    pool = (await contract_balances(contract, now=NOW)).balances[0]
    assert (pool.products_90_days, pool.users_90_days) == (2, 2)
