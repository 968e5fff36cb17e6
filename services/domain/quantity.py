"""Exact quantities

Tokens and credits are exact decimals with at most 4 fractional digits and 12 integer digits.
They are stored as integer ten-thousandths (*units*) in 64-bit columns: SQLite keeps a ``DecimalField`` as text
and returns ``SUM`` as a float, so no decimal ever reaches the database, and no float ever leaves it.
"""

import re
from decimal import Decimal

SCALE = 10_000
MAX_INTEGER_DIGITS = 12
MAX_UNITS = 10**MAX_INTEGER_DIGITS * SCALE - 1

_PLAIN_DECIMAL = re.compile(r'^(\d+)(?:\.(\d+))?$')


class QuantityError(ValueError):
    """A quantity that is not a plain positive decimal with at most 4 fractional digits."""


def parse(value: object) -> Decimal:
    """Parse a quantity given as an ``int``, a ``Decimal`` or a string in plain decimal notation.

    Floats are refused: by the time a value is a float, its exact decimal is already lost.
    """
    if isinstance(value, (bool, float)):
        raise QuantityError('must be an exact decimal, not a floating-point number')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QuantityError('must be a finite number')
        return value
    if isinstance(value, str):
        if not _PLAIN_DECIMAL.match(value):
            raise QuantityError(f'{value[:40]!r} is not a plain decimal (digits, an optional point and digits)')
        return Decimal(value)
    raise QuantityError(f'must be a number or a decimal string, not {type(value).__name__}')


def to_units(value: object, *, allow_zero: bool = False) -> int:
    """Convert a quantity to integer ten-thousandths, checking sign, precision and magnitude."""
    number = parse(value)
    if number < 0 or (number == 0 and not allow_zero):
        raise QuantityError('must be greater than 0' if not allow_zero else 'must not be negative')
    scaled = number * SCALE
    if scaled != scaled.to_integral_value():
        raise QuantityError('has more than 4 fractional digits')
    units = int(scaled)
    if units > MAX_UNITS:
        raise QuantityError(f'has more than {MAX_INTEGER_DIGITS} integer digits')
    return units


def from_units(units: int) -> Decimal:
    """The exact decimal for integer ten-thousandths, without trailing zeros (``12500000`` -> ``1250``)."""
    value = Decimal(units).scaleb(-4)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def format_quantity(value: Decimal) -> str:
    """The canonical string of a quantity: plain notation, no exponent, no trailing zeros (``"1250.5"``)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), 'f')
