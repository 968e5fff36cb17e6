"""The Balances page, as a person sees it: cards, summary, health, expiry, forecast, languages, empty states"""

import asyncio
import re
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from models import Admin
from services import ledger
from services.accounts import admins, contracts
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from tests.ui.conftest import (
    PASSWORD,
    Seeded,
    browser_session,
    card,
    card_text,
    choose,
    current_board,
    enter_as,
    open_board,
    sees_title,
    sign_in,
    until,
)
from ui.header import AppHeader


async def test_flex_cards_show_numbers_health_usage_expiry_and_forecast(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    architecture = card_text(board, seeded.teams['Architecture'])
    for text in (
        '1,000',
        'Tokens available',
        '250.5',
        'Tokens used',
        '1,250.5',
        'Total tokens',
        'Above 20% available',
        'Products used with tokens: 1',
        'Token users: 1',
        'at the last 28 days’ pace',
    ):
        assert text in architecture, text
    # the third number is every token the team has had, assigned ones too: "purchased" is its breakdown's word only
    assert 'purchased' not in architecture.replace('No tokens purchased', '')
    structure = card_text(board, seeded.teams['Structure'])
    # 30 days ahead in UTC is 29 or 30 calendar days in Paris, depending on the hour and on daylight saving
    assert '20% or less available' in structure
    assert re.search(r'15 tokens expire in (29|30) days', structure)
    assert card(board, seeded.teams['Structure']).health == 'red'
    assert card(board, seeded.teams['Architecture']).health == 'green'
    assert card(board, seeded.teams['Architecture']).ring == (1000.0, 250.5, 0.0)  # available, used, expired
    empty = card(board, seeded.teams['Empty'])
    assert empty.health == 'none'  # nothing purchased: a grey ring, not half a red one
    assert empty.share == '—'
    assert 'No tokens purchased yet.' in card_text(board, seeded.teams['Empty'])
    assert board.view.alert == 'Tokens expire within 90 days for: Structure'
    assert [board.view.cards[key].title for key in board.view.order] == ['Architecture', 'Empty', 'Structure']
    facts = {fact['label']: fact['value'] for fact in board.view.summary['facts']}
    assert facts['Tokens available'] == '1,015'
    assert facts['Teams at 20% or less'] == '1 / 3'
    assert board.view.summary['red'] == 'At 20% or less: Structure'
    assert (board.view.timezone, board.view.zone in ('CET', 'CEST')) == ('Europe/Paris', True)  # one zone a page


async def test_the_card_says_everything_that_expires_within_90_days_and_the_total_breakdown(
    user: User, seeded: Seeded
) -> None:
    now = utcnow()
    structure = seeded.teams['Structure']
    await ledger.purchase(
        seeded.flex, client_id='s2', quantity=100, team=structure, expires_at=now + timedelta(days=60)
    )
    await ledger.transfer(
        seeded.flex, client_id='t', from_team=seeded.teams['Architecture'], to_team=structure, quantity=50
    )
    await sign_in(user)
    board = await open_board(user)
    text = card(board, structure).expiry
    assert re.fullmatch(r'115 tokens expire within 90 days; next: 15 tokens expire in (29|30) days \(.+\)', text)
    assert card(board, structure).total_breakdown == 'purchased 200 · assigned in 50 · assigned out 0'
    assert card(board, seeded.teams['Architecture']).total_breakdown.endswith('assigned out 50')
    assert card(board, structure).total == '250'  # the seed's label, with its breakdown under it


async def test_the_regional_switch_shows_shared_cloud_credits_for_a_br_contract(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'contract', seeded.cloud)
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    board = await open_board(user)
    assert board.view.labels['available'] == 'Shared cloud credits available'
    pool = card_text(board, None)
    for text in ('480', '20', '500', 'Products used with shared cloud credits: 1', 'Users of shared cloud credits: 1'):
        assert text in pool, text
    assert [action['kind'] for action in board.view.actions] == ['history', 'details']  # no assignment
    assert board.view.actions[0]['label'] == 'Credit events'


async def test_a_region_switch_in_the_header_each_region_with_its_mode_remembered_per_administrator(
    user: User, seeded: Seeded
) -> None:
    await sign_in(user)
    await open_board(user)
    (switch,) = user.find(kind=ui.toggle, marker='region').elements
    assert isinstance(switch, ui.toggle)
    assert (switch.options, switch.value) == (
        {'FR': 'France · Flex tokens', 'BR': 'Brazil · Shared cloud credits'},
        'FR',
    )
    header = next(iter(user.find(AppHeader).elements))
    contracts = [(c['label'], c.get('disable', False)) for c in header.props['contracts']]
    assert contracts == [  # the chosen region's contracts; the others under a heading, one choice away
        ('Atelier · FR · Flex tokens', False),
        ('Other regions', True),
        ('Construtora · BR · Shared cloud credits', False),
    ]
    choose(user, 'region', 'BR')
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    (switch,) = user.find(kind=ui.toggle, marker='region').elements
    assert isinstance(switch, ui.toggle)
    assert switch.value == 'BR'
    header = next(iter(user.find(AppHeader).elements))
    assert header.props['contracts'][0]['label'] == 'Construtora · BR · Shared cloud credits'
    admin = await admins.authenticate('admin@example.com', PASSWORD)
    assert admin is not None
    assert await admins.region_of(admin.id) == 'BR'
    await user.open('/logout')
    await enter_as(user)  # another browser, another day: the region chosen last
    browser_session(user).pop('contract', None)
    await user.open('/')
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')


async def test_french_labels_numbers_and_document_language(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'lang', 'fr')
    await sees_title(user, 'Soldes')
    board = await open_board(user)
    assert user.client is not None
    assert user.client.page.language == 'fr'  # <html lang="fr">, and Quasar's French (date picker, tables)
    assert board.view.labels['available'] == 'Jetons disponibles'
    assert board.view.labels['total'] == 'Nombre total de jetons'
    assert 'Événements liés aux jetons' in [action['label'] for action in board.view.actions]
    text = card_text(board, seeded.teams['Architecture'])
    assert '1\u202f250,5' in text  # the locale's narrow no-break space, not a hand-typed one
    assert 'Utilisateurs de jetons\u00a0: 1' in text  # a no-break space before the colon
    assert board.view.alert == 'Des jetons expirent d’ici 90 jours pour\u00a0: Structure'
    assert card(board, seeded.teams['Structure']).health_text == '20\u00a0% ou moins disponibles'


async def test_brazilian_portuguese(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'contract', seeded.cloud)
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    choose(user, 'lang', 'pt')
    await sees_title(user, 'Saldos')
    board = await open_board(user)
    assert user.client is not None
    assert user.client.page.language == 'pt-BR'
    assert board.view.labels['available'] == 'Créditos de nuvem compartilhados disponíveis'
    assert card(board, None).available == '480'
    assert card(board, None).used == '20'


async def test_each_administrator_keeps_the_language_they_chose(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'lang', 'fr')
    await sees_title(user, 'Soldes')
    admin = await Admin.get(email='admin@example.com')
    await until_language(admin.id, 'fr')
    await user.open('/logout')
    await enter_as(user)  # a new session, a new browser id: the language comes from the administrator
    assert browser_session(user).get('lang') == 'fr'
    await sees_title(user, 'Soldes')


async def test_a_language_chosen_on_the_sign_in_page_wins_over_the_one_chosen_before(
    user: User, seeded: Seeded
) -> None:
    admin = await Admin.get(email='admin@example.com')
    await admins.set_language(admin.id, 'fr')  # chosen last time, on another browser
    await user.open('/login')
    choose(user, 'lang', 'pt')
    await user.should_see('Entrar')
    await sign_in(user)
    assert browser_session(user).get('lang') == 'pt'
    await sees_title(user, 'Saldos')
    assert await admins.language_of(admin.id) == 'pt'  # and remembered
    await user.open('/logout')
    await enter_as(user)  # next time, anywhere: the language chosen last
    assert browser_session(user).get('lang') == 'pt'


async def until_language(admin_id: int, lang: str) -> None:
    """Until the administrator's choice is stored (it is written in the background of the switch)."""
    async with asyncio.timeout(5):
        while await admins.language_of(admin_id) != lang:  # noqa: ASYNC110 - a write in the background, no event
            await asyncio.sleep(0.02)


async def test_a_live_change_updates_the_numbers_in_place(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    view = board.view
    await ledger.consume(
        seeded.flex, [UsageInput('live', 'zoe@x.fr', 'render', '0.5', utcnow(), seeded.teams['Architecture'])]
    )
    await until(lambda: card(board, seeded.teams['Architecture']).available == '999.5')
    text = card_text(board, seeded.teams['Architecture'])
    assert '999.5' in text
    assert 'Token users: 2' in text
    assert (await open_board(user)) is board
    assert board.view is view


async def test_empty_states(user: User, seeded: Seeded) -> None:
    bare = await contracts.create_contract('Bare', 'FR')
    pool = await contracts.create_contract('Vazio', 'BR')
    await admins.grant('new@example.com', bare.id, PASSWORD)
    await admins.grant('new@example.com', pool.id)
    await sign_in(user, 'new@example.com')
    board = await open_board(user)
    assert board.view.order == []
    assert board.view.labels['empty'] == 'This contract has no teams yet.'
    choose(user, 'contract', pool.id)
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    board = await open_board(user)
    assert card(board, None).expiry == 'No shared cloud credits purchased yet.'
