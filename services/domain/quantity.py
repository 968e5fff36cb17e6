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

_PLAIN_DECIMAL = re.compile(r'[0-9]+(?:\.[0-9]+)?')  # ASCII digits only, matched whole (no trailing newline)
MAX_TEXT = 40  # characters of a quantity written out; 12 + 1 + 4 needs 17


class QuantityError(ValueError):
    """A quantity that is not a plain positive decimal with at most 4 fractional digits."""


def parse(value: object) -> Decimal:
    """Parse a quantity given as an ``int``, a ``Decimal`` or a string in plain decimal notation.

    Floats are refused: by the time a value is a float, its exact decimal is already lost.
    """
    if isinstance(value, (bool, float)):
        raise QuantityError('must be an exact decimal, not a floating-point number')
    if isinstance(value, int):
        return _bounded(Decimal(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QuantityError('must be a finite number')
        return _bounded(value)
    if isinstance(value, str):
        if len(value) > MAX_TEXT or not _PLAIN_DECIMAL.fullmatch(value):
            raise QuantityError(
                f'{value[:MAX_TEXT]!r} is not a plain decimal (digits 0-9, an optional point and digits)'
            )
        return _bounded(Decimal(value))
    raise QuantityError(f'must be a number or a decimal string, not {type(value).__name__}')


def _bounded(number: Decimal) -> Decimal:
    """Refuse magnitudes and precisions no quantity has before any arithmetic: ``1e999990`` is 7 characters of
    JSON, and multiplying it out would hold the server for seconds."""
    if number.is_zero():
        return Decimal(0)
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise QuantityError(f'has more than {MAX_INTEGER_DIGITS} integer digits')
    _, digits, exponent = number.as_tuple()
    if len(digits) > MAX_TEXT or (isinstance(exponent, int) and -exponent > MAX_TEXT):
        raise QuantityError('has more than 4 fractional digits')
    return number


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
