"""Sign-in, sign-out, and what another tenant's administrator cannot see"""

from nicegui.testing import User

from tests.ui.conftest import Seeded, open_board, sign_in
from ui.board import BalanceBoard


def titles(board: BalanceBoard) -> list[str]:
    return [board.view.cards[key]['title'] for key in board.view.order]


async def test_an_unauthenticated_visit_goes_to_sign_in_and_comes_back(user: User, seeded: Seeded) -> None:
    await user.open('/')
    await user.should_see(marker='sign-in')
    await sign_in(user)
    assert 'Architecture' in titles(await open_board(user))
    await user.should_see('Atelier · FR · Flex tokens')


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
    await user.should_see('Someone else · DE · Flex tokens')
    assert titles(await open_board(user)) == ['X']
    await user.should_not_see('Atelier')
    await user.should_not_see('Construtora')
