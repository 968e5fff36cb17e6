"""The page's languages: the catalogues and locale formats of ``services.infrastructure.i18n``, and what the browser
side needs of them (Quasar's language pack, the ``lang`` of the document, dates typed in the locale's order)"""

import copy
import functools
import re
from datetime import date

from babel import Locale
from babel.dates import format_date, parse_date
from nicegui import ui

from services.infrastructure.i18n import (
    LANGUAGES,
    day,
    first_day_of_week,
    integer,
    language_of,
    locale_of,
    moment,
    number,
    number_example,
    parse_number,
    percent,
    period,
    share,
    short_day,
    t,
    tn,
    when,
    zone_label,
)

__all__ = [
    'LANGUAGES',
    'day',
    'first_day_of_week',
    'integer',
    'language_of',
    'locale_of',
    'moment',
    'number',
    'number_example',
    'parse_number',
    'percent',
    'period',
    'share',
    'short_day',
    't',
    'tn',
    'when',
    'zone_label',
]

QUASAR = {'en': 'en-GB', 'fr': 'fr', 'pt': 'pt-BR'}  # Quasar's language packs: date picker, tables, …
BCP47 = {'en': 'en-GB', 'fr': 'fr-FR', 'pt': 'pt-BR'}  # for the browser's Intl formats


def use_language(lang: str) -> None:
    """Give the page being built the language's ``<html lang>`` and Quasar language pack (month and day names,
    first day of the week, "no data" …): the page object is shared by every visitor, so this visitor's gets a copy."""
    client = ui.context.client
    page = copy.copy(client.page)
    page.language = QUASAR.get(lang, 'en-GB')  # type: ignore[assignment]
    client.page = page


def parse_typed_date(text: str, lang: str) -> date:
    """A date typed in the locale's short form (or ``YYYY-MM-DD``); ``ValueError`` if it is not a date."""
    text = text.strip()
    if re.fullmatch(r'[0-9]{4}-[0-9]{2}-[0-9]{2}', text):
        return date.fromisoformat(text)
    if not re.fullmatch(r'[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}', text):
        raise ValueError(text)
    try:
        return parse_date(text, locale=locale_of(lang))
    except Exception as error:  # Babel raises several kinds for what is not a date
        raise ValueError(text) from error


def typed_date(value: date, lang: str) -> str:
    """A date as the locale types it in a field."""
    return format_date(value, 'dd/MM/yyyy' if lang in ('en', 'fr', 'pt') else 'short', locale=locale_of(lang))


@functools.cache
def region_name(code: str, lang: str) -> str:
    """A region (an ISO country code) as the language names it: FR → France, Frankreich…; the code if unknown."""
    return str(Locale.parse(BCP47[lang], sep='-').territories.get(code.upper(), code))
