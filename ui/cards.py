"""What every page of one contract shows, in one language: the cards, the summary, the labels — formatted once

A card is a ``CardView``: texts to read (formatted for the locale, through the catalogues), and numbers only to draw
(donut, trend) or to sort by. It is what ``board.js`` receives, field for field (the browser's view of it is typed
from this one definition); ``card_changes`` gives the fields that changed, so that a live update sends only those.
A trend travels as two strings — the values, and their texts as the locale writes them — which the browser splits:
a thousand open contracts keep a few hundred bytes a card rather than two hundred numbers and strings.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.accounts.contracts import ContractInfo
from services.reading.balances import ALERT_DAYS, HolderBalance, contract_totals
from services.reading.forecast import HolderForecast, Suggestion, Together, whole
from services.reading.state import HolderState
from ui.i18n import BCP47, day, number, percent, short_day, t, tn

PROJECTION_DAYS = 30
SOON = 30  # days: a run-out this close is shown in the error colour
SEPARATOR = '|'  # between a trend's values, and between their texts (no locale writes a number with it)
SUGGESTIONS_SHOWN = 5


def card_key(team: int | None) -> str:
    return 'contract' if team is None else str(team)


@dataclass(slots=True)
class CardView:
    """One holder's card, as the browser draws it."""

    team: int | None
    title: str
    health: str  # green, red, or none (nothing purchased)
    health_text: str
    share: str
    share_value: float  # to sort by
    ring: tuple[float, float, float]  # available, used, expired: to draw
    ring_text: tuple[str, str, str]
    available: str
    available_value: float  # to sort by
    used: str
    used_value: float  # to sort by
    total: str
    total_value: float  # to sort by
    total_breakdown: str
    donut_label: str
    products: str
    users: str
    expiry: str
    expiry_sort: str
    alert: bool
    expiring: bool
    expired: str
    forecast: str
    forecast_near: bool
    unused: str
    trend: str  # the daily values, SEPARATOR-joined (to draw)
    trend_text: str  # the same, as the locale writes them
    projection_rate: float  # the projected daily use, drawn for ``projection_days`` of the next 30 days
    projection_days: int
    projection_text: str
    trend_label: str


@dataclass(slots=True)
class SuggestionView:
    """A transfer suggestion, as the page lists it."""

    from_team: int
    to_team: int
    text: str
    review: str  # the name of its button


@dataclass
class BoardView:
    """What every page of one contract shows in one language.

    A dataclass, not a dict: NiceGUI wraps dict props in observable copies per element, while this is kept by
    reference, so a thousand pages hold one view. ``labels``, ``actions`` and ``trend_days`` are shared by every
    board of the language (and day).
    """

    lang: str
    locale: str
    mode: str
    title: str
    labels: dict[str, str]
    actions: list[dict[str, str]]
    cards: dict[str, CardView] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    trend_days: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    suggestions: list[SuggestionView] = field(default_factory=list)
    suggestions_total: str = ''  # what applying every suggestion shown recovers (two or more)
    alert: str = ''
    updated: str = ''  # an ISO instant, written in the contract's time zone (every time of the page is in it)
    timezone: str = 'UTC'  # the contract's, as IANA names it
    zone: str = ''  # its label at ``updated`` (``CET``, ``UTC-03``), as the bell and the e-mails write it


def unit_of(contract: ContractInfo) -> str:
    return 'flex' if contract.is_flex else 'cloud'


