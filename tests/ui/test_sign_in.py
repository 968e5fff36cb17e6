"""Sign-in, sign-out, and what another tenant's administrator cannot see"""

import re

from nicegui import Client
from nicegui.testing import User

from services.accounts import sessions
from tests.ui.conftest import PASSWORD, Seeded, browser_session, header, open_board, sign_in, until
from ui import runtime
from ui.board import BalanceBoard, scripts


def contract_choices(user: User) -> list[str]:
    """The contracts the header offers to switch to."""
    return [option['label'] for option in header(user).props['contracts']]


def titles(board: BalanceBoard) -> list[str]:
    return [board.view.cards[key].title for key in board.view.order]


async def test_an_unauthenticated_visit_goes_to_sign_in_and_comes_back(user: User, seeded: Seeded) -> None:
    await user.open('/')
    await user.should_see(marker='sign-in')
    await sign_in(user)
    assert 'Architecture' in titles(await open_board(user))
    assert 'Atelier · FR · Flex tokens' in contract_choices(user)


async def test_a_wrong_password_says_so_and_signs_nobody_in(user: User, seeded: Seeded) -> None:
    await sign_in(user, password='not the password')
    await user.should_see('Wrong e-mail or password')
    await user.open('/')
    await user.should_see(marker='sign-in')


async def test_sign_out(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    await open_board(user)
    await user.open('/logout')
    await user.open('/')
    await user.should_see(marker='sign-in')


async def test_another_tenant_sees_only_its_contract(user: User, seeded: Seeded) -> None:
    await sign_in(user, 'stranger@example.com')
    assert titles(await open_board(user)) == ['X']
    assert contract_choices(user) == ['Someone else · DE · Flex tokens']  # nor Atelier, nor Construtora


async def test_a_page_closed_while_it_waits_for_its_socket_leaves_its_board_to_nobody_and_it_goes(
    user: User, seeded: Seeded
) -> None:
    """The first page of a contract starts reading its board as its frame goes out; closed before its socket came,
    it attaches nothing, and the board read for it goes as one no page took does."""
    await user.open('/login')  # the app runs
    boards = runtime.current().boards
    boards.linger = 0.5
    browser = str(browser_session(user)['id'])
    result = await sessions.sign_in('admin@example.com', PASSWORD, address='test', browser=browser)
    await user.http_client.get(f'/auth/enter?ticket={result.ticket}', follow_redirects=False)
    await until(lambda: bool(boards.boards))  # read at sign-in, ahead of the page
    await until(lambda: not boards.boards)  # and gone, no page took it: the page below is the first to ask
    assert (await user.http_client.get('/')).status_code == 200  # the frame; the board is read meanwhile
    waiting = next(c for c in Client.instances.values() if c.request and c.request.url.path == '/')
    waiting.delete()  # a tab closed at once: NiceGUI prunes the client that never connected
    await until(lambda: bool(boards.boards))
    assert [board.pages for board in boards.boards.values()] == [0]  # attached to nothing
    await until(lambda: not boards.boards and not runtime.current().live.models)


async def test_the_sign_in_page_fetches_ahead_the_scripts_the_board_will_load(user: User, seeded: Seeded) -> None:
    login = (await user.http_client.get('/login')).text
    ahead = re.findall(r'<link rel="modulepreload" href="([^"]+)">', login)
    assert ahead == list(scripts())
    assert any(path.endswith('/board.js') for path in ahead)
    for path in ahead:
        answer = await user.http_client.get(path)
        assert answer.status_code == 200
        assert 'javascript' in answer.headers['content-type']
    await sign_in(user)
    page = (await user.http_client.get('/')).text
    component, *echarts = ahead
    assert component in page  # the board's component, and the module its import names, are those fetched ahead
    assert f'"nicegui-echart":"{echarts[0]}"' in page
