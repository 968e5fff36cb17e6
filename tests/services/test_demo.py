"""The demo data set shows every state of the page, and its books balance"""

from datetime import UTC, datetime, timedelta

from models import UsageEvent
from services import demo
from services.accounts import admins
from services.accounts.contracts import list_contracts, list_teams
from services.controls.entitlement import refusals, streaks
from services.reading.audit import check_ledger
from services.reading.state import contract_balances
from services.reading.timeline import token_events
from services.reading.usage import usage_breakdown
from tests.helpers import NOW


async def test_demo_teams_show_every_state(db: str) -> None:
    login = await demo.load(now=NOW)
    flex, cloud = sorted(await list_contracts(), key=lambda c: c.mode != 'flex')
    assert (flex.region, flex.mode, cloud.region, cloud.mode) == ('FR', 'flex', 'BR', 'cloud_credits')
    teams = {b.team_name: b for b in (await contract_balances(flex.id, now=NOW)).balances}
    assert len(teams) == 5
    assert teams['Structure'].health == 'red'
    assert teams['Structure'].available > 0
    assert teams['Architecture'].health == 'green'
    assert not teams['Architecture'].alert
    assert teams['Fluides'].alert
    assert teams['Fluides'].next_expiry is not None
    assert teams['Fluides'].next_expiry.days_left <= 90
    assert teams['Infrastructure'].expired > 0
    events = await token_events(flex.id, now=NOW)
    assert ('transfer_out', 'Visualisation', 'Architecture') in {
        (e.type, e.team_name, e.counterparty_team_name) for e in events
    }
    assert all(b.users_90_days > 0 and b.products_90_days > 0 for b in teams.values())
    pool = (await contract_balances(cloud.id, now=NOW)).balances
    assert len(pool) == 1
    assert pool[0].used > 0
    for contract in (flex, cloud):
        assert await check_ledger(contract.id, now=NOW) == []
    admin = await admins.authenticate(login.email, login.password)
    assert admin is not None
    assert set(admin.contracts) == {flex.id, cloud.id}
    refused = {(r.team, r.product, r.reason): r.count for r in await refusals(flex, now=NOW)}
    assert set(refused) == {
        (teams['Visualisation'].team, 'bim-architect', 'product_not_allowed'),
        (teams['Fluides'].team, 'cam-legacy', 'unknown_product'),
        (teams['Structure'].team, 'simulation', 'cap_reached'),  # the user past the cap, again and again:
    }
    assert [(r.product, r.count) for r in await streaks(flex, now=NOW)] == [('simulation', 6)]  # a streak


async def _used_everywhere() -> object:
    return sum([b.used for c in await list_contracts() for b in (await contract_balances(c.id)).balances], start=0)


async def test_the_live_feed_uses_each_teams_own_users_and_products_through_the_ledger(db: str) -> None:
    await demo.load(now=NOW)
    flex = next(c for c in await list_contracts() if c.mode == 'flex')
    own = {
        team.id: (
            {row.key for row in (await usage_breakdown(flex.id, by='user', team=team.id, now=NOW)).rows},
            {row.key for row in (await usage_breakdown(flex.id, by='product', team=team.id, now=NOW)).rows},
        )
        for team in await list_teams(flex.id)
    }
    before = await _used_everywhere()
    feed = demo.LiveFeed(seed=1)
    for _ in range(40):
        await feed.post(flex.id, NOW + timedelta(hours=1))
    events = await UsageEvent.filter(client_id__startswith='feed-').values_list('team_id', 'user', 'product')
    assert len(events) > 20  # a team that ran dry stops; the others go on
    for team, user, product in events:
        assert user in own[team][0], (team, user)  # no invented users, no other team's products
        assert product in own[team][1], (team, product)
    assert await _used_everywhere() > before  # type: ignore[operator]
    for contract in await list_contracts():
        assert await check_ledger(contract.id) == []


async def test_the_live_feed_is_busy_on_working_hours_only(db: str) -> None:
    await demo.load(now=NOW)
    monday_afternoon = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 15:00 in Paris, 11:00 in São Paulo
    sunday_night = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    busy, quiet = demo.LiveFeed(seed=3), demo.LiveFeed(seed=3)
    for _ in range(150):
        await busy.tick(monday_afternoon)
        await quiet.tick(sunday_night)
    assert busy.sent > 4 * max(quiet.sent, 1)