@functools.cache
def labels(unit: str, lang: str) -> dict[str, str]:
    """The board's fixed texts (one dict per unit and language, shared by every board)."""
    flex = unit == 'flex'
    return {
        'available': t('Tokens available', lang) if flex else t('Shared cloud credits available', lang),
        'used': t('Tokens used', lang) if flex else t('Shared cloud credits used', lang),
        'total': t('Total tokens', lang) if flex else t('Total shared cloud credits', lang),
        'expired': t('Expired', lang),
        'available_short': t('available', lang),
        'last_90_days': t('Last 90 days', lang),
        'trend': t('Daily consumption, last 90 days, then projected', lang),
        'empty': t('This contract has no teams yet.', lang),
        'teams': t('Teams', lang) if flex else t('Shared cloud credits', lang),
        'search': t('Search teams', lang),
        'sort': t('Sort by', lang),
        'sort_name': t('Name', lang),
        'sort_available': t('Available', lang),
        'sort_share': t('% available', lang),
        'sort_expiry': t('Next expiry', lang),
        'filter': t('Show', lang),
        'filter_all': t('All teams', lang),
        'filter_red': t('20% or less available', lang),
        'filter_expiring': t('Expiring within 90 days', lang),
        'compact': t('Compact view', lang),
        'table': t('Table view', lang),
        'sort_used': t('Used', lang),
        'sort_total': t('Total', lang),
        'team': t('Team', lang),
        'health': t('Health', lang),
        'actions': t('Actions', lang),
        'actions_of': t('Actions – {team}', lang),
        'ascending': t('Ascending order', lang),
        'descending': t('Descending order', lang),
        'rows_per_page': t('Teams per page', lang),
        'no_match': t('No team matches.', lang),
        'updated': t('Updated', lang),
        'point': t('{day}: {value}', lang),
        'point_projected': t('{day} (projected): {value}', lang),
        'shown': t('{shown} of {total} teams shown', lang),
        'hide_details': t('Hide usage details', lang),
        'announce': t('{team}: {available} available', lang),
        'download': t('Download balances', lang),
        'csv': t('CSV', lang),
        'csv_locale': t('CSV for spreadsheets in my language', lang),
        'xlsx': t('Excel workbook (XLSX)', lang),
        'contract_details': t('Usage details of the contract', lang),
        'contract_controls': t('Caps of the contract', lang),
        'refusals': t('Refusals', lang),
        'suggestions': t('Suggestions', lang),
        'suggestions_intro': t(
            'Tokens that will expire unused at the last 28 days’ pace, where another team would use them.', lang
        ),
        'review': t('Review', lang),
    }


@functools.cache
def actions(flex: bool, teams: bool, lang: str) -> list[dict[str, str]]:
    """A card's buttons: its events, assigning (Flex, with another team to assign to), its usage details."""
    found = [
        {
            'kind': 'history',
            'icon': 'event_note',
            'label': t('Token events', lang) if flex else t('Credit events', lang),
        }
    ]
    if flex and teams:
        found.append({'kind': 'assign', 'icon': 'swap_horiz', 'label': t('Assign to another team', lang)})
    found.append({'kind': 'details', 'icon': 'bar_chart', 'label': t('Show usage details', lang)})
    if flex:
        found.append({'kind': 'controls', 'icon': 'tune', 'label': t('Controls', lang)})
    return found


def mode_text(contract: ContractInfo, lang: str) -> str:
    return t('Flex tokens', lang) if contract.is_flex else t('Shared cloud credits', lang)


def new_view(contract: ContractInfo, lang: str) -> BoardView:
    unit = unit_of(contract)
    return BoardView(
        lang,
        BCP47.get(lang, 'en-GB'),
        contract.mode,
        f'{contract.name} · {mode_text(contract, lang)}',
        labels(unit, lang),
        actions(contract.is_flex, False, lang),
        timezone=contract.timezone,
    )


def _expiry(balance: HolderBalance, unit: str, lang: str) -> str:
    if balance.total == 0:
        return (
            t('No tokens purchased yet.', lang) if unit == 'flex' else t('No shared cloud credits purchased yet.', lang)
        )
    expiry = balance.next_expiry
    if expiry is None:
        return t('Nothing left to expire.', lang)
    units = t('tokens', lang) if unit == 'flex' else t('credits', lang)
    when = day(expiry.date, lang)
    if expiry.days_left == 0:
        first = t(
            '{quantity} {unit} expire today ({date})',
            lang,
            quantity=number(expiry.quantity, lang),
            unit=units,
            date=when,
        )
    else:
        first = tn(
            '{quantity} {unit} expire in {count} day ({date})',
            '{quantity} {unit} expire in {count} days ({date})',
            expiry.days_left,
            lang,
            quantity=number(expiry.quantity, lang),
            unit=units,
            date=when,
        )
    within = balance.expiring_within_90_days
    if within > expiry.quantity:
        return t(
            '{quantity} {unit} expire within 90 days; next: {first}',
            lang,
            quantity=number(within, lang),
            unit=units,
            first=first,
        )
    return first


