"""Sessions as a browser lives them: a new cookie at sign-in, a signed-out tab that can do nothing, throttling"""

import httpx
from nicegui import ui
from nicegui.testing import User

from models import Transfer
from services.accounts import sessions
from tests.ui.conftest import PASSWORD, Seeded, act, browser_session, open_board, session_of, sign_in, until
from ui.board import BalanceBoard


async def test_a_cookie_taken_before_sign_in_is_worth_nothing_after_it(user: User, seeded: Seeded) -> None:
    await user.open('/login')
    stolen = dict(user.http_client.cookies)  # what an attacker could have planted or read before sign-in
    await sign_in(user)
    assert browser_session(user)['id'] != session_of(stolen['session'])['id']  # a new browser id at sign-in
    async with httpx.AsyncClient(
        transport=user.http_client._transport, base_url='http://test', cookies=stolen
    ) as attacker:
        answer = await attacker.get('/')
    assert answer.status_code in (302, 307)
    assert answer.headers['location'].startswith('/login')


async def test_after_sign_out_in_another_tab_the_open_page_can_do_nothing(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    token = str(browser_session(user)['token'])
    # another tab of the same browser signs out: the session ends in the database, the cookie is renewed
    await sessions.sign_out(token)
    transfers = await Transfer.all().count()
    act(user, board, seeded.teams['Architecture'], 'assign')
    await user.should_see('You are signed out.')
    await until(lambda: user.back_history[-1] == '/login')
    await user.should_not_see(marker='assign-dialog')
    assert await Transfer.all().count() == transfers


async def test_signing_out_here_sends_this_browsers_open_pages_away_at_once(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    assert isinstance(board, BalanceBoard)
    await user.http_client.get('/logout')  # the sign-out of another tab, in this process: no action needed
    await user.should_see('You are signed out.')
    await user.open('/')
    await user.should_see(marker='sign-in')


async def test_the_sign_in_page_says_when_to_try_again(user: User, seeded: Seeded) -> None:
    for _ in range(sessions.FREE_FAILURES):
        await sign_in(user, password='not the password')
        await user.should_see('Wrong e-mail or password.')
    await user.should_see('Wrong e-mail or password. Too many failed sign-ins with this e-mail: try again after')
    await sign_in(user, password=PASSWORD)
    # still locked, right password or not: and no password was checked, so none is said to be wrong
    await user.should_see('Too many failed sign-ins with this e-mail: try again after')
    (error,) = user.find(marker='login-error').elements
    assert isinstance(error, ui.label)
    assert 'Wrong' not in error.text
