"""Rules evaluated: once per crossing, the four kinds exactly, the seed's rule, deliveries queued with the crossing"""

import asyncio
from datetime import timedelta

import pytest

from models import Alert, AlertDelivery, AlertRule
from services import ledger
from services.accounts import admins
from services.accounts.contracts import get_contract
from services.alerts import add_rule, change_rule, set_paused
from services.alerts.delivery import DeliveryConfig, Sender
from services.alerts.evaluate import evaluate
from services.alerts.history import alert_history, latest_alerts, mark_seen, unread
from services.alerts.messages import summary
from services.alerts.rules import delete_rule, list_rules
from services.alerts.watch import ASSIGNMENT_SETTLE, AlertWatch
from services.domain.errors import InvalidInput, UnknownRule, UnknownTeam, WrongMode
from services.infrastructure import bus
from tests.helpers import DAY, NOW, MovedClock, buy, cloud_contract, flex_contract, use

PASSWORD = 'a long enough password'


async def states(contract: int) -> list[tuple[str, int | None]]:
    return [(a.state, a.team) for a in reversed(await latest_alerts(contract))]


async def test_every_contract_starts_with_the_seeds_rule(db: str) -> None:
    contract, _ = await flex_contract('A')
    (rule,) = await list_rules(contract)
    assert (rule.kind, rule.threshold, rule.team, rule.to_admins, rule.emails) == (
        'expiring_within_days',
        90,
        None,
        True,
        (),
    )


