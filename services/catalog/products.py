"""Products and their daily rates: what a 24-hour window of a product costs, and from when

Each product has a history of rates, each effective from an instant; a window is charged the rate in effect when it
opens (the latest ``effective_from`` at or before its start), and keeps it. The whole price book is a few rows: it is
read whole, in one statement, whenever a rate is needed (``rate_book``), and answers from memory.
"""

import bisect
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import Product, ProductRate
from services.domain.checks import instant, text_of, units_of
from services.domain.errors import Conflict, NotFound
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve

MAX_CODE = 100
MAX_NAME = 200


class UnknownProduct(NotFound):
    def __init__(self, code: object) -> None:
        super().__init__(f'product {code!r} does not exist')
        self.code = code


@dataclass(frozen=True)
class RateInfo:
    daily_rate: Decimal
    effective_from: datetime


@dataclass(frozen=True)
class ProductInfo:
    """A product, its rate in effect now (``None`` before its first rate's ``effective_from``) and its history."""

    code: str
    name: str
    daily_rate: Decimal | None
    effective_from: datetime | None
    rates: tuple[RateInfo, ...]  # oldest first


@dataclass(frozen=True)
class RateBook:
    """Every product's rates in force order, to answer from memory what a window opening at an instant costs."""

    names: dict[str, str]
    starts: dict[str, list[datetime]]  # by product code, ascending
    units: dict[str, list[int]]

    def rate_at(self, code: str, at: datetime) -> int | None:
        """Units a window of ``code`` opening at ``at`` costs, or ``None`` when no rate is effective then."""
        starts = self.starts.get(code)
        if not starts:
            return None
        place = bisect.bisect_right(starts, at)
        return self.units[code][place - 1] if place else None

    def info(self, code: str, now: datetime) -> ProductInfo:
        rates = tuple(
            RateInfo(from_units(units), start)
            for start, units in zip(self.starts.get(code, []), self.units.get(code, []), strict=True)
        )
        current = [rate for rate in rates if rate.effective_from <= now]
        latest = current[-1] if current else None
        return ProductInfo(
            code,
            self.names[code],
            latest.daily_rate if latest else None,
            latest.effective_from if latest else None,
            rates,
        )


async def rate_book() -> RateBook:
    """The whole price book, in one statement."""
    conn = database.connection()
    rows = await conn.execute_query_dict(
        'SELECT product.code AS code, product.name AS name, product_rate.daily_rate AS units, '
        'product_rate.effective_from AS start FROM product '
        'LEFT JOIN product_rate ON product_rate.product_id = product.id '
        'ORDER BY product.code, product_rate.effective_from'
    )
    names: dict[str, str] = {}
    starts: dict[str, list[datetime]] = {}
    units: dict[str, list[int]] = {}
    for row in rows:
        code = str(row['code'])
        names[code] = str(row['name'])
        starts.setdefault(code, [])
        units.setdefault(code, [])
        if row['start'] is not None:
            starts[code].append(database.to_datetime(row['start']))
            units[code].append(int(row['units']))
    return RateBook(names, starts, units)


def _code(value: object, field: str = 'code') -> str:
    return text_of(value, field, MAX_CODE)


async def create_product(
    code: object,
    name: object,
    daily_rate: object,
    *,
    effective_from: datetime | None = None,
    now: datetime | None = None,
) -> ProductInfo:
    """Add a product with its first daily rate (effective from ``effective_from``, default now).

    Refuses with ``InvalidInput`` (``code``, ``name``, ``daily_rate``: a quantity > 0, ``effective_from``) or
    ``Conflict`` (the code exists)."""
    now = resolve(now)
    code, name = _code(code), text_of(name, 'name', MAX_NAME)
    units = units_of(daily_rate, 'daily_rate')
    start = instant(effective_from, 'effective_from') if effective_from is not None else now
    try:
        async with in_transaction('default') as conn:
            product = await Product.create(code=code, name=name, created_at=now, using_db=conn)
            await ProductRate.create(product=product, daily_rate=units, effective_from=start, using_db=conn)
    except IntegrityError:
        raise Conflict(f'product {code!r} exists already') from None
    return (await rate_book()).info(code, now)


async def add_rate(
    code: object, daily_rate: object, effective_from: object, *, now: datetime | None = None
) -> ProductInfo:
    """Give a product a new daily rate for the windows opening from ``effective_from``.

    Refuses with ``UnknownProduct``, ``InvalidInput`` (``daily_rate``, ``effective_from``) or ``Conflict`` (a rate
    with that ``effective_from`` exists)."""
    now = resolve(now)
    code = _code(code)
    units = units_of(daily_rate, 'daily_rate')
    start = instant(effective_from, 'effective_from')
    product = await Product.get_or_none(code=code)
    if product is None:
        raise UnknownProduct(code)
    try:
        await ProductRate.create(product=product, daily_rate=units, effective_from=start)
    except IntegrityError:
        raise Conflict(f'product {code!r} has a rate effective from {start.isoformat()} already') from None
    return (await rate_book()).info(code, now)


async def list_products(*, now: datetime | None = None) -> list[ProductInfo]:
    """Every product, sorted by code, with its current rate and its rates oldest first."""
    now = resolve(now)
    book = await rate_book()
    return [book.info(code, now) for code in sorted(book.names)]


async def known_codes(codes: list[str]) -> set[str]:
    """Which of ``codes`` are products."""
    return {str(code) for code in await Product.filter(code__in=codes).values_list('code', flat=True)}
