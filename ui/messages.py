"""Refusals of the ledger as a person reads them: in their language, with numbers in their locale, saying what to do

Domain errors carry their facts (``services.domain.errors``); this is the one place they become the page's words.
"""

import re
from decimal import Decimal, InvalidOperation

from services.domain.errors import (
    ClientIdConflict,
    InsufficientBalance,
    InvalidInput,
    LedgerError,
    NotFound,
    NothingToUndo,
    TransfersNotAvailable,
    UnknownTeam,
)
from ui.i18n import number, number_example, t


def _number(text: str, lang: str) -> str:
    try:
        return number(Decimal(text), lang)
    except InvalidOperation:
        return text


def refusal(error: LedgerError, lang: str) -> str:
    """What to tell the person about a refusal of the ledger."""
    if isinstance(error, InsufficientBalance):
        return t(
            'Only {available} are available; {requested} were asked for. Choose a smaller quantity.',
            lang,
            available=_number(error.available, lang),
            requested=_number(error.requested, lang),
        )
    if isinstance(error, NothingToUndo):
        if error.undone:
            return t('This assignment was undone already.', lang)
        return t('Nothing is left to assign back: the tokens were used, assigned on, or expired.', lang)
    if isinstance(error, TransfersNotAvailable):
        return t('Shared cloud credits are one pool: they cannot be assigned between teams.', lang)
    if isinstance(error, UnknownTeam):
        return t('Choose a team of this contract.', lang)
    if isinstance(error, InvalidInput):
        return invalid(error.field, lang, error.reason)
    if isinstance(error, ClientIdConflict):
        return t('This request was already made with other values. Start again.', lang)
    if isinstance(error, NotFound):
        return t('This no longer exists. Reload the page.', lang)
    return t('This could not be done. Try again, or reload the page.', lang)


def unreadable(text: str, lang: str, *, unit: str = 'quantity') -> str:
    """What to tell the person about a number the page could not read, for what was wrong with *this* text:
    ``unit`` ``days`` or ``percent`` asks for those, ``limit`` and ``quantity`` for a quantity."""
    typed = text.strip()
    if not typed:
        return t('Type a number.', lang)
    if typed.startswith('-'):
        return t('Type a number greater than 0, without a minus sign.', lang)
    if unit == 'days':
        return t('Type a whole number of days from 1 to 3650.', lang)
    if unit == 'percent':
        return t('Type a percentage greater than 0 and at most 100.', lang)
    if re.search(r"[^0-9 ,.'\u00a0\u202f]", typed):
        return t('Type digits only, like {example}.', lang, example=number_example(lang))
    if unit == 'limit':
        return t('Type a limit like {example}.', lang, example=number_example(lang))
    return t('Type a quantity like {example}.', lang, example=number_example(lang))


def invalid(field: str, lang: str, reason: str = '') -> str:
    """What to tell the person about an invalid value of a field (``reason``: what the service said of it)."""
    if field in ('quantity', 'threshold', 'limit'):
        if 'integer digits' in reason:
            return t('Type at most 12 digits before the decimal separator.', lang)
        if 'fractional digits' in reason:
            return t('Type at most 4 decimals, like {example}.', lang, example=number_example(lang))
        if 'greater than 0' in reason or 'negative' in reason:
            return t('Type a number greater than 0.', lang)
    if field == 'stages':
        return t(
            'Give the stages whole percentages from 1 to 200, notify below deny (like notify at 80, deny at 100).',
            lang,
        )
    if field == 'user':
        return t('Type a user of at most 200 characters, or leave it empty for everyone.', lang)
    if field in ('quantity', 'threshold', 'limit'):
        return t(
            'Type a number greater than 0 with at most 4 decimals, like {example}.', lang, example=number_example(lang)
        )
    if field == 'to_team':
        return t('Choose another team than the one the tokens come from.', lang)
    if field == 'emails':
        return t('Type e-mail addresses separated by commas, like ana@example.com.', lang)
    if field == 'webhook_url':
        return t('Type an http:// or https:// address of a public server.', lang)
    if field == 'team':
        return t('Choose a team of this contract.', lang)
    return t('Check the values and try again.', lang)
