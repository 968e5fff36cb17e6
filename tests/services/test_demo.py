"""The demo data set shows every state of the page, and its books balance"""

from services import demo
from services.accounts import admins
from services.accounts.contracts import list_contracts
from services.reading.audit import check_ledger
from services.reading.balances import contract_balances
from services.reading.timeline import token_events
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


async def _used_everywhere() -> object:
    return sum([b.used for c in await list_contracts() for b in (await contract_balances(c.id)).balances], start=0)


async def test_the_live_feed_charges_usage_through_the_ledger(db: str) -> None:
    await demo.load(now=NOW)
    before = await _used_everywhere()
    feed = demo.LiveFeed(seed=1)
    for _ in range(5):
        await feed.tick()
    assert feed.sent > 0
    assert await _used_everywhere() > before  # type: ignore[operator]
    for contract in await list_contracts():
        assert await check_ledger(contract.id) == []
