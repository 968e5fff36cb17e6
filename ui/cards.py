"""What every page of one contract shows, in one language: the cards, the summary, the labels — formatted once

Each card is a dict of texts to read (formatted for the locale, through the catalogues) and of floats only to draw
(donut, trend) or to sort by. ``card_changes`` gives the fields of a card that changed, so that a live update sends
only those (and only the trend points that moved).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.accounts.contracts import ContractInfo
from services.reading.balances import ALERT_DAYS, HolderBalance
from services.reading.forecast import HolderForecast
from ui.i18n import BCP47, day, number, percent, short_day, t, tn

Card = dict[str, Any]
PROJECTION_DAYS = 30
SOON = 30  # days: a run-out this close is shown in the error colour


def card_key(team: int | None) -> str:
    return 'contract' if team is None else str(team)


@dataclass
class BoardView:
    """What every page of one contract shows in one language.

    A dataclass, not a dict: NiceGUI wraps dict props in observable copies per element, while this is kept by
    reference, so a thousand pages hold one view.
    """

    lang: str
    locale: str
    mode: str
    labels: dict[str, str]
    actions: list[dict[str, str]]
    cards: dict[str, Card] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    trend_days: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    alert: str = ''
    updated: str = ''  # an ISO instant: each browser writes it in its own time zone
    version: int = 0


def unit_of(contract: ContractInfo) -> str:
    return 'flex' if contract.is_flex else 'cloud'


def labels(unit: str, lang: str) -> dict[str, str]:
    flex = unit == 'flex'
    return {
        'available': t('Tokens available', lang) if flex else t('Shared cloud credits available', lang),
        'used': t('Tokens used', lang) if flex else t('Shared cloud credits used', lang),
        'total': t('Total tokens purchased', lang) if flex else t('Total shared cloud credits', lang),
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
        'no_match': t('No team matches.', lang),
        'updated': t('Updated', lang),
        'point': t('{day}: {value}', lang),
        'point_projected': t('{day} (projected): {value}', lang),
        'shown': t('{shown} of {total} teams shown', lang),
        'hide_details': t('Hide usage details', lang),
        'announce': t('{team}: {available} available', lang),
    }


def actions(contract: ContractInfo, teams: int, lang: str) -> list[dict[str, str]]:
    found = [
        {
            'kind': 'history',
            'icon': 'event_note',
            'label': t('Token events', lang) if contract.is_flex else t('Credit events', lang),
        }
    ]
    if contract.is_flex and teams > 1:
        found.append({'kind': 'assign', 'icon': 'swap_horiz', 'label': t('Assign to another team', lang)})
    found.append({'kind': 'details', 'icon': 'bar_chart', 'label': t('Show usage details', lang)})
    return found


def new_view(contract: ContractInfo, lang: str, teams: int) -> BoardView:
    unit = unit_of(contract)
    return BoardView(lang, BCP47.get(lang, 'en-GB'), contract.mode, labels(unit, lang), actions(contract, teams, lang))


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


def _forecast(forecast: HolderForecast | None, unit: str, lang: str) -> tuple[str, str, bool]:
    """(run-out line, expires-unused line, whether the run-out is near)."""
    if forecast is None:
        return '', '', False
    if forecast.daily_rate == 0:
        runs_out = t('No use in the last 28 days.', lang)
    elif forecast.runs_out_on is None:
        runs_out = t('Enough for more than a year at the last 28 days’ pace.', lang)
    else:
        runs_out = t('Runs out around {date} at the last 28 days’ pace.', lang, date=day(forecast.runs_out_on, lang))
    unused = ''
    if forecast.expires_unused:
        units = t('tokens', lang) if unit == 'flex' else t('credits', lang)
        first_date, _ = forecast.expires_unused[0]
        unused = t(
            '{quantity} {unit} will expire unused, the first on {date}.',
            lang,
            quantity=number(approximately(forecast.expires_unused_total), lang),
            unit=units,
            date=day(first_date, lang),
        )
    near = forecast.days_left is not None and forecast.days_left <= SOON
    return runs_out, unused, near


def approximately(value: Decimal) -> Decimal:
    """A projected quantity in whole tokens (below one token, as it is): a projection reads better without decimals."""
    return value if value < 1 else value.quantize(Decimal(1))


def projection(forecast: HolderForecast | None, today: date) -> list[float]:
    """The next 30 days' projected consumption: the daily rate while the lots cover it."""
    if forecast is None:
        return []
    rate = float(forecast.daily_rate)
    end = forecast.runs_out_on
    return [rate if end is None or today + timedelta(days=n) < end else 0.0 for n in range(1, PROJECTION_DAYS + 1)]


