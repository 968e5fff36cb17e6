"""Exact quantities: parsing, bounds, units and their canonical strings"""

from decimal import Decimal

import pytest

from services.domain.quantity import QuantityError, format_quantity, from_units, parse, to_units


@pytest.mark.parametrize(
    ('value', 'units'),
    [
        ('12', 120_000),
        ('0.25', 2_500),
        (7, 70_000),
        (Decimal('1.0001'), 10_001),
        ('999999999999.9999', 9_999_999_999_999_999),
        ('0.0001', 1),
    ],
)
def test_to_units_is_exact(value: object, units: int) -> None:
    assert to_units(value) == units


@pytest.mark.parametrize(
    ('value', 'reason'),
    [
        ('0', 'greater than 0'),
        ('-1', 'plain decimal'),
        ('1e3', 'plain decimal'),
        ('NaN', 'plain decimal'),
        ('Infinity', 'plain decimal'),
        (Decimal('NaN'), 'finite'),
        (Decimal('-0.5'), 'greater than 0'),
        ('0.00001', '4 fractional'),
        ('1000000000000', '12 integer'),
        (1.5, 'floating'),
        (True, 'floating'),
        (' 1', 'plain decimal'),
        ('+1', 'plain decimal'),
        ('1.', 'plain decimal'),
        (None, 'number'),
    ],
)
def test_refusals_say_why(value: object, reason: str) -> None:
    with pytest.raises(QuantityError, match=reason):
        to_units(value)


def test_round_trip_and_canonical_strings() -> None:
    assert from_units(12_505_000) == Decimal('1250.5')
    assert format_quantity(from_units(12_505_000)) == '1250.5'
    assert format_quantity(from_units(12_500_000)) == '1250'
    assert format_quantity(from_units(1)) == '0.0001'
    assert format_quantity(Decimal('1E+3')) == '1000'
    assert parse('0.10') == Decimal('0.10')
    assert to_units('0.10') == to_units('0.1')
    assert to_units('0', allow_zero=True) == 0