def forecast_lines(forecast: HolderForecast, unit: str, lang: str) -> tuple[str, str, bool]:
    """(run-out line, expires-unused line, whether the run-out is near)."""
    if forecast.daily_rate == 0:
        runs_out = t('No use in the last 28 days.', lang)
    elif forecast.runs_out_on is None:
        runs_out = t('Enough for more than a year at the last 28 days’ pace.', lang)
    else:
        runs_out = t('Runs out around {date} at the last 28 days’ pace.', lang, date=day(forecast.runs_out_on, lang))
    unused = ''
    units = t('tokens', lang) if unit == 'flex' else t('credits', lang)
    last_date, last = forecast.last_unused
    if last_date is not None and forecast.runs_out_on is not None and last_date >= forecast.runs_out_on:
        # the balance ends because its last lots expire, not because the pace uses them: one event, said once
        runs_out = t(
            'Lasts until {date} at the last 28 days’ pace, when its last {quantity} {unit} expire unused.',
            lang,
            date=day(last_date, lang),
            quantity=number(whole(last), lang),
            unit=units,
        )
        if len(forecast.expires_unused) > 1:
            first_date, _ = forecast.expires_unused[0]
            unused = t(
                '{quantity} {unit} will expire unused before that, the first on {date}.',
                lang,
                quantity=number(whole(forecast.unused_before_last), lang),
                unit=units,
                date=day(first_date, lang),
            )
    elif forecast.expires_unused:
        first_date, _ = forecast.expires_unused[0]
        unused = t(
            '{quantity} {unit} will expire unused, the first on {date}.',
            lang,
            quantity=number(whole(forecast.expires_unused_total), lang),
            unit=units,
            date=day(first_date, lang),
        )
    near = forecast.days_left is not None and forecast.days_left <= SOON
    return runs_out, unused, near


@functools.lru_cache(maxsize=2048)
def _units_text(units: int) -> str:
    """A quantity of integer units in plain decimal notation, for drawing (``12.5``). A card's trend writes 90 days'
    figures, most of them alike (none used is ``0``): each is worked out once."""
    return format(Decimal(units).scaleb(-4).normalize(), 'f')


@functools.lru_cache(maxsize=2048)
def _units_number(units: int, lang: str) -> str:
    """A quantity of integer units as the locale writes it (``i18n.number``), for the trend's text: worked out once
    for the same reason."""
    return number(Decimal(units).scaleb(-4), lang)


def format_card(state: HolderState, *, lang: str, unit: str, title: str) -> CardView:
    """Everything one card shows, formatted for the language: texts to read, numbers only to draw or sort."""
    balance, forecast = state.balance, state.forecast
    trend = state.trend or ()
    green = balance.health == 'green'
    share = percent(balance.available_share, lang, green=green) if balance.total else '—'
    available, used, total = (number(value, lang) for value in (balance.available, balance.used, balance.total))
    runs_out, unused, near = forecast_lines(forecast, unit, lang)
    moved = balance.assigned_in or balance.assigned_out
    donut = (
        t(
            '{share} of the tokens available: {available} of {total}',
            lang,
            share=share,
            available=available,
            total=total,
        )
        if unit == 'flex'
        else t(
            '{share} of the shared cloud credits available: {available} of {total}',
            lang,
            share=share,
            available=available,
            total=total,
        )
    )
    return CardView(
        team=balance.team,
        title=title,
        health=balance.health if balance.total else 'none',
        health_text=(t('Above 20% available', lang) if green else t('20% or less available', lang))
        if balance.total
        else t('Nothing purchased', lang),
        share=share,
        share_value=float(balance.available_share),
        ring=(float(balance.available), float(balance.used), float(balance.expired)),
        ring_text=(available, used, number(balance.expired, lang)),
        available=available,
        available_value=float(balance.available),
        used_value=float(balance.used),
        total_value=float(balance.total),
        used=used,
        total=total,
        total_breakdown=t(
            'purchased {purchased} · assigned in {assigned_in} · assigned out {assigned_out}',
            lang,
            purchased=number(balance.purchased, lang),
            assigned_in=number(balance.assigned_in, lang),
            assigned_out=number(balance.assigned_out, lang),
        )
        if moved
        else '',
        donut_label=donut,
        products=t('Products used with tokens: {count}', lang, count=balance.products_90_days)
        if unit == 'flex'
        else t('Products used with shared cloud credits: {count}', lang, count=balance.products_90_days),
        users=t('Token users: {count}', lang, count=balance.users_90_days)
        if unit == 'flex'
        else t('Users of shared cloud credits: {count}', lang, count=balance.users_90_days),
        expiry=_expiry(balance, unit, lang),
        expiry_sort=balance.next_expiry.date.isoformat() if balance.next_expiry else '9999-12-31',
        alert=balance.alert,
        expiring=balance.expiring_within_90_days > 0,
        expired=t('Expired: {quantity}', lang, quantity=number(balance.expired, lang)) if balance.expired else '',
        forecast=runs_out,
        forecast_near=near,
        unused=unused,
        trend=SEPARATOR.join(_units_text(units) for units in trend),
        trend_text=SEPARATOR.join(_units_number(units, lang) for units in trend),
        projection_rate=float(forecast.daily_rate),
        projection_days=forecast.covered_days(PROJECTION_DAYS),
        projection_text=number(forecast.daily_rate, lang),
        trend_label=t(
            'Daily consumption: {total} over the last {days} days',
            lang,
            total=number(state.trend_total, lang),
            days=len(trend),
        ),
    )


