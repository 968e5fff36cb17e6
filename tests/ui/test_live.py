"""Live pages for many customers: one pass reads every touched holder of every open contract in a fixed number of
statements, time moves numbers at their moment and never by sweeping, pages open while contracts load, and only what
changed is pushed"""

import asyncio
import contextvars
import gc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from nicegui import Client
from nicegui.testing import User
from starlette.requests import Request, empty_receive, empty_send

from services import ledger
from services.accounts import admins, contracts, sessions
from services.infrastructure import diagnostics
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from services.reading.live import LiveContracts
from services.reading.state import contract_balances
from tests.helpers import MovedClock
from tests.ui.conftest import PASSWORD, Seeded, browser_session, card, enter_as, open_board, sign_in, until
from ui import runtime
from ui.board import BalanceBoard
from ui.boards import Board

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Every message the boards send to their pages, as (event, message) (the simulated pages have no socket of
    their own: what reaches sockets is checked by ``test_broadcast.py``)."""
    messages: Sent = []
    send = Board.send

    async def recording(board: Board, event: str, message: dict[str, Any]) -> None:
        messages.append((event, message))
        await send(board, event, message)

    monkeypatch.setattr(Board, 'send', recording)
    return messages


def charge(seeded: Seeded, event_id: str, team: str = 'Architecture', quantity: str = '0.5') -> UsageInput:
    return UsageInput(event_id, 'zoe@x.fr', 'render', quantity, utcnow(), seeded.teams[team])


def live() -> LiveContracts:
    return runtime.current().live


async def settled() -> None:
    """Until the live models have read everything they were told, and their listeners have what they read."""
    await until(lambda: live().idle)


async def open_another_page(other: User) -> None:
    await enter_as(other)
    await open_board(other)


async def statements_for(change: Callable[[], Any], shown: Callable[[], bool]) -> int:
    """The live path's statements (the writes, alerts and senders are apart) for a change, until it is shown."""
    await settled()
    before = diagnostics.statements['live']
    await change()
    await until(shown)
    await settled()
    return diagnostics.statements['live'] - before


async def test_one_change_costs_the_same_statements_with_1_and_with_50_pages(
    user: User, create_user: Callable[[], User], seeded: Seeded
) -> None:
    diagnostics.start_counting()
    architecture = seeded.teams['Architecture']
    try:
        await sign_in(user)
        board = await open_board(user)
        with_one = await statements_for(
            lambda: ledger.consume(seeded.flex, [charge(seeded, 'one-page')]),
            lambda: card(board, architecture).available == '999.5',
        )
        for _ in range(49):
            await open_another_page(create_user())
        (shared,) = runtime.current().boards.boards.values()
        assert shared.pages >= 50
        assert len(live().models) == 1
        with_fifty = await statements_for(
            lambda: ledger.consume(seeded.flex, [charge(seeded, 'fifty-pages')]),
            lambda: card(board, architecture).available == '999',
        )
    finally:
        diagnostics.stop_counting()
    assert with_one == with_fifty > 0


async def customers(count: int) -> list[tuple[int, int]]:
    """``count`` Flex contracts of one team with 100 tokens, each open on a board of this process: (contract, team)."""
    found = []
    for n in range(count):
        contract = await contracts.create_contract(f'Customer {n:02}', 'FR')
        team = (await contracts.create_team(contract.id, 'Team')).id
        await ledger.purchase(contract.id, client_id='lot', quantity=100, team=team)
        await runtime.current().boards.attach(contract.id, 'en')
        found.append((contract.id, team))
    return found


def shown(contract: int, team: int) -> str:
    board = runtime.current().boards.get(contract, 'en')
    assert board is not None
    return board.view.cards[str(team)].available


async def test_one_pass_reads_the_changes_of_50_contracts_in_the_statements_of_one(user: User) -> None:
    """Cost per change is O(holders it touched), whatever the number of open contracts: the changes of 50 contracts
    that arrive together are read in one pass, with the statements that one change of one contract costs."""
    await user.open('/login')  # the app runs
    (first, first_team), *others = await customers(50)
    diagnostics.start_counting()
    try:
        alone = await statements_for(
            lambda: ledger.consume(first, [UsageInput('alone', 'u', 'p', 1, utcnow(), first_team)]),
            lambda: shown(first, first_team) == '99',
        )

        async def fifty() -> None:
            await asyncio.gather(
                *(
                    ledger.consume(contract, [UsageInput('all', 'u', 'p', 1, utcnow(), team)])
                    for contract, team in [(first, first_team), *others]
                )
            )

        passes = live().stats.flushes
        together = await statements_for(
            fifty, lambda: all(shown(c, t) == ('98' if c == first else '99') for c, t in [(first, first_team), *others])
        )
    finally:
        diagnostics.stop_counting()
    assert live().stats.flushes - passes <= 2  # the burst arrives over a few milliseconds: one pass, two at most
    assert together <= 2 * alone  # not 50 times the statements of one


