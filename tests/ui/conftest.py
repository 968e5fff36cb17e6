"""The page as a person sees it, through NiceGUI's simulated ``user`` (no browser), on an in-memory database

``main.py`` runs for each test (the ``user`` fixture) with the demo off, on a fresh SQLite file; the data is made
through the services.
"""

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from nicegui.testing import User

from services import ledger
from services.accounts import admins, contracts, sessions
from services.infrastructure.clock import utcnow
from services.ingest.events import UsageInput
from ui.board import BalanceBoard
from ui.cards import FIELDS, CardView, card_key
from ui.header import AppHeader

PASSWORD = 'a long enough password'


@pytest.fixture(autouse=True)
def app_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a file, not :memory:: the app's start-up and the test's tasks may each open a connection
    for name, value in {
        'BALANCES_DB_URL': f'sqlite://{tmp_path}/ui.sqlite3',
        'BALANCES_DEMO': '0',
        'BALANCES_DEMO_FEED': '0',
        'BALANCES_STORAGE_SECRET': 'test secret',
    }.items():
        monkeypatch.setenv(name, value)


@dataclass
class Seeded:
    flex: int
    cloud: int
    other: int
    teams: dict[str, int]


async def seed() -> Seeded:
    """A Flex contract (one healthy team, one under 20 % with tokens expiring soon, one empty), a cloud-credit
    contract, and another tenant's contract."""
    now = utcnow()
    flex = await contracts.create_contract('Atelier', 'FR', 'Europe/Paris')
    cloud = await contracts.create_contract('Construtora', 'BR', 'America/Sao_Paulo')
    other = await contracts.create_contract('Someone else', 'DE')
    teams = {name: (await contracts.create_team(flex.id, name)).id for name in ('Structure', 'Architecture', 'Empty')}
    await ledger.purchase(flex.id, client_id='a', quantity='1250.5', team=teams['Architecture'])
    await ledger.purchase(
        flex.id, client_id='s', quantity=100, team=teams['Structure'], expires_at=now + timedelta(days=30)
    )
    await ledger.purchase(cloud.id, client_id='c', quantity=500)
    await ledger.purchase(other.id, client_id='o', quantity=7, team=(await contracts.create_team(other.id, 'X')).id)
    await ledger.consume(
        flex.id,
        [
            UsageInput('u1', 'ana@x.fr', 'bim-architect', '250.5', now - timedelta(days=1), teams['Architecture']),
            UsageInput('u2', 'leo@x.fr', 'structural', 85, now - timedelta(days=2), teams['Structure']),
        ],
    )
    await ledger.consume(cloud.id, [UsageInput('c1', 'joao@x.br', 'cloud-render', 20, now - timedelta(days=3))])
    await admins.grant('admin@example.com', flex.id, PASSWORD)
    await admins.grant('admin@example.com', cloud.id)
    await admins.grant('stranger@example.com', other.id, PASSWORD)
    return Seeded(flex.id, cloud.id, other.id, teams)


@pytest.fixture
async def seeded(user: User) -> Seeded:
    return await seed()


async def sign_in(user: User, email: str = 'admin@example.com', password: str = PASSWORD) -> None:
    """Sign in through the page, as a person does; when it succeeds, land on the page (the simulation remembers
    the ticket's URL as the current one, where a browser remembers where the redirect led)."""
    await user.open('/login')
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='sign-in').click()
    for _ in range(100):
        if 'token' in browser_session(user) or user.find(marker='login-error').elements.pop().text:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.02)
    if 'token' in browser_session(user):
        await user.open('/')


def browser_session(user: User) -> dict[str, object]:
    """What the session cookie of this simulated browser says (its id, and its token once signed in)."""
    return session_of(user.http_client.cookies.get('session'))


def session_of(cookie: str | None) -> dict[str, object]:
    """The content of a session cookie (signed, not encrypted: its signature is what the server checks)."""
    return dict(json.loads(base64.b64decode(cookie.split('.')[0]))) if cookie else {}


async def enter_as(user: User, email: str = 'admin@example.com') -> None:
    """Sign another simulated browser in without its page (the simulation sends a second browser's navigation to
    the first one): the same ticket and ``/auth/enter`` the page uses."""
    await user.open('/login')
    result = await sessions.sign_in(email, PASSWORD, address='test', browser=str(browser_session(user)['id']))
    assert result.ticket is not None
    await user.open(f'/auth/enter?ticket={result.ticket}')


HEADER_EVENTS = {'lang': 'language', 'contract': 'contract'}  # the header's choices, drawn by its own browser code


def choose(user: User, marker: str, value: object) -> None:
    """Pick an option of a toggle or select by value (the simulated user cannot click toggle options, and a
    select option whose label also stands elsewhere on the page is ambiguous to it); the header's language and
    contract as its browser code reports them."""
    if marker in HEADER_EVENTS:
        user.find(AppHeader).trigger(HEADER_EVENTS[marker], value)
        return
    element = next(iter(user.find(marker=marker).elements))
    assert user.client is not None
    with user.client:
        element.value = value  # type: ignore[attr-defined]


async def open_board(user: User) -> BalanceBoard:
    """The board of the page the user is on, once it is there."""
    await user.should_see(kind=BalanceBoard)
    return next(iter(user.find(BalanceBoard).elements))


def card(board: BalanceBoard, team: int | None) -> CardView:
    return board.card(team)


def card_text(board: BalanceBoard, team: int | None) -> str:
    """Everything a person reads on one card, as the board draws it."""
    shown = board.card(team)
    texts = [
        value
        for key in FIELDS
        if isinstance(value := getattr(shown, key), str) and key not in ('health', 'trend', 'trend_text', 'expiry_sort')
    ]
    labels = board.view.labels
    return ' '.join([*texts, labels['available'], labels['used'], labels['total']])


def act(user: User, board: BalanceBoard, team: int | None, kind: str) -> None:
    """Click one of a card's buttons (``events``, ``assign``, ``details``), as the browser reports it."""
    user.find(BalanceBoard).trigger('action', {'kind': kind, 'key': card_key(team)})


async def until(condition: Callable[[], object]) -> None:
    """Wait (at most 5 s) for a condition the page reaches by itself: a reload, a live update."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the condition is the page's state, no event to wait on
            await asyncio.sleep(0.02)


def current_board(user: User) -> BalanceBoard | None:
    """The board of the page, or ``None`` while it is not there (yet)."""
    try:
        found = user.find(BalanceBoard).elements if user.client else set()
    except AssertionError:  # the simulated user's find insists on finding something
        return None
    return next(iter(found), None)


def header(user: User) -> AppHeader:
    """The page's header (drawn by its own browser code from its props)."""
    return next(iter(user.find(AppHeader).elements))


async def sees_title(user: User, title: str) -> None:
    """Wait until the page's header shows the product's name as ``title`` (the page is in that language)."""
    await until(lambda: user.client is not None and header(user).props.get('title') == title)


def bell(user: User) -> dict[str, str]:
    """The bell as the header draws it: its unread count (empty: none) and its name."""
    return dict(header(user).props['bell'])


def click_bell(user: User) -> None:
    user.find(AppHeader).trigger('bell')
