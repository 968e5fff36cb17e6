"""The board: every holder's card of one contract, as one element drawn in the browser (``board.js``)

A page of 50 cards built from NiceGUI elements held ~1,500 elements in server memory (about 4 KB each) and sent
each of them again on every change. The board is one element whose ``view`` is shared by every page of the
contract in the same language: built once, formatted once, referenced (never copied) by each page, patched in
place, and broadcast once per change to all of those pages (``ui.hub``).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from nicegui.element import Element
from nicegui.events import GenericEventArguments

from services.accounts.contracts import ContractInfo
from services.reading.balances import HolderBalance
from ui.i18n import day, number, percent, t

Card = dict[str, Any]
Action = Callable[[str, int | None], Awaitable[None]]


def card_key(team: int | None) -> str:
    return 'contract' if team is None else str(team)


@dataclass
class BoardView:
    """What every page of one contract shows in one language.

    A dataclass, not a dict: NiceGUI wraps dict props in observable copies per element, while this is kept by
    reference, so a thousand pages hold one view.
    """

    lang: str
    mode: str
    labels: dict[str, str]
    actions: list[dict[str, str]]
    cards: dict[str, Card] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    trend_days: list[str] = field(default_factory=list)
    alert: str = ''
    updated: str = ''
    version: int = 0


def new_view(contract: ContractInfo, lang: str, teams: int) -> BoardView:
    unit = 'flex' if contract.is_flex else 'cloud'
    labels = {
        'available': t(f'available_{unit}', lang),
        'used': t(f'used_{unit}', lang),
        'total': t(f'total_{unit}', lang),
        'expired': t('expired', lang),
        'available_short': t('available_short', lang),
        'last_90_days': t('last_90_days', lang),
        'trend': t('trend', lang),
        'empty': t('no_teams', lang),
    }
    actions = []
    if contract.is_flex:
        actions.append({'kind': 'events', 'icon': 'event_note', 'label': t('token_events', lang)})
        if teams > 1:
            actions.append({'kind': 'assign', 'icon': 'swap_horiz', 'label': t('assign', lang)})
    actions.append({'kind': 'details', 'icon': 'bar_chart', 'label': t('usage_details', lang)})
    return BoardView(lang, contract.mode, labels, actions)


def format_card(balance: HolderBalance, trend: tuple[Decimal, ...], *, lang: str, unit: str, title: str) -> Card:
    """Everything one card shows, formatted for the language: texts to read, floats only to draw."""
    green = balance.health == 'green'
    share = percent(balance.available_share, lang, green=green) if balance.total else '—'
    expiry = balance.next_expiry
    if balance.total == 0:
        expiry_text = t(f'no_purchases_{unit}', lang)
    elif expiry is None:
        expiry_text = t('no_expiry', lang)
    else:
        expiry_text = t(
            'expiry_today' if expiry.days_left == 0 else 'expiry',
            lang,
            quantity=number(expiry.quantity, lang),
            unit=t(f'unit_{unit}', lang),
            days=expiry.days_left,
            date=day(expiry.date, lang),
        )
    ring = (balance.available, balance.used, balance.expired)
    available, used, total = (number(value, lang) for value in (balance.available, balance.used, balance.total))
    return {
        'team': balance.team,
        'title': title,
        'health': balance.health,
        'health_text': t('healthy' if green else 'low', lang),
        'share': share,
        'ring': [float(value) for value in ring],
        'ring_text': [number(value, lang) for value in ring],
        'available': available,
        'used': used,
        'total': total,
        'donut_label': t(f'donut_{unit}', lang, share=share, available=available, total=total),
        'products': t(f'products_{unit}', lang, count=balance.products_90_days),
        'users': t(f'users_{unit}', lang, count=balance.users_90_days),
        'expiry': expiry_text,
        'alert': balance.alert,
        'expired': t('expired_quantity', lang, quantity=number(balance.expired, lang)) if balance.expired else '',
        'trend': [float(value) for value in trend],
        'trend_text': [number(value, lang) for value in trend],
        'trend_label': t('trend_label', lang, total=number(sum(trend, Decimal(0)), lang), days=len(trend)),
    }


def card_changes(old: Card, new: Card) -> Card:
    """The fields of a card that changed; a trend's changed points as ``{index: [value, text]}``."""
    changes = {key: value for key, value in new.items() if key not in ('trend', 'trend_text') and old.get(key) != value}
    if len(old['trend']) != len(new['trend']):
        changes['trend'], changes['trend_text'] = new['trend'], new['trend_text']
    else:
        points = {
            index: [value, new['trend_text'][index]]
            for index, value in enumerate(new['trend'])
            if value != old['trend'][index] or new['trend_text'][index] != old['trend_text'][index]
        }
        if points:
            changes['trend_points'] = points
    return changes


def trend_days(days: tuple[date, ...], lang: str) -> list[str]:
    return [day(value, lang) for value in days]


class BalanceBoard(Element, component='board.js'):
    """The cards of one contract; ``on_action`` receives ``(kind, team)`` for a card's buttons."""

    def __init__(self, view: BoardView, room: str, on_action: Action) -> None:
        super().__init__()
        self.view, self.room = view, room
        self._props['view'] = view
        self._props['board'] = self.id
        self._props['room'] = room

        async def act(event: GenericEventArguments) -> None:
            key = str(event.args.get('key', ''))
            card = view.cards.get(key)
            if card is not None and event.args.get('kind') in ('events', 'assign', 'details'):
                await on_action(event.args['kind'], card['team'])

        self.on('action', act)

    def card(self, team: int | None) -> Card:
        """One card as the browser shows it (for tests and dialogs)."""
        return self.view.cards[card_key(team)]