async def test_open_contracts_cost_nothing_until_time_changes_one_and_then_its_page_changes(
    user: User, sent: Sent
) -> None:
    """50 open contracts and no change: nothing is read or sent; a lot that expires while its page is open changes
    that page at its moment, without a sweep (the clock is moved, not slept through)."""
    await user.open('/login')
    noon = (utcnow() - timedelta(hours=12)).replace(hour=12, minute=0, second=0, microsecond=0)  # passed, today's
    clock = MovedClock(noon)  # or yesterday's: the next midnight is 12 hours away, after the lot's expiry
    live().clock = clock
    live().wake()
    opened = await customers(50)
    contract, team = opened[7]
    expiring = noon + timedelta(hours=2)
    await ledger.purchase(contract, client_id='soon', quantity=5, team=team, expires_at=expiring, now=noon)
    await until(lambda: shown(contract, team) == '105')
    await settled()
    assert live().next_moment == expiring  # scheduled: the first moment time changes a number shown
    passes, messages = live().stats.flushes, len(sent)
    clock.move(timedelta(hours=1))  # nothing is due yet
    await until(lambda: clock.seen == clock.now())  # the live models looked at the new time, and wait on
    await settled()
    assert (live().stats.flushes, len(sent)) == (passes, messages)  # nothing read, nothing sent
    clock.move(timedelta(hours=1))  # the lot expires now
    await until(lambda: shown(contract, team) == '100')
    assert live().stats.flushes == passes + 1  # one pass, for that holder only
    (message,) = [message for _, message in sent[messages:] if message.get('cards')]
    assert list(message['cards']) == [str(team)]


async def test_a_page_opens_while_20_cold_contracts_load_at_once(user: User, create_user: Callable[[], User]) -> None:
    """No lock around the boards' loads: a page whose contract is ready is built while twenty others load."""
    await user.open('/login')
    cold = []
    for n in range(20):
        contract = await contracts.create_contract(f'Cold {n:02}', 'FR')
        await ledger.purchase(
            contract.id, client_id='lot', quantity=1, team=(await contracts.create_team(contract.id, 'T')).id
        )
        cold.append(contract.id)
    mine = await contracts.create_contract('Mine', 'FR')
    await ledger.purchase(mine.id, client_id='lot', quantity=7, team=(await contracts.create_team(mine.id, 'Mine')).id)
    await admins.grant('mine@example.com', mine.id, PASSWORD)
    boards = runtime.current().boards
    loading = [asyncio.create_task(boards.attach(contract, 'en')) for contract in cold]
    other = create_user()
    await sign_in(other, 'mine@example.com')
    board = await open_board(other)
    assert [c.available for c in board.view.cards.values()] == ['7']
    for attached in await asyncio.gather(*loading):
        assert attached.view.order


async def test_a_team_created_through_the_api_appears_on_open_pages_at_once(user: User, seeded: Seeded) -> None:
    await sign_in(user)
    board = await open_board(user)
    team = await contracts.create_team(seeded.flex, 'Acoustique')
    await until(lambda: str(team.id) in board.view.cards)
    assert [board.view.cards[key].title for key in board.view.order] == [
        'Acoustique',
        'Architecture',
        'Empty',
        'Structure',
    ]


async def test_the_last_page_closed_keeps_the_board_warm_for_a_while_then_lets_it_go(
    user: User, seeded: Seeded
) -> None:
    await sign_in(user)
    await open_board(user)
    boards = runtime.current().boards
    boards.linger = 0.5
    (shared,) = boards.boards.values()
    for client in list(Client.instances.values()):
        if client.request and client.request.url.path == '/':
            client.delete()  # the tabs closed (the simulated sign-in opened the page twice)
    await until(lambda: shared.pages == 0)
    assert boards.boards  # a reload within its linger would find it warm
    assert live().models
    await until(lambda: not boards.boards and not live().models)