async def test_once_per_crossing_then_one_resolved_notice(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a = teams['A']
    await buy(contract, 'p', 100, a, expires_at=NOW + 300 * DAY)
    rule = await add_rule(contract, kind='available_below', threshold='20', team=a, emails=['ops@example.com'], now=NOW)
    assert await states(contract) == []  # 100 available: the condition does not hold
    await ledger.consume(contract, [use('e1', 85, team=a)], now=NOW)
    assert len(await evaluate(contract, now=NOW)) == 1
    assert await evaluate(contract, now=NOW) == []  # still true: nothing more
    await ledger.consume(contract, [use('e2', 5, team=a)], now=NOW)
    assert await evaluate(contract, now=NOW) == []
    await buy(contract, 'p2', 50, a, expires_at=NOW + 300 * DAY)
    assert len(await evaluate(contract, now=NOW)) == 1
    assert await evaluate(contract, now=NOW) == []
    assert await states(contract) == [('firing', a), ('resolved', a)]
    history = await alert_history(contract, now=NOW)
    assert [alert.rule for alert in history] == [rule.id, rule.id]
    firing = history[1]
    assert (firing.available, firing.total) == (15, 100)
    assert [(d.channel, d.target, d.status, d.attempts) for d in firing.deliveries] == [
        ('email', 'ops@example.com', 'pending', 0)
    ]
    assert firing.message.startswith('A: tokens available under 20')


async def test_a_rule_created_while_its_condition_holds_fires_once(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    await buy(contract, 'p', 10, teams['A'], expires_at=NOW + 300 * DAY)
    await add_rule(contract, kind='available_below_percent', threshold=50, now=NOW)  # every holder
    # A: 10 of 10 (no); B: 0 of 0 (0 < 0 % of 0 is false: nothing to alert on)
    assert await states(contract) == []
    await ledger.consume(contract, [use('e', '5.0001', team=teams['A'])], now=NOW)
    await evaluate(contract, now=NOW)
    assert await states(contract) == [('firing', teams['A'])]
    rule = await add_rule(contract, kind='available_below', threshold='4.9999', team=teams['A'], now=NOW)
    assert await states(contract) == [('firing', teams['A'])]  # 4.9999 available: not below 4.9999
    await delete_rule(contract, rule.id)
    created = await add_rule(contract, kind='available_below', threshold=5, team=teams['A'], now=NOW)
    assert await states(contract) == [('firing', teams['A'])] * 2
    assert (await latest_alerts(contract))[0].rule == created.id


async def test_percent_is_exact_at_the_threshold(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 3, teams['A'], expires_at=NOW + 300 * DAY)
    await ledger.consume(contract, [use('e', 2, team=teams['A'])], now=NOW)  # 1 of 3: 33.333… %
    await add_rule(contract, kind='available_below_percent', threshold='33.3333', now=NOW)
    assert await states(contract) == []  # 33.3333… is not below 33.3333
    await add_rule(contract, kind='available_below_percent', threshold='33.3334', now=NOW)
    assert await states(contract) == [('firing', teams['A'])]


async def test_time_alone_moves_expiry_and_the_seeds_rule_reaches_the_administrators(db: str) -> None:
    contract, teams = await flex_contract('A')
    await admins.grant('Chef@Example.com', contract, PASSWORD)
    await buy(contract, 'p', 40, teams['A'], expires_at=NOW + 100 * DAY)
    assert await evaluate(contract, now=NOW) == []  # 100 days away
    assert len(await evaluate(contract, now=NOW + 10 * DAY)) == 1  # 90 days away: within 90 days
    (alert,) = await alert_history(contract, now=NOW + 10 * DAY)
    assert (alert.kind, alert.expiring, alert.next_expiry) == ('expiring_within_days', 40, (NOW + 100 * DAY).date())
    assert [(d.channel, d.target) for d in alert.deliveries] == [('email', 'chef@example.com')]
    assert len(await evaluate(contract, now=NOW + 101 * DAY)) == 1  # expired: nothing expires within 90 days
    assert await states(contract) == [('firing', teams['A']), ('resolved', teams['A'])]


async def test_an_expiry_that_destroyed_tokens_is_said_as_a_loss_and_one_that_did_not_as_a_recovery(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'pa', 40, a, expires_at=NOW + 60 * DAY)
    await buy(contract, 'pb', 40, b, expires_at=NOW + 60 * DAY)
    await buy(contract, 'pa2', 100, a, expires_at=NOW + 300 * DAY)
    assert len(await evaluate(contract, now=NOW)) == 2  # both within 90 days
    await ledger.consume(contract, [use('b-uses-all', 40, team=b)], now=NOW + DAY)
    assert len(await evaluate(contract, now=NOW + DAY)) == 1  # B's expiring tokens were used: a recovery
    assert len(await evaluate(contract, now=NOW + 61 * DAY)) == 1  # A's 40 expired untouched
    lost, recovered = (await alert_history(contract, now=NOW + 61 * DAY))[:2]
    assert (lost.team, lost.state, lost.expired) == (a, 'resolved', 40)
    assert lost.message == 'A: 40 tokens expired unused (available 100 of 140)'
    info = await get_contract(contract)
    assert lost.crossing(info).lost
    assert summary(lost.crossing(info), 'fr').startswith('A : 40 jetons ont expiré')
    assert (recovered.team, recovered.state, recovered.expired) == (b, 'resolved', 0)
    assert recovered.message.startswith('B: resolved — tokens expire within 90 days no longer')
    assert not recovered.crossing(info).lost


async def test_runs_out_within_days_from_the_forecast(db: str) -> None:
    contract, teams = await flex_contract('A')
    a = teams['A']
    await buy(contract, 'p', 300, a, purchased_at=NOW - 40 * DAY, now=NOW - 40 * DAY)
    for offset in range(1, 29):
        at = NOW - offset * DAY
        await ledger.consume(contract, [use(f'w{offset}', 10, team=a, at=at)], now=at)  # 10 a day; 20 left
    await add_rule(contract, kind='runs_out_within_days', threshold=2, now=NOW)
    assert await states(contract) == []  # runs out on the 3rd day: 3 days left
    await add_rule(contract, kind='runs_out_within_days', threshold=3, now=NOW)
    assert await states(contract) == [('firing', a)]
    assert (await latest_alerts(contract))[0].runs_out_on == (NOW + 3 * DAY).date()


async def test_a_team_rule_watches_that_team_only_and_a_webhook_is_queued(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    for name in ('A', 'B'):
        await buy(contract, f'p{name}', 1, teams[name], expires_at=NOW + 300 * DAY)
    rule = await add_rule(
        contract,
        kind='available_below',
        threshold=2,
        team=teams['B'],
        webhook='http://127.0.0.1:9/hook',
        allow_private=True,
        now=NOW,
    )
    assert rule.webhook_secret is not None
    assert rule.webhook_secret.startswith('whsec_')
    assert await states(contract) == [('firing', teams['B'])]
    deliveries = await AlertDelivery.all().values_list('channel', 'target', 'status')
    assert deliveries == [('webhook', 'http://127.0.0.1:9/hook', 'pending')]


async def test_cloud_credits_alert_on_the_pool(db: str) -> None:
    contract, teams = await cloud_contract('Ops')
    await buy(contract, 'p', 10, expires_at=NOW + 30 * DAY)
    assert len(await evaluate(contract, now=NOW)) == 1  # the seed's rule: 10 credits expire within 90 days
    assert await states(contract) == [('firing', None)]
    with pytest.raises(WrongMode):
        await add_rule(contract, kind='available_below', threshold=1, team=teams['Ops'], now=NOW)


async def test_refusals_write_nothing(db: str) -> None:
    contract, _teams = await flex_contract('A')
    other, other_teams = await flex_contract('B')
    before = await AlertRule.all().count()
    bad: list[tuple[dict[str, object], str]] = [
        ({'kind': 'available_below_ratio', 'threshold': 1}, 'kind'),
        ({'kind': 'available_below_percent', 'threshold': 0}, 'threshold'),
        ({'kind': 'available_below_percent', 'threshold': '100.0001'}, 'threshold'),
        ({'kind': 'available_below', 'threshold': '-1'}, 'threshold'),
        ({'kind': 'expiring_within_days', 'threshold': 3651}, 'threshold'),
        ({'kind': 'expiring_within_days', 'threshold': '1.5'}, 'threshold'),
        ({'kind': 'runs_out_within_days', 'threshold': 0}, 'threshold'),
        ({'kind': 'available_below', 'threshold': 1, 'team': other_teams['B']}, 'team'),
        ({'kind': 'available_below', 'threshold': 1, 'emails': ['not an address']}, 'emails'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'ftp://example.com/hook'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://127.0.0.1:8080/hook'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://localhost/hook'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://2130706433/hook'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://[::1]/hook'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://169.254.169.254/latest'}, 'webhook_url'),
        ({'kind': 'available_below', 'threshold': 1, 'webhook': 'http://10.0.0.7/'}, 'webhook_url'),
    ]
    for body, field in bad:
        with pytest.raises(InvalidInput) as refusal:
            await add_rule(contract, now=NOW, **body)
        assert refusal.value.field == field, body
    assert isinstance(await _refused_team(contract, other_teams['B']), UnknownTeam)
    assert await AlertRule.all().count() == before
    with pytest.raises(UnknownRule):
        await delete_rule(contract, (await list_rules(other))[0].id)


async def _refused_team(contract: int, team: int) -> Exception:
    try:
        await add_rule(contract, kind='available_below', threshold=1, team=team, now=NOW)
    except InvalidInput as refusal:
        return refusal
    raise AssertionError('accepted a team of another contract')


async def test_concurrent_evaluations_record_a_crossing_once(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'], expires_at=NOW + 300 * DAY)
    await add_rule(contract, kind='available_below', threshold=5, now=NOW)
    await ledger.consume(contract, [use('e', 6, team=teams['A'])], now=NOW)
    results = await asyncio.gather(*(evaluate(contract, now=NOW) for _ in range(8)))
    assert sorted(len(found) for found in results) == [0] * 7 + [1]
    assert await Alert.filter(state='firing').count() == 1


async def test_the_bell_counts_what_an_administrator_has_not_seen(db: str) -> None:
    contract, teams = await flex_contract('A')
    admin, _ = await admins.grant('ana@example.com', contract, PASSWORD)
    await buy(contract, 'p', 10, teams['A'], expires_at=NOW + 30 * DAY)
    await evaluate(contract, now=NOW)
    assert await unread(admin.id, contract) == 1
    await mark_seen(admin.id, contract, (await latest_alerts(contract))[0].id)
    assert await unread(admin.id, contract) == 0
    await mark_seen(admin.id, contract, 0)  # never moves back
    assert await unread(admin.id, contract) == 0
    await buy(contract, 'p2', 10, teams['A'], expires_at=NOW + 300 * DAY)
    await evaluate(contract, now=NOW + 31 * DAY)  # the first lot expired: resolved
    assert await unread(admin.id, contract) == 1
    assert (NOW + timedelta(days=31)).date() > (NOW + timedelta(days=30)).date()


ADMIN = 'chef@example.com'


async def test_an_assignment_undone_within_its_settle_makes_no_alert_fire_or_resolve(db: str, db_url: str) -> None:
    """An administrator's assignment is evaluated ``ASSIGNMENT_SETTLE`` after it: undone meanwhile, it changed
    nothing to evaluate; kept, it is evaluated then, once. One through the API (no undo there) at once."""
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'pa', 1000, a, expires_at=NOW + 300 * DAY)
    await buy(contract, 'pb', 1000, b, expires_at=NOW + 300 * DAY)
    await add_rule(contract, kind='available_below', threshold='500', team=a, emails=['ops@example.com'], now=NOW)
    clock = MovedClock(NOW)
    watch = AlertWatch(db_url, Sender(DeliveryConfig()), clock)
    try:
        await watch.round()  # taking the lead: everything once
        assignment = await ledger.transfer(
            contract, client_id='t1', from_team=a, to_team=b, quantity=600, made_by=ADMIN, now=NOW
        )
        watch.on_change(bus.Change(contract, assignment.holders))
        await watch.round()
        assert await states(contract) == []  # A has 400, under 500: but the assignment settles first
        assert watch._next() == NOW + ASSIGNMENT_SETTLE
        clock.move(timedelta(seconds=5))
        undoing = await ledger.undo_transfer(contract, client_id='u1', transfer='t1', made_by=ADMIN, now=clock.now())
        watch.on_change(bus.Change(contract, undoing.holders))
        await watch.round()
        clock.move(ASSIGNMENT_SETTLE)
        await watch.round()  # settled: A holds 1,000 again, nothing crossed
        assert await states(contract) == []
        assert not watch._settling
        kept = await ledger.transfer(
            contract, client_id='t2', from_team=a, to_team=b, quantity=600, made_by=ADMIN, now=clock.now()
        )
        watch.on_change(bus.Change(contract, kept.holders))
        await watch.round()
        assert await states(contract) == []
        clock.move(ASSIGNMENT_SETTLE)
        await watch.round()
        assert await states(contract) == [('firing', a)]  # kept: it fires once the settle is over
        api = await ledger.transfer(  # through the API, which has no undo: evaluated at once
            contract, client_id='t3', from_team=b, to_team=a, quantity=600, made_by='API key 3', now=clock.now()
        )
        watch.on_change(bus.Change(contract, api.holders))
        await watch.round()
        assert await states(contract) == [('firing', a), ('resolved', a)]
    finally:
        await watch.stop()


async def test_a_rule_edited_in_place_is_judged_on_its_new_condition_and_a_paused_one_not_at_all(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a = teams['A']
    await buy(contract, 'p', 100, a, expires_at=NOW + 300 * DAY)
    rule = await add_rule(contract, kind='available_below', threshold='20', team=a, emails=['ops@example.com'], now=NOW)
    await ledger.consume(contract, [use('e1', 85, team=a)], now=NOW)  # 15 left: under 20
    assert len(await evaluate(contract, now=NOW)) == 1
    edited = await change_rule(contract, rule.id, threshold='10', team=a, emails=['ops@example.com'], now=NOW)
    assert (edited.id, edited.threshold, edited.kind) == (rule.id, 10, 'available_below')  # the same rule
    assert await states(contract) == [('firing', a), ('resolved', a)]  # 15 is not under 10: resolved, once
    paused = await set_paused(contract, rule.id, True, now=NOW)
    assert paused.paused
    assert [r.paused for r in await list_rules(contract) if r.id == rule.id] == [True]  # kept and shown
    await ledger.consume(contract, [use('e2', 10, team=a)], now=NOW)  # 5 left: under 10, but paused
    assert await evaluate(contract, now=NOW) == []
    resumed = await set_paused(contract, rule.id, False, now=NOW)
    assert not resumed.paused
    assert await states(contract) == [('firing', a), ('resolved', a), ('firing', a)]  # judged at once, once
    assert await evaluate(contract, now=NOW) == []
    with pytest.raises(InvalidInput) as refused:
        await change_rule(contract, rule.id, threshold='-5', team=a, now=NOW)
    assert refused.value.field == 'threshold'
    assert (await list_rules(contract))[-1].threshold == 10  # nothing written
    with pytest.raises(UnknownRule):
        await change_rule(contract, 999_999, threshold='5', now=NOW)
    with_hook = await change_rule(
        contract, rule.id, threshold='10', team=a, webhook='https://hooks.example.com/x', allow_private=True, now=NOW
    )
    assert (with_hook.webhook_secret or '').startswith('whsec_')  # a new webhook: its secret, once
