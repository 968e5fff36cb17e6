"""What an administrator does on the page: token events and lots, assigning (preview, confirmation, undo), the
suggestions, usage details with ranges and downloads"""

import io
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User
from openpyxl import load_workbook

from models import Transfer
from services import ledger
from services.accounts import contracts
from services.domain.dates import local_date
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from tests.ui.conftest import Seeded, act, card, choose, current_board, open_board, sees_title, sign_in, until
from ui.board import BalanceBoard


async def click_on_card(user: User, team: int, kind: str) -> BalanceBoard:
    """Sign in, then click a button of one team's card."""
    await sign_in(user)
    board = await open_board(user)
    act(user, board, team, kind)
    return board


def rows_of(user: User, marker: str) -> list[dict]:
    table = next(iter(user.find(kind=ui.table, marker=marker).elements))
    return list(table.rows)


async def test_token_events_over_a_range_and_the_lots(user: User, seeded: Seeded) -> None:
    await ledger.transfer(
        seeded.flex,
        client_id='t1',
        from_team=seeded.teams['Architecture'],
        to_team=seeded.teams['Empty'],
        quantity='50',
        made_by='chef@example.com',
    )
    await click_on_card(user, seeded.teams['Architecture'], 'history')
    await user.should_see(marker='events-dialog')
    with user.scope(marker='events-dialog'):
        await user.should_see(marker='events-table')
        rows = rows_of(user, 'events-table')
        assert [(row['event'], row['quantity']) for row in rows] == [
            ('Assigned to Empty', '50'),
            ('Purchased', '1,250.5'),
        ]
        assert 'by chef@example.com' in rows[0]['details']
        assert 'expiring' in rows[0]['details']  # the expiry dates the assignment moved
        assert rows[1]['details'].startswith('expires ')  # a purchase says when it expires
        lots = rows_of(user, 'lots-table')
        assert [(lot['original'], lot['remaining'], lot['origin'], lot['state']) for lot in lots] == [
            ('1,250.5', '950', 'Purchase', 'Active')
        ]


async def test_an_expiring_team_shows_its_purchase_and_future_expiry(user: User, seeded: Seeded) -> None:
    await click_on_card(user, seeded.teams['Structure'], 'history')
    await user.should_see(marker='events-dialog')
    with user.scope(marker='events-dialog'):
        await user.should_see(marker='lots-table')
        (lot,) = rows_of(user, 'lots-table')
        expiry = local_date(utcnow() + timedelta(days=30), 'Europe/Paris')
        assert lot['expires'] == f'{expiry.day} {expiry:%b} {expiry.year}'.replace('Sep ', 'Sept ')


async def assign(user: User, seeded: Seeded, source: str, quantity: str) -> None:
    """Sign in, open the assign dialog of ``source`` and fill it in for the team "Empty"."""
    await click_on_card(user, seeded.teams[source], 'assign')
    await user.should_see(marker='assign-dialog')
    choose(user, 'assign-team', seeded.teams['Empty'])
    user.find(marker='assign-quantity').type(quantity)


