"""The alerts bell and the rules editor, as an administrator uses them"""

from nicegui import ui
from nicegui.testing import User

from models import Alert, AlertRule, Holder
from services.accounts import admins
from services.accounts.contracts import get_contract
from services.alerts.history import last_seen
from services.controls.entitlement import STREAK, Refusals, check
from tests.ui.conftest import Seeded, bell, choose, click_bell, open_board, sign_in, until
from ui import runtime
from ui.alerts import PAGE


def unread(user: User) -> str:
    """What the bell says to everyone: its name carries the count (its badge shows only when above 0)."""
    return bell(user)['label']


async def open_rules(user: User) -> None:
    """Sign in, open the bell's dialog and its rules tab."""
    await sign_in(user)
    await open_board(user)
    click_bell(user)
    await user.should_see(marker='alerts-dialog')
    user.find(marker='alerts-rules-tab').click()


async def test_the_bell_counts_unread_alerts_live_and_shows_their_history(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    # Structure's tokens expire within 90 days: the seed's rule fired when they were bought
    await until(lambda: unread(user) == 'Alerts: 1 unread')
    click_bell(user)
    await user.should_see(marker='alerts-dialog')
    with user.scope(marker='alerts-history'):
        await user.should_see('Structure: tokens expire within 90 days')
        await user.should_see('E-mail to admin@example.com')
    await until(lambda: unread(user) == 'Alerts: 0 unread')
    admin = await admins.authenticate('admin@example.com', 'a long enough password')
    assert admin is not None
    assert await last_seen(admin.id, seeded.flex) > 0


async def test_rules_are_added_refused_with_reasons_and_deleted(user: User, seeded: Seeded) -> None:
    await open_rules(user)
    await user.should_see('tokens expire within 90 days · every team')  # the seed's rule, there from the start
    await user.should_see("the contract's administrators")
    choose(user, 'rule-kind', 'available_below_percent')
    user.find(marker='rule-threshold').type('150')
    user.find(marker='rule-add').click()
    await user.should_see('Type a percentage greater than 0 and at most 100.')
    user.find(marker='rule-threshold').clear().type('17.5')
    choose(user, 'rule-team', seeded.teams['Structure'])
    user.find(marker='rule-emails').type('ops@example.com, bad address')
    user.find(marker='rule-add').click()
    await user.should_see('Type e-mail addresses separated by commas')
    assert await AlertRule.filter(contract_id=seeded.flex).count() == 1
    user.find(marker='rule-emails').clear().type('ops@example.com')
    user.find(marker='rule-add').click()
    await user.should_see('tokens available under 17.5% · Structure')
    rule = await AlertRule.filter(contract_id=seeded.flex, kind='available_below_percent').get()
    assert (rule.threshold, rule.team_id) == (175_000, seeded.teams['Structure'])
    (shared,) = [board for (contract, _), board in runtime.current().boards.boards.items() if contract == seeded.flex]
    alerts = await Alert.filter(rule_id=rule.id).values_list('id', flat=True)
    assert alerts  # 15 of 100: it fires at once
    await until(lambda: set(alerts) <= set(shared.alert_ids))  # and the pages hear of it


async def test_a_rule_is_edited_in_place_and_paused_then_resumed(user: User, seeded: Seeded) -> None:
    await open_rules(user)
    await user.should_see('tokens expire within 90 days · every team')
    user.find(marker='rule-edit').click()
    await user.should_see(marker='rule-edit-form')
    threshold = next(iter(user.find(kind=ui.input, marker='rule-edit-threshold').elements))
    assert threshold.value == '90'  # filled in with the rule's values
    user.find(marker='rule-edit-threshold').clear().type('thirty')
    user.find(marker='rule-save').click()
    await user.should_see('Type a whole number of days from 1 to 3650')  # refused beside the fields, nothing written
    (rule,) = await AlertRule.filter(contract_id=seeded.flex)
    assert rule.threshold == 90 * 10_000
    user.find(marker='rule-edit-threshold').clear().type('30')
    user.find(marker='rule-save').click()
    await user.should_see('tokens expire within 30 days · every team')
    await rule.refresh_from_db()
    assert (rule.threshold, rule.deleted_at) == (30 * 10_000, None)  # the same rule, changed in place
    user.find(marker='rule-pause').click()
    await user.should_see(marker='rule-paused')
    await rule.refresh_from_db()
    assert rule.paused_at is not None
    user.find(marker='rule-resume').click()
    await user.should_not_see(marker='rule-paused')
    await rule.refresh_from_db()
    assert rule.paused_at is None


async def test_a_test_without_a_mail_server_says_so(user: User, seeded: Seeded) -> None:
    await open_rules(user)
    await user.should_see(marker='rule-test')
    user.find(marker='rule-test').click()
    await user.should_see('The test to admin@example.com failed: no mail server is configured')


async def test_a_refusal_streak_shows_in_the_bell_and_leads_to_the_refusals(user: User, seeded: Seeded) -> None:
    contract = await get_contract(seeded.flex)
    counted = Refusals()
    for _ in range(STREAK):  # no product has a rate: every start is refused
        await check(contract, user='ana@x.fr', product='render', team=seeded.teams['Structure'], refusals=counted)
    await check(contract, user='leo@x.fr', product='render', team=seeded.teams['Structure'], refusals=counted)
    await counted.flush()
    await sign_in(user)
    await open_board(user)
    click_bell(user)
    await user.should_see(marker='streaks')
    with user.scope(marker='streaks'):
        await user.should_see('Refused again and again today')
        await user.should_see(f'ana@x.fr could not start render {STREAK} times: no rate for this product')
        await user.should_not_see('leo@x.fr')  # refused once: not a streak
    user.find(marker='streaks-refusals').click()
    await user.should_see(marker='refusals')
    await user.should_see(f'ana@x.fr · render · Structure — no rate for this product ({STREAK}×)')


async def test_a_threshold_is_asked_for_in_what_its_kind_counts(user: User, seeded: Seeded) -> None:
    await open_rules(user)
    choose(user, 'rule-kind', 'expiring_within_days')
    user.find(marker='rule-threshold').type('ninety')
    user.find(marker='rule-add').click()
    await user.should_see('Type a whole number of days from 1 to 3650.')  # not a token example
    user.find(marker='rule-threshold').clear().type('-5')
    user.find(marker='rule-add').click()
    await user.should_see('Type a number greater than 0, without a minus sign.')
    choose(user, 'rule-kind', 'available_below')
    user.find(marker='rule-threshold').clear().type('99999999999999999')
    user.find(marker='rule-add').click()
    await user.should_see('Type at most 12 digits before the decimal separator.')
    assert await AlertRule.filter(contract_id=seeded.flex).count() == 1  # the seed's only


async def test_the_whole_history_pages_back_and_filters_by_team(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    await until(lambda: unread(user) == 'Alerts: 1 unread')  # the seed's rule fired for Structure
    first = await Alert.filter(contract_id=seeded.flex).first()
    assert first is not None
    architecture = await Holder.get(contract_id=seeded.flex, team_id=seeded.teams['Architecture'])
    for n in range(PAGE + 5):  # Architecture's crossings, newer than Structure's one
        await Alert.create(
            contract_id=seeded.flex,
            rule_id=first.rule_id,  # type: ignore[attr-defined]
            holder_id=architecture.id,
            team_id=seeded.teams['Architecture'],
            kind='available_below',
            threshold=n * 10_000,
            state='firing' if n % 2 else 'resolved',
            at=first.at,
            available=0,
            total=0,
            expiring=0,
            message='',
        )
    click_bell(user)
    await user.should_see(marker='alerts-more')
    with user.scope(marker='alerts-history'):
        await user.should_not_see('Structure: tokens expire within 90 days')  # the oldest: on the next page
    assert len(user.find(marker='alert').elements) == PAGE
    more = next(iter(user.find(marker='alerts-more').elements))
    user.find(marker='alerts-more').click()
    with user.scope(marker='alerts-history'):
        await user.should_see('Structure: tokens expire within 90 days')
    assert len(user.find(marker='alert').elements) == PAGE + 6
    await until(lambda: not more.visible)  # nothing older
    choose(user, 'alerts-team', seeded.teams['Structure'])
    await until(lambda: len(user.find(marker='alert').elements) == 1)
    with user.scope(marker='alerts-history'):
        await user.should_see('Structure: tokens expire within 90 days')
