"""The catalogues: every text of the code translated in French and Brazilian Portuguese, with the same placeholders;
plural forms; numbers, dates and percentages as each locale writes them"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from services.infrastructure.i18n import (
    LOCALES,
    LOCALES_FOLDER,
    day,
    locale_of,
    moment,
    number,
    parse_number,
    percent,
    share,
    t,
    tn,
    when,
)

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {'t': None, 'tn': (1, 2)}
PLACEHOLDER = re.compile(r'\{(\w*)\}')


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in ('api', 'services', 'ui'):
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, keywords=KEYWORDS, comment_tags=()):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


@pytest.mark.parametrize('locale', ['fr_FR', 'pt_BR'])
def test_every_text_is_translated_with_its_placeholders(locale: str) -> None:
    with (LOCALES_FOLDER / locale / 'LC_MESSAGES' / 'messages.po').open('rb') as source:
        catalog = read_po(source, locale=locale)
    translated = {m.id: m for m in catalog if m.id}
    missing, wrong = [], []
    for message in code_messages():
        entry = translated.get(message)
        strings = (
            [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string or ()))
        )
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(message)
            continue
        ids = [message] if isinstance(message, str) else list(message)
        expected = set(PLACEHOLDER.findall(' '.join(ids)))
        if any((set(PLACEHOLDER.findall(text)) ^ expected) - {'count'} for text in strings):
            wrong.append(message)
    assert not missing, f'{locale}: not translated (make messages, then translate): {missing}'
    assert not wrong, f'{locale}: placeholders differ: {wrong}'


def test_plural_forms_follow_each_language() -> None:
    assert tn('{count} attempt', '{count} attempts', 1, 'en') == '1 attempt'
    assert tn('{count} attempt', '{count} attempts', 2, 'en') == '2 attempts'
    assert tn('{count} attempt', '{count} attempts', 0, 'en') == '0 attempts'
    assert tn('{count} attempt', '{count} attempts', 0, 'fr') == '0 tentative'  # French: 0 and 1 are singular
    assert tn('{count} attempt', '{count} attempts', 2, 'pt') == '2 tentativas'


def test_french_elides_de_before_a_name_that_starts_with_a_vowel() -> None:
    assert t('Alerts of {contract}', 'fr', contract='Atelier Lumière') == 'Alertes d’Atelier Lumière'
    assert t('Alerts of {contract}', 'fr', contract='Éole') == 'Alertes d’Éole'
    assert t('Alerts of {contract}', 'fr', contract='Structure') == 'Alertes de Structure'
    assert t('Alerts of {contract}', 'fr', contract='Hélios') == 'Alertes de Hélios'  # h: as written
    move = 'Assign {quantity} tokens from {source} to {target}?'
    assert (
        t(move, 'fr', quantity='5', source='Architecture', target='Infra')
        == 'Affecter 5 jetons d’Architecture à Infra\u00a0?'
    )
    assert t('Alerts of {contract}', 'pt', contract='Atelier') == 'Alertas de Atelier'  # a name takes no article


def test_a_time_names_its_zone_the_same_way_in_every_language() -> None:
    at = datetime(2026, 12, 4, 14, 52, 5, tzinfo=UTC)
    assert [moment(at, lang) for lang in ('en', 'fr', 'pt')] == ['14:52:05 UTC'] * 3  # not "TU" in French
    assert when(at, 'fr', 'Europe/Paris') == '4 déc. 2026 15:52 CET'
    assert when(at, 'pt', 'America/Sao_Paulo') == '4 de dez. de 2026 11:52 UTC-03'  # a zone without a name


def test_french_typography_comes_from_the_catalogue_and_the_locale() -> None:
    assert t('Expired: {quantity}', 'fr', quantity=number(Decimal('1250.5'), 'fr')) == 'Expirés\u00a0: 1\u202f250,5'
    assert number(Decimal('1250.5'), 'en') == '1,250.5'
    assert number(Decimal('1250.5'), 'pt') == '1.250,5'
    assert day(date(2026, 12, 1), 'fr') == '1 déc. 2026'
    assert share(Decimal('0.125'), 'fr') == '12,5\u00a0%'
    assert percent(Decimal('0.205'), 'en', green=True) == '20.5%'
    assert percent(Decimal('0.2'), 'en', green=False) == '20%'
    assert percent(Decimal('0.2004'), 'fr', green=True) == '20,04\u00a0%'


@pytest.mark.parametrize(
    ('text', 'lang', 'expected'),
    [
        ('1,500', 'en', '1500'),
        ('1,000.25', 'en', '1000.25'),
        ('1.5', 'en', '1.5'),
        ('1 500,25', 'fr', '1500.25'),
        ('1500,25', 'fr', '1500.25'),
        ('0,5', 'fr', '0.5'),
        ('1.500,25', 'pt', '1500.25'),
        ('1.500', 'pt', '1500'),
    ],
)
def test_quantities_are_read_as_the_locale_writes_them(text: str, lang: str, expected: str) -> None:
    assert parse_number(text, lang) == Decimal(expected)


@pytest.mark.parametrize(
    ('text', 'lang'),
    [('1.500', 'fr'), ('1,00', 'en'), ('1.000.25', 'en'), ('abc', 'en'), ('١٢', 'en'), ('１２', 'fr'), ('', 'en')],
)
def test_ambiguous_or_foreign_quantities_are_refused(text: str, lang: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the one refusal the page turns into its message
        parse_number(text, lang)


@settings(max_examples=300)
@given(
    st.one_of(
        st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=6),
        st.integers(min_value=-(10**12), max_value=10**12),
    ),
    st.sampled_from(sorted(LOCALES)),
)
def test_a_number_is_written_as_babel_writes_it_whether_or_not_it_was_written_before(
    value: Decimal | int, lang: str
) -> None:
    expected = format_decimal(value, format='#,##0.####', locale=locale_of(lang))
    assert number(value, lang) == expected
    assert number(value, lang) == expected  # the second time, from what was kept


def test_zero_and_a_negative_zero_are_each_written_as_babel_writes_them_in_either_order() -> None:
    for first, second in ((Decimal('-0'), Decimal(0)), (Decimal(0), Decimal('-0.0000'))):
        for value in (first, second, first):
            assert number(value, 'fr') == format_decimal(value, format='#,##0.####', locale='fr_FR')