async def test_signing_in_loads_the_board_of_the_page_it_leads_to_before_that_page_asks(
    user: User, seeded: Seeded
) -> None:
    await user.open('/login')
    result = await sessions.sign_in(
        'admin@example.com', PASSWORD, address='test', browser=str(browser_session(user)['id'])
    )
    assert result.ticket is not None
    entered = await user.http_client.get(f'/auth/enter?ticket={result.ticket}', follow_redirects=False)
    assert entered.status_code == 303
    first = (await contracts.list_contracts([seeded.flex, seeded.cloud]))[0]
    boards = runtime.current().boards
    # loaded, and kept as after a last page (let go if no page comes)
    await until(lambda: (b := boards.get(first.id, 'en')) is not None and b.pages == 0)
    assert not [c for c in Client.instances.values() if c.request and c.request.url.path == '/']  # no page yet


async def test_a_board_kept_warm_after_a_sign_in_keeps_nothing_of_its_request(user: User, seeded: Seeded) -> None:
    """The board waits for its page in a timer of its own: not one that holds the sign-in's request, its scope and its
    session for as long."""
    await user.open('/login')
    result = await sessions.sign_in(
        'admin@example.com', PASSWORD, address='test', browser=str(browser_session(user)['id'])
    )
    assert result.ticket is not None
    enter = user.http_client.get(f'/auth/enter?ticket={result.ticket}', follow_redirects=False)
    # in a context of its own, as a server's request is (the simulated one runs in the test's task)
    assert (await asyncio.create_task(enter, context=contextvars.Context())).status_code == 303
    boards = runtime.current().boards
    await until(lambda: boards.boards and not [t for t in asyncio.all_tasks() if t.get_name() == 'warm board'])
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, Request) and o.scope.get('path') == '/auth/enter']
    assert not kept


async def test_a_connected_page_keeps_its_request_but_nothing_that_answered_it(user: User, seeded: Seeded) -> None:
    """The request a page was built for stays (its session, its administrator); its response's send chain and FastAPI's
    closed exit stacks go once the page is connected (``ui/tuning.py``)."""
    await sign_in(user)
    await open_board(user)
    page = user.client
    assert page is not None
    assert page.request is not None
    assert page.request.url.path == '/'
    await until(lambda: page.has_socket_connection)
    assert page.request.session.get('token')  # what the page still reads from it
    assert not [key for key in page.request.scope if key.startswith('fastapi_')]
    assert page.request._send is empty_send
    assert page.request._receive is empty_receive


async def quiet_board(user: User, sent: Sent) -> BalanceBoard:
    """Signed in, the board shown, the live models settled and nothing recorded yet."""
    await sign_in(user)
    board = await open_board(user)
    await settled()
    sent.clear()
    return board


async def test_a_change_to_one_team_pushes_that_card_and_its_changed_fields_only(
    user: User, seeded: Seeded, sent: Sent
) -> None:
    board = await quiet_board(user, sent)
    await ledger.consume(seeded.flex, [charge(seeded, 'one-team')])
    await until(lambda: any(event == 'balances' and message['cards'] for event, message in sent))
    (message,) = [message for event, message in sent if event == 'balances' and message['cards']]
    team = str(seeded.teams['Architecture'])
    assert list(message['cards']) == [team]
    changed = message['cards'][team]
    assert changed['available'] == '999.5'
    assert 'title' not in changed
    assert 'health_text' not in changed  # still above 20 %
    assert card(board, seeded.teams['Architecture']).trend.split('|')[-1] == '0.5'  # today's point of the trend


async def test_a_burst_of_100_changes_arrives_as_the_final_numbers_in_fewer_pushes(
    user: User, seeded: Seeded, sent: Sent
) -> None:
    board = await quiet_board(user, sent)
    await asyncio.gather(
        *(ledger.consume(seeded.flex, [charge(seeded, f'burst-{n}', quantity='0.25')]) for n in range(100))
    )
    await until(lambda: card(board, seeded.teams['Architecture']).available == '975')
    await settled()
    pushes = [message for event, message in sent if event == 'balances']
    assert 0 < len(pushes) < 100
    api = {b.team: b for b in (await contract_balances(seeded.flex)).balances}
    architecture = card(board, seeded.teams['Architecture'])
    assert architecture.available == '975'
    assert api[seeded.teams['Architecture']].available == 975
    assert architecture.used == '275.5'
