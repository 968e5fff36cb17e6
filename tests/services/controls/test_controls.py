"""Caps and their stages: what they count (the rollups, any combination of team, user and product), the notice sent
once per stage and period, the deny that refuses until the period ends (time moved, not slept)"""

from datetime import timedelta

from models import Alert, AlertDelivery, CapNotice
from services import ledger
from services.accounts import admins
from services.accounts.contracts import get_contract
from services.alerts.caps import notify_caps
from services.catalog import products
from services.controls import caps
from services.controls.entitlement import STREAK, Refusals, check, refusals, streaks
from tests.helpers import DAY, NOW, buy, flex_contract, use

MORNING = NOW.replace(hour=8)  # 23 November 2026, a Monday: the month goes on to the 30th


async def capped() -> tuple[int, dict[str, int]]:
    await products.create_product('cad', 'CAD', 7, effective_from=NOW - 30 * DAY, now=NOW)
    await products.create_product('gis', 'GIS', 4, effective_from=NOW - 30 * DAY, now=NOW)
    contract, teams = await flex_contract('Structure', 'Fluides')
    for name, team in teams.items():
        await buy(contract, f'lot-{name}', 100, team, purchased_at=NOW - 20 * DAY, now=NOW - 20 * DAY)
    await admins.grant('admin@example.com', contract, 'a long enough password')
    return contract, teams


async def test_a_cap_counts_its_combination_in_the_current_period(db: str) -> None:
    contract, teams = await capped()
    structure, fluides = teams['Structure'], teams['Fluides']
    await ledger.consume(
        contract,
        [
            use('1', 3, team=structure, user='ana', product='cad', at=MORNING),
            use('2', 2, team=structure, user='ana', product='gis', at=MORNING),
            use('3', 5, team=structure, user='leo', product='cad', at=MORNING),
            use('4', 7, team=fluides, user='ana', product='cad', at=MORNING),
            use('5', 11, team=structure, user='ana', product='cad', at=MORNING - 30 * DAY),  # last month
        ],
        now=NOW,
    )
    for fields, period, used in (
        ({}, 'month', 17),
        ({'team': structure}, 'month', 10),
        ({'user': 'ana'}, 'month', 12),
        ({'product': 'cad'}, 'month', 15),
        ({'team': structure, 'user': 'ana'}, 'month', 5),
        ({'user': 'ana', 'product': 'cad'}, 'day', 10),
        ({'team': structure, 'user': 'ana', 'product': 'cad'}, 'day', 3),
    ):
        made = await caps.create_cap(contract, period=period, limit=10, now=NOW, **fields)
        assert made.used == used, fields


async def test_a_notify_stage_is_noticed_once_a_period_and_a_deny_stage_refuses_until_the_period_ends(db: str) -> None:
    contract, teams = await capped()
    structure = teams['Structure']
    cap = await caps.create_cap(contract, team=structure, period='day', limit=10, now=NOW)
    info = await get_contract(contract)

    async def reason(now: object) -> str:
        return (await check(info, user='zoe', product='gis', team=structure, now=now)).reason  # type: ignore[arg-type]

    await ledger.consume(contract, [use('a', 8, team=structure, user='ana', product='cad', at=MORNING)], now=NOW)
    assert len(await notify_caps([contract], now=NOW)) == 1  # 80 % reached: one notice, to the administrator
    assert await notify_caps([contract], now=NOW) == []  # and only one, however often it is looked at
    notice = await Alert.get(cap_id=cap.id)
    assert (notice.rule_id, notice.kind, notice.state) == (None, 'cap', 'firing')  # type: ignore[attr-defined]
    assert 'daily cap' in notice.message
    assert await AlertDelivery.filter(alert_id=notice.id).values_list('target', flat=True) == ['admin@example.com']
    assert await reason(NOW) == 'ok'
    await ledger.consume(contract, [use('b', 3, team=structure, user='leo', product='gis', at=MORNING)], now=NOW)
    assert await reason(NOW) == 'cap_reached'  # 11 of 10 today, whoever asks
    assert await notify_caps([contract], now=NOW) == []  # the deny stage has no notice
    tomorrow = NOW + DAY
    assert await reason(tomorrow) == 'ok'  # a new day: the cap counts from zero
    (again,) = await caps.list_caps(contract, now=tomorrow)
    assert (again.used, again.stage) == (0, None)
    await ledger.consume(contract, [use('c', 9, team=structure, user='ana', product='cad', at=tomorrow)], now=tomorrow)
    assert len(await notify_caps([contract], now=tomorrow)) == 1  # a new period, a new notice
    assert await CapNotice.filter(cap_id=cap.id).count() == 2
    await caps.delete_cap(contract, cap.id, now=tomorrow)
    await ledger.consume(contract, [use('d', 5, team=structure, user='ana', product='cad', at=tomorrow)], now=tomorrow)
    assert await reason(tomorrow) == 'ok'  # deleted: nothing refuses any more


async def test_refusals_are_counted_per_day_team_user_product_and_reason(db: str) -> None:
    contract, teams = await capped()
    info = await get_contract(contract)
    counted = Refusals()
    for _ in range(3):
        await check(info, user='ana', product='nothing', team=teams['Structure'], refusals=counted, now=NOW)
    await check(info, user='ana', product='nothing', team=teams['Structure'], refusals=counted, now=NOW - DAY)
    await check(info, user='ana', product='cad', team=teams['Structure'], refusals=counted, now=NOW)  # allowed
    found = await refusals(info, counted=counted, now=NOW)
    assert [(r.date, r.team, r.user, r.product, r.reason, r.count) for r in found] == [
        (NOW.date(), teams['Structure'], 'ana', 'nothing', 'unknown_product', 3),
        (NOW.date() - timedelta(days=1), teams['Structure'], 'ana', 'nothing', 'unknown_product', 1),
    ]


async def test_a_streak_is_one_user_refused_a_product_for_one_reason_again_and_again_today(db: str) -> None:
    contract, teams = await capped()
    info = await get_contract(contract)
    counted = Refusals()
    structure = teams['Structure']
    for _ in range(STREAK - 1):
        await check(info, user='ana', product='nothing', team=structure, refusals=counted, now=NOW)
    for _ in range(STREAK):  # yesterday's refusals make no streak today
        await check(info, user='ana', product='nothing', team=structure, refusals=counted, now=NOW - DAY)
    assert await streaks(info, counted=counted, now=NOW) == []
    await check(info, user='ana', product='nothing', team=structure, refusals=counted, now=NOW)
    for _ in range(STREAK + 2):
        await check(info, user='bob', product='nothing', team=structure, refusals=counted, now=NOW)
    found = await streaks(info, counted=counted, now=NOW)
    assert [(r.user, r.product, r.reason, r.count) for r in found] == [
        ('bob', 'nothing', 'unknown_product', STREAK + 2),  # the most refused first
        ('ana', 'nothing', 'unknown_product', STREAK),
    ]
