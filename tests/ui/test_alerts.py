"""The alerts bell and the rules editor, as an administrator uses them"""

from nicegui.testing import User

from models import Alert, AlertRule
from services.accounts import admins
from services.alerts.history import last_seen
from tests.ui.conftest import Seeded, bell, choose, click_bell, open_board, sign_in, until
from ui import runtime


def unread(user: User) -> str:
    """What the bell says to everyone: its name carries the count (its badge shows only when above 0)."""
    return bell(user)['label']


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
    await sign_in(user)
    await open_board(user)
    click_bell(user)
    await user.should_see(marker='alerts-dialog')
    user.find(marker='alerts-rules-tab').click()
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


async def test_a_test_without_a_mail_server_says_so(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    click_bell(user)
    await user.should_see(marker='alerts-dialog')
    user.find(marker='alerts-rules-tab').click()
    await user.should_see(marker='rule-test')
    user.find(marker='rule-test').click()
    await user.should_see('The test to admin@example.com failed: no SMTP server is configured')
