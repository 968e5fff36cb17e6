"""Languages: gettext catalogues (Babel) and numbers, dates and times as each locale writes them

Every text a person reads goes through ``t`` (or ``tn`` where a count chooses the plural form), with the English
text as its message id; the French and Brazilian Portuguese catalogues are ``locales/<locale>/LC_MESSAGES/
messages.po``, compiled in memory when first used (``make messages`` extracts new texts into them). French wording
follows the seed page; typography (non-breaking spaces, separators) comes from the locale data.
"""

import functools
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    format_percent,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
    parse_pattern,
)
from babel.support import NullTranslations, Translations

LOCALES_FOLDER = Path(__file__).resolve().parents[2] / 'locales'
DOMAIN = 'messages'
# the language a person picks, and the locale whose catalogue, numbers and dates it means
LOCALES = {'en': 'en_GB', 'fr': 'fr_FR', 'pt': 'pt_BR'}
LANGUAGES = {'en': 'English', 'fr': 'Français', 'pt': 'Português (Brasil)'}
DEFAULT = 'en'


def language_of(value: object, default: str = DEFAULT) -> str:
    """A language this app speaks: ``value`` if it is one (``fr``, ``fr-FR``, ``pt_BR`` …), else ``default``."""
    if isinstance(value, str):
        code = value.strip().lower().replace('_', '-').split('-', 1)[0]
        if code in LOCALES:
            return code
    return default


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of a language (English is the message ids themselves)."""
    locale = LOCALES.get(lang)
    path = LOCALES_FOLDER / str(locale) / 'LC_MESSAGES' / f'{DOMAIN}.po'
    if lang == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open('rb') as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def t(message: str, lang: str, /, **values: object) -> str:
    """``message`` in the language, with its ``{placeholders}`` filled."""
    text = translations(lang).gettext(message)
    return fill(text, lang, values) if values else text


def tn(singular: str, plural: str, count: int, lang: str, /, **values: object) -> str:
    """The form of a message that ``count`` takes in the language; ``{count}`` is the count, formatted."""
    text = translations(lang).ngettext(singular, plural, count)
    return fill(text, lang, {'count': integer(count, lang), **values})


ELIDED = re.compile(r'\b([Dd]e|[Qq]ue) \{(\w+)\}')  # French: "de {team}" before a vowel is "d’{team}"
VOWEL = re.compile(r'[aeiouyàâäéèêëîïôöùûü]', re.IGNORECASE)


def fill(text: str, lang: str, values: dict[str, object]) -> str:
    """``text`` with its placeholders filled, and in French "de" and "que" elided before a name that starts with a
    vowel ("Alertes d’Atelier", "Contrôles de Structure"; a name starting with *h* is left as written)."""
    if lang == 'fr':

        def elide(found: re.Match[str]) -> str:
            word, name = found.groups()
            return f'{word[:-1]}’{{{name}}}' if VOWEL.match(str(values.get(name, ''))) else found.group(0)

        text = ELIDED.sub(elide, text)
    return text.format(**values)


def locale_of(lang: str) -> str:
    """The Babel locale of a language (English's for anything else)."""
    return LOCALES.get(lang, LOCALES[DEFAULT])


def integer(value: int, lang: str) -> str:
    """A count as the locale writes it (``1 250`` in French)."""
    return format_decimal(value, locale=locale_of(lang))


QUANTITY = parse_pattern('#,##0.####')


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(locale_of(lang))


def number(value: Decimal | int, lang: str) -> str:
    """A quantity as the locale writes it (``1 250,5`` in French, ``1,250.5`` in English), exactly.

    What ``format_decimal(value, format='#,##0.####', locale=…)`` writes, with the pattern and the locale parsed
    once (a page's cards write some 5,000 numbers: half the time of Babel's own call), and the latest few thousand
    kept: a card's trend writes 90 days' figures, many of them alike, and a process taking over hundreds of pages
    formats every card of every contract at once. Equal quantities are written alike (``1.50`` and ``1.5`` both
    ``1.5``), but for a negative zero, equal to zero and written ``-0``: it is not kept."""
    if not value and isinstance(value, Decimal) and value.is_signed():
        return _written(value, lang)
    return _kept(value, lang)


def _written(value: Decimal | int, lang: str) -> str:
    return str(QUANTITY.apply(value, _locale(lang)))


_kept = functools.lru_cache(maxsize=4096)(_written)


def load_every_language() -> None:
    """Read every language's catalogue and locale data now (the app's start: the first page of each language then
    finds them ready, and a process holds them once, out of the cycle collector's sight)."""
    for lang in LANGUAGES:
        translations(lang)
        percent(Decimal('0.5'), lang, green=True)
        number(Decimal('1.5'), lang)
        moment(datetime(2026, 1, 1, tzinfo=ZoneInfo('UTC')), lang, 'Europe/Paris')
        short_day(date(2026, 1, 1), lang)


def percent(share: Decimal, lang: str, *, green: bool) -> str:
    """A share as the locale writes percentages, with the decimals it takes never to read as the wrong side of 20 %
    (20.4 % available is healthy and must not show as "20 %", which is not)."""
    locale = locale_of(lang)
    pattern = _locale(lang).percent_formats[None].pattern
    text = ''
    for decimals in range(5):
        form = pattern if not decimals else re.sub(r'0(\s*%)', '0.' + '0' * decimals + r'\1', pattern, count=1)
        text = format_percent(share, format=form, locale=locale)
        if not green or (share * 100).quantize(Decimal(1).scaleb(-decimals)) > 20:
            return text
    return text


def share(value: Decimal, lang: str) -> str:
    """A fraction as the locale writes a percentage, with up to 4 decimals (``0.125`` → ``12.5%``, ``12,5 %``)."""
    pattern = _locale(lang).percent_formats[None].pattern
    return format_percent(value, format=re.sub(r'0(\s*%)', r'0.####\1', pattern, count=1), locale=locale_of(lang))


def day(value: date, lang: str) -> str:
    """A calendar date, in the locale's medium form (``1 Dec 2026``, ``1 déc. 2026``)."""
    return format_date(value, 'medium', locale=locale_of(lang))


def short_day(value: date, lang: str) -> str:
    """A date without its year, for charts and compact lists (``1 Dec``, ``1 déc.``)."""
    return format_date(value, 'd MMM', locale=locale_of(lang))


def period(value: date, bucket: str, lang: str) -> str:
    """A chart period: a day (``23 Nov 2026``), or a month (``Nov 2026``)."""
    if bucket == 'month':
        return format_date(value, 'LLL y', locale=locale_of(lang))
    return day(value, lang)


def moment(value: datetime, lang: str, timezone: str = 'UTC') -> str:
    """A time of day in a time zone, the zone named (``09:39:33 CET``)."""
    zone = ZoneInfo(timezone)
    clock = format_datetime(value, 'HH:mm:ss', tzinfo=zone, locale=locale_of(lang))
    return f'{clock} {zone_label(value, zone)}'


def when(value: datetime, lang: str, timezone: str = 'UTC') -> str:
    """A date and time in a time zone, the zone named (``1 Dec 2026, 09:39 CET``)."""
    zone = ZoneInfo(timezone)
    clock = format_datetime(value, 'HH:mm', tzinfo=zone, locale=locale_of(lang))
    return f'{day(value.astimezone(zone).date(), lang)} {clock} {zone_label(value, zone)}'


def zone_label(value: datetime, zone: ZoneInfo) -> str:
    """The zone of a moment as every language writes it: its abbreviation (``CET``, ``UTC``), or its offset from UTC
    where the zone has none (``UTC-03``) — never a language's own ("TU" in French)."""
    name = value.astimezone(zone).tzname() or 'UTC'
    return name if name[:1].isalpha() else f'UTC{name}'


def first_day_of_week(lang: str) -> int:
    """0 for Monday … 6 for Sunday, as the locale starts its weeks (for date pickers)."""
    return int(Locale.parse(locale_of(lang)).first_week_day)


def parse_number(text: str, lang: str) -> Decimal:
    """A decimal as a person of the locale types it (``1 500,25`` in French, ``1,500.25`` in English).

    Raises ``ValueError`` for what the locale cannot read unambiguously: the other locale's separators, a group of
    the wrong size, letters.
    """
    cleaned = text.strip().replace('\u202f', ' ').replace('\u00a0', ' ')
    if not cleaned or not re.fullmatch(r'[0-9 ,.\']+', cleaned):
        raise ValueError(text)
    if _decimal(lang) != '.' and _group(lang) != '.' and re.fullmatch(r'[0-9]{1,3}(\.[0-9]{3})+', cleaned):
        raise ValueError(text)  # "1.500" in French: a thousand and a half, or one and a half?
    try:
        return parse_decimal(cleaned.replace(' ', _group(lang)), locale=locale_of(lang), strict=True)
    except NumberFormatError:
        raise ValueError(text) from None


def _group(lang: str) -> str:
    return get_group_symbol(locale_of(lang))


def _decimal(lang: str) -> str:
    return get_decimal_symbol(locale_of(lang))


def number_example(lang: str) -> str:
    """How the locale writes a quantity with a fraction (for hints and error messages)."""
    return number(Decimal('1500.25'), lang)