def format_card(
    balance: HolderBalance,
    trend: tuple[Decimal, ...],
    forecast: HolderForecast | None,
    *,
    lang: str,
    unit: str,
    title: str,
    today: date,
) -> Card:
    """Everything one card shows, formatted for the language: texts to read, floats only to draw or sort."""
    green = balance.health == 'green'
    share = percent(balance.available_share, lang, green=green) if balance.total else '—'
    ring = (balance.available, balance.used, balance.expired)
    available, used, total = (number(value, lang) for value in (balance.available, balance.used, balance.total))
    runs_out, unused, near = _forecast(forecast, unit, lang)
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
    return {
        'team': balance.team,
        'title': title,
        'health': balance.health if balance.total else 'none',
        'health_text': (t('Above 20% available', lang) if green else t('20% or less available', lang))
        if balance.total
        else t('Nothing purchased', lang),
        'share': share,
        'share_value': float(balance.available_share),
        'ring': [float(value) for value in ring],
        'ring_text': [number(value, lang) for value in ring],
        'available': available,
        'available_value': float(balance.available),
        'used': used,
        'total': total,
        'total_breakdown': t(
            'purchased {purchased} · assigned in {assigned_in} · assigned out {assigned_out}',
            lang,
            purchased=number(balance.purchased, lang),
            assigned_in=number(balance.assigned_in, lang),
            assigned_out=number(balance.assigned_out, lang),
        )
        if moved
        else '',
        'donut_label': donut,
        'products': t('Products used with tokens: {count}', lang, count=balance.products_90_days)
        if unit == 'flex'
        else t('Products used with shared cloud credits: {count}', lang, count=balance.products_90_days),
        'users': t('Token users: {count}', lang, count=balance.users_90_days)
        if unit == 'flex'
        else t('Users of shared cloud credits: {count}', lang, count=balance.users_90_days),
        'expiry': _expiry(balance, unit, lang),
        'expiry_sort': balance.next_expiry.date.isoformat() if balance.next_expiry else '9999-12-31',
        'alert': balance.alert,
        'expiring': balance.expiring_within_90_days > 0,
        'expired': t('Expired: {quantity}', lang, quantity=number(balance.expired, lang)) if balance.expired else '',
        'forecast': runs_out,
        'forecast_near': near,
        'unused': unused,
        'trend': [float(value) for value in trend],
        'trend_text': [number(value, lang) for value in trend],
        'projection': projection(forecast, today),
        'projection_text': number(forecast.daily_rate, lang) if forecast else '',
        'trend_label': t(
            'Daily consumption: {total} over the last {days} days',
            lang,
            total=number(sum(trend, Decimal(0)), lang),
            days=len(trend),
        ),
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
    """Labels of the trend's days, then of the projection's."""
    future = [days[-1] + timedelta(days=n) for n in range(1, PROJECTION_DAYS + 1)] if days else []
    return [short_day(value, lang) for value in (*days, *future)]


def summary(holders: tuple[HolderBalance, ...], contract: ContractInfo, lang: str) -> dict[str, Any]:
    """The contract's totals, its teams in red, and what expires within 90 days."""
    unit = unit_of(contract)
    available = sum((b.available for b in holders), Decimal(0))
    used = sum((b.used for b in holders), Decimal(0))
    total = sum((b.total for b in holders), Decimal(0))
    expiring = sum((b.expiring_within_90_days for b in holders), Decimal(0))
    red = [b.team_name or contract.name for b in holders if b.health == 'red' and b.total]
    teams = sum(1 for b in holders if b.team is not None)
    units = t('tokens', lang) if unit == 'flex' else t('credits', lang)
    facts = [
        {'label': labels(unit, lang)['available'], 'value': number(available, lang)},
        {'label': labels(unit, lang)['used'], 'value': number(used, lang)},
        {'label': labels(unit, lang)['total'], 'value': number(total, lang)},
        {
            'label': tn('Expiring within {count} day', 'Expiring within {count} days', ALERT_DAYS, lang),
            'value': f'{number(expiring, lang)} {units}',
        },
    ]
    if contract.is_flex:
        facts.append(
            {'label': t('Teams at 20% or less', lang), 'value': f'{len(red)} / {teams}', 'alert': 'yes' if red else ''}
        )
    return {
        'title': t('Summary', lang),
        'facts': facts,
        'red': t('At 20% or less: {teams}', lang, teams=', '.join(red)) if red else '',
        'teams': teams,
    }
