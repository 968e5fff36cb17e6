"""The Balances page, as a person sees it: cards, health, expiry, alert, dialogs, usage details, live updates"""

import asyncio
import re
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from services import ledger
from services.accounts import admins, contracts
from services.domain.dates import local_date
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from tests.ui.conftest import (
    PASSWORD,
    Seeded,
    act,
    card,
    card_text,
    choose,
    current_board,
    open_board,
    sign_in,
    until,
)
from ui.board import BalanceBoard


async def click_on_card(user: User, team: int, kind: str) -> BalanceBoard:
    """Sign in, then click a button of one team's card."""
    await sign_in(user)
    board = await open_board(user)
    act(user, board, team, kind)
    return board


async def test_flex_cards_show_numbers_health_usage_and_expiry(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    architecture = card_text(board, seeded.teams['Architecture'])
    for text in (
        '1,000',
        'Tokens available',
        '250.5',
        'Tokens used',
        '1,250.5',
        'Total tokens purchased',
        'Above 20 % available',
        'Products used with tokens: 1',
        'Token users: 1',
    ):
        assert text in architecture, text
    structure = card_text(board, seeded.teams['Structure'])
    # 30 days ahead in UTC is 29 or 30 calendar days in Paris, depending on the hour and on daylight saving
    assert '20 % or less available' in structure
    assert re.search(r'15 tokens expire in (29|30) days', structure)
    assert card(board, seeded.teams['Structure'])['health'] == 'red'
    assert card(board, seeded.teams['Architecture'])['health'] == 'green'
    assert card(board, seeded.teams['Architecture'])['ring'] == [1000.0, 250.5, 0.0]  # available, used, expired
    assert 'No tokens purchased yet.' in card_text(board, seeded.teams['Empty'])
    assert board.view.alert == 'Tokens expire within 90 days for: Structure'
    assert [board.view.cards[key]['title'] for key in board.view.order] == ['Architecture', 'Empty', 'Structure']


async def test_the_regional_switch_shows_shared_cloud_credits_for_a_br_contract(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    user.find(marker='contract').click()
    user.find('Construtora · BR · Shared cloud credits').click()
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    board = await open_board(user)
    assert board.view.labels['available'] == 'Shared cloud credits available'
    pool = card_text(board, None)
    for text in ('480', '20', '500', 'Products used with shared cloud credits: 1', 'Users of shared cloud credits: 1'):
        assert text in pool, text
    assert [action['kind'] for action in board.view.actions] == ['details']  # no token events, no assignment


async def test_french_labels_and_numbers(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'lang', 'fr')
    await user.should_see('Soldes')
    board = await open_board(user)
    assert board.view.labels['available'] == 'Jetons disponibles'
    assert board.view.labels['total'] == 'Nombre total de jetons achetés'
    assert 'Événements liés aux jetons' in [action['label'] for action in board.view.actions]
    text = card_text(board, seeded.teams['Architecture']).replace('\u202f', ' ').replace('\xa0', ' ')
    assert '1 250,5' in text
    assert 'Utilisateurs de jetons : 1' in text
    assert board.view.alert == "Des jetons expirent d'ici 90 jours pour : Structure"


async def test_token_events_dialog(user: User, seeded: Seeded) -> None:
    await click_on_card(user, seeded.teams['Architecture'], 'events')
    await user.should_see(marker='events-dialog')
    with user.scope(marker='events-dialog'):
        table = next(iter(user.find(ui.table).elements))
    assert [(row['event'], row['quantity']) for row in table.rows] == [('Purchased', '1,250.5')]


async def assign(user: User, seeded: Seeded, source: str, quantity: str) -> None:
    """Sign in, open the assign dialog of ``source`` and fill it in for the team "Empty"."""
    await click_on_card(user, seeded.teams[source], 'assign')
    await user.should_see(marker='assign-dialog')
    choose(user, 'assign-team', seeded.teams['Empty'])
    user.find(marker='assign-quantity').type(quantity)


async def test_assign_previews_then_moves_tokens_keeping_expiry(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Architecture', '100.5')
    user.find(marker='assign-preview-button').click()
    expiry = (utcnow() + timedelta(days=365)).date()
    await user.should_see(f'100.5 expiring {expiry.day}')
    user.find(marker='assign-confirm').click()
    await user.should_see('100.5 assigned to Empty')
    board = await open_board(user)
    await until(lambda: card(board, seeded.teams['Empty'])['available'] == '100.5')
    assert card(board, seeded.teams['Architecture'])['available'] == '899.5'


async def test_assign_refusal_is_a_readable_message(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Structure', '16')
    user.find(marker='assign-confirm').click()
    await user.should_see('needs 16 but the team has 15 available')


async def test_usage_details_chart_table_range_and_toggle(user: User, seeded: Seeded) -> None:
    await click_on_card(user, seeded.teams['Architecture'], 'details')
    panel = f'usage-{seeded.teams["Architecture"]}'
    await user.should_see(marker=panel)
    with user.scope(marker=panel):
        table = next(iter(user.find(kind=ui.table, marker='usage-table').elements))
        assert [row['key'] for row in table.rows] == ['bim-architect']
        chart = next(iter(user.find(marker='usage-chart').elements))
        assert isinstance(chart, ui.echart)
        assert [s['name'] for s in chart.options['series']] == ['bim-architect']
        choose(user, 'by', 'user')
        await asyncio.sleep(0.2)
        assert [row['key'] for row in table.rows] == ['ana@x.fr']
        user.find('Download CSV').click()
        csv = await user.download.next()
        assert csv.text == 'key,quantity\nana@x.fr,250.5\n'
        choose(user, 'preset', 'this_month')
        first = local_date(utcnow(), 'Europe/Paris').replace(day=1)  # the contract's month, not the server's
        await user.should_see(f'{first.isoformat()} →')


async def test_live_update_changes_the_numbers_in_place(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    view = board.view
    await ledger.consume(
        seeded.flex, [UsageInput('live', 'zoe@x.fr', 'render', '0.5', utcnow(), seeded.teams['Architecture'])]
    )
    await until(lambda: card(board, seeded.teams['Architecture'])['available'] == '999.5')
    text = card_text(board, seeded.teams['Architecture'])
    assert '999.5' in text
    assert 'Token users: 2' in text
    assert (await open_board(user)) is board
    assert board.view is view


async def test_empty_states(user: User, seeded: Seeded) -> None:
    await admins.grant('new@example.com', (await contracts.create_contract('Bare', 'FR')).id, PASSWORD)
    await sign_in(user, 'new@example.com')
    board = await open_board(user)
    assert board.view.order == []
    assert board.view.labels['empty'] == 'This contract has no teams yet.'