async def test_assign_previews_asks_then_moves_and_can_be_undone(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Architecture', '1,000')  # English groups thousands with a comma: not 1.0
    user.find(marker='assign-preview-button').click()
    await user.should_see('Assign 1,000 tokens from Architecture to Empty?')
    expiry = (utcnow() + timedelta(days=365)).date()
    await user.should_see(f'1,000 expiring {expiry.day}')
    assert await Transfer.all().count() == 0  # nothing moves before the confirmation
    user.find(marker='assign-confirm').click()
    await user.should_see(marker='assign-done')
    board = await open_board(user)
    await until(lambda: card(board, seeded.teams['Empty']).available == '1,000')
    transfer = await Transfer.get()
    assert transfer.made_by == 'admin@example.com'
    user.find(marker='assign-undo').click()
    await until(lambda: card(board, seeded.teams['Empty']).available == '0')
    assert card(board, seeded.teams['Architecture']).available == '1,000'
    undone = await Transfer.filter(undoes_id=transfer.id).get()
    assert undone.quantity == 10_000_000  # the same lots back, recorded as a new transfer
    # undone: no trace in the breakdown (an assignment and its undoing cancel out), none in the lots shown
    await until(lambda: card(board, seeded.teams['Architecture']).total_breakdown == '')
    assert card(board, seeded.teams['Empty']).total_breakdown == ''
    act(user, board, seeded.teams['Empty'], 'history')
    await user.should_see('Token events of Empty')
    with user.scope(marker='events-dialog'):
        await user.should_see(marker='lots-table')
        assert rows_of(user, 'lots-table') == []  # Empty's emptied part of the assignment is not an active lot


async def test_the_assign_dialog_says_what_is_available_now_while_usage_arrives(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Architecture', '10')
    await user.should_see('1,000 tokens available')
    used = UsageInput('late', 'ana@x.fr', 'bim-architect', '0.25', utcnow(), seeded.teams['Architecture'])
    await ledger.consume(seeded.flex, [used])
    await user.should_see('999.75 tokens available')  # the dialog open meanwhile: its number is the card's
    await user.should_not_see('1,000 tokens available')


async def test_assign_refusals_are_translated_formatted_and_say_what_to_do(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Structure', '16')
    user.find(marker='assign-preview-button').click()
    await user.should_see('Only 15 are available; 16 were asked for. Choose a smaller quantity.')
    user.find(marker='assign-quantity').clear()
    user.find(marker='assign-preview-button').click()
    await user.should_see('Choose a team and type a quantity.')
    user.find(marker='assign-quantity').type('1.000.25')
    user.find(marker='assign-preview-button').click()
    await user.should_see('Type a quantity like 1,500.25.')
    assert await Transfer.all().count() == 0


async def test_each_unreadable_quantity_is_told_what_is_wrong_with_it(user: User, seeded: Seeded) -> None:
    await assign(user, seeded, 'Architecture', '99999999999999999')
    said = {
        '99999999999999999': 'Type at most 12 digits before the decimal separator.',
        '-5': 'Type a number greater than 0, without a minus sign.',
        'ten': 'Type digits only, like 1,500.25.',
        '1.12345': 'Type at most 4 decimals, like 1,500.25.',
        '0': 'Type a number greater than 0.',
    }
    for typed, message in said.items():
        user.find(marker='assign-quantity').clear().type(typed)
        user.find(marker='assign-preview-button').click()
        await user.should_see(message)
    assert await Transfer.all().count() == 0


async def test_a_french_quantity_is_read_the_french_way(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    choose(user, 'lang', 'fr')
    await sees_title(user, 'Soldes')
    board = await open_board(user)
    act(user, board, seeded.teams['Architecture'], 'assign')
    await user.should_see(marker='assign-dialog')
    choose(user, 'assign-team', seeded.teams['Empty'])
    user.find(marker='assign-quantity').type('1.500')
    user.find(marker='assign-preview-button').click()
    await user.should_see('Saisissez une quantité comme 1\u202f500,25.')  # "1.500": a thousand and a half, or 1.5?
    user.find(marker='assign-quantity').clear().type('12,5')
    user.find(marker='assign-preview-button').click()
    await user.should_see('Affecter 12,5 jetons d’Architecture à Empty\u00a0?')


async def test_a_suggestion_opens_the_assign_dialog_filled_in_and_previewed(user: User, seeded: Seeded) -> None:
    now = utcnow()
    structure = seeded.teams['Structure']
    for offset in range(1, 29):  # Structure uses 2 a day more: it would use Empty's soon-expiring tokens
        await ledger.purchase(
            seeded.flex,
            client_id=f'w{offset}',
            quantity=2,
            team=structure,
            purchased_at=now - timedelta(days=40),
            now=now - timedelta(days=40),
        )
        at = now - timedelta(days=offset)
        await ledger.consume(seeded.flex, [UsageInput(f'window-{offset}', 'x@x.fr', 'cad', 2, at, structure)], now=at)
    await ledger.purchase(
        seeded.flex,
        client_id='soon',
        quantity=40,
        team=seeded.teams['Empty'],
        expires_at=now + timedelta(days=10),
    )
    await sign_in(user)
    board = await open_board(user)
    await until(lambda: board.view.suggestions)  # drawn by the board from its view
    suggestion = next(s for s in board.view.suggestions if 'from Empty to Structure' in s.text)
    assert suggestion.review == 'Review: Empty → Structure'
    shown = len(board.view.suggestions)
    assert board.view.suggestions_total.startswith('Applying all') == (shown > 1), board.view.suggestions_total
    user.find(BalanceBoard).trigger('review', {'from_team': suggestion.from_team, 'to_team': suggestion.to_team})
    await user.should_see(marker='assign-dialog')
    await user.should_see('Assign')
    await user.should_see('tokens from Empty to Structure?')
    assert await Transfer.all().count() == 0


async def test_usage_details_open_in_view_with_ranges_and_downloads(user: User, seeded: Seeded) -> None:
    board = await click_on_card(user, seeded.teams['Architecture'], 'details')
    panel = f'usage-{seeded.teams["Architecture"]}'
    await user.should_see(marker=panel)
    assert board.props['open'] == [str(seeded.teams['Architecture'])]  # its button now says "Hide usage details"
    assert board.view.labels['hide_details'] == 'Hide usage details'
    with user.scope(marker=panel):
        table = next(iter(user.find(kind=ui.table, marker='usage-table').elements))
        assert [row['key'] for row in table.rows] == ['bim-architect']
        chart = next(iter(user.find(marker='usage-chart').elements))
        assert isinstance(chart, ui.echart)
        assert [s['name'] for s in chart.options['series']] == ['bim-architect']
        choose(user, 'by', 'user')
        await until(lambda: [row['key'] for row in table.rows] == ['ana@x.fr'])
        user.find(marker='download-usage-csv').click()
        csv = await user.download.next()
        assert csv.text == 'User,Quantity\nana@x.fr,250.5\n'
        user.find(marker='download-usage-xlsx').click()
        book = load_workbook(io.BytesIO((await user.download.next()).content))
        rows = [[cell.value for cell in row] for row in book.active.iter_rows()]
        assert rows[-2:] == [['User', 'Quantity'], ['ana@x.fr', 250.5]]
        assert rows[:2] == [['Contract', 'Atelier'], ['Team', 'Architecture']]  # what the file is of, above it
        assert [row[0] for row in rows[2:4]] == ['From', 'To']
        assert book.properties.title.startswith('Usage · Atelier · Architecture · ')
        user.find(marker='download-usage-csv-locale').click()  # for a person's spreadsheet: the context too
        lines = (await user.download.next()).content.decode('utf-8-sig').splitlines()
        assert lines[:2] == ['Contract,Atelier', 'Team,Architecture']
        assert lines[-3:] == ['', 'User,Quantity', 'ana@x.fr,250.5']
    act(user, board, seeded.teams['Architecture'], 'details')
    await user.should_not_see(marker=panel)
    assert board.props['open'] == []


async def test_a_custom_range_may_be_one_day_but_not_future_nor_reversed(user: User, seeded: Seeded) -> None:
    await click_on_card(user, seeded.teams['Architecture'], 'details')
    panel = f'usage-{seeded.teams["Architecture"]}'
    await user.should_see(marker=panel)
    today = local_date(utcnow(), 'Europe/Paris')
    yesterday = today - timedelta(days=1)
    with user.scope(marker=panel):
        preset = next(iter(user.find(kind=ui.toggle, marker='preset').elements))
        user.find(marker='custom').click()  # a dialog (in the page's layout, not in the panel)
        table = next(iter(user.find(kind=ui.table, marker='usage-table').elements))
    dialog = next(d for d in user.find(kind=ui.dialog).elements if isinstance(d, ui.dialog) and d.value)
    start, end = (next(iter(user.find(kind=ui.input, marker=m).elements)) for m in ('from', 'to'))
    start.value = end.value = f'{yesterday:%d/%m/%Y}'  # one day, typed as the locale writes dates
    user.find(marker='to').trigger('keydown.enter')  # typed dates apply on Enter
    await until(lambda: not dialog.value)  # applied: closed
    await user.should_see(f'{yesterday.day} {yesterday:%b} {yesterday.year}'.replace('Sep ', 'Sept '))
    assert preset.value is None  # no preset stays highlighted
    await until(lambda: [row['key'] for row in table.rows] == ['bim-architect'])
    dialog.open()
    end.value = f'{today + timedelta(days=1):%d/%m/%Y}'
    user.find(marker='apply-range').click()
    await user.should_see('The range cannot end after today')
    start.value, end.value = f'{today:%d/%m/%Y}', f'{yesterday:%d/%m/%Y}'
    user.find(marker='apply-range').click()
    await user.should_see('The first date comes after the last one.')
    start.value = 'yesterday'
    user.find(marker='from').trigger('keydown.enter')
    await user.should_see('Type dates like')
    assert dialog.value  # refused: still open, with the reason beside the fields


async def test_a_cloud_credit_contract_shows_its_usage_by_team(user: User, seeded: Seeded) -> None:
    obra = await contracts.create_team(seeded.cloud, 'Obra Norte')  # in cloud-credit mode a team only tags usage
    await ledger.consume(seeded.cloud, [UsageInput('c2', 'ana@x.br', 'cloud-render', 5, utcnow(), obra.id)])
    await sign_in(user)
    await open_board(user)
    choose(user, 'contract', seeded.cloud)
    await until(lambda: (b := current_board(user)) is not None and b.view.mode == 'cloud_credits')
    board = await open_board(user)
    act(user, board, None, 'details')
    await user.should_see(marker='usage-contract')
    with user.scope(marker='usage-contract'):
        choose(user, 'by', 'team')
        table = next(iter(user.find(kind=ui.table, marker='usage-table').elements))
        expected = [('No team', '20'), ('Obra Norte', '5')]
        await until(lambda: [(row['key'], row['quantity']) for row in table.rows] == expected)