FIELDS = tuple(f.name for f in fields(CardView))


def card_fields(card: CardView) -> dict[str, Any]:
    """Every field of a card, by name (a card the pages do not have yet)."""
    return {name: getattr(card, name) for name in FIELDS}


def card_changes(old: CardView, new: CardView) -> dict[str, Any]:
    """The fields of a card that changed, by name."""
    return {name: value for name in FIELDS if (value := getattr(new, name)) != getattr(old, name)}


@functools.lru_cache(maxsize=16)
def trend_days(today: date, days: int, lang: str) -> list[str]:
    """Labels of the trend's days (``days`` ending today), then of the projection's (shared by every board of the
    language and day)."""
    first = today - timedelta(days=days - 1)
    return [short_day(first + timedelta(days=n), lang) for n in range(days + PROJECTION_DAYS)]


def summary(holders: tuple[HolderBalance, ...], contract: ContractInfo, lang: str) -> dict[str, Any]:
    """The contract's totals, its teams in red, and what expires within 90 days."""
    unit = unit_of(contract)
    totals = contract_totals(holders, contract.name)
    units = t('tokens', lang) if unit == 'flex' else t('credits', lang)
    facts = [
        {'label': labels(unit, lang)['available'], 'value': number(totals.available, lang)},
        {'label': labels(unit, lang)['used'], 'value': number(totals.used, lang)},
        {'label': labels(unit, lang)['total'], 'value': number(totals.total, lang)},
        {
            'label': tn('Expiring within {count} day', 'Expiring within {count} days', ALERT_DAYS, lang),
            'value': f'{number(totals.expiring_within_90_days, lang)} {units}',
        },
    ]
    if contract.is_flex:
        facts.append(
            {
                'label': t('Teams at 20% or less', lang),
                'value': f'{len(totals.red)} / {totals.teams}',
                'alert': 'yes' if totals.red else '',
            }
        )
    return {
        'title': t('Summary', lang),
        'facts': facts,
        'red': t('At 20% or less: {teams}', lang, teams=', '.join(totals.red)) if totals.red else '',
        'teams': totals.teams,
    }


def suggestion_text(suggestion: Suggestion, lang: str) -> str:
    return t(
        'Move {quantity} tokens expiring {date} from {source} to {target} — recovers {recovers}',
        lang,
        quantity=number(suggestion.quantity, lang),
        date=day(suggestion.expires_at.date(), lang),
        source=suggestion.from_team_name,
        target=suggestion.to_team_name,
        recovers=number(whole(suggestion.recovers), lang),  # a projection, in whole tokens as the others
    )


def together_text(shown: Sequence[Suggestion], both: Together | None, lang: str) -> str:
    """What applying every suggestion shown recovers in all: said as less than their sum when it is."""
    if len(shown) < 2 or both is None:
        return ''
    recovered, alone = both.recovered, both.separately
    if recovered >= alone:
        return t(
            'Applying all {count}: {total} tokens recovered in all.',
            lang,
            count=len(shown),
            total=number(recovered, lang),
        )
    return t(
        'Applying all {count}, one after the other: {total} tokens recovered in all, not {sum}: some draw on the same '
        'tokens or fill the same team.',
        lang,
        count=len(shown),
        total=number(recovered, lang),
        sum=number(alone, lang),
    )


def suggestion_views(found: Sequence[Suggestion], lang: str) -> list[SuggestionView]:
    """The first few suggestions, as the page lists them."""
    return [
        SuggestionView(
            s.from_team,
            s.to_team,
            suggestion_text(s, lang),
            t('Review: {source} → {target}', lang, source=s.from_team_name, target=s.to_team_name),
        )
        for s in found[:SUGGESTIONS_SHOWN]
    ]
