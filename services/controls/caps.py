"""Caps: a limit on usage per calendar day or month (contract time zone), of a team, a user, a product or any
combination, with stages — ``notify`` (one alert per cap, stage and period) and ``deny`` (the entitlement check
refuses until the period ends)

What a cap has used is read from the rollups (``usage_by_user_product`` holds every combination), never the events:
one statement for all the caps of a contract. A stage is reached when ``used ≥ at_percent % × limit``.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pypika_tortoise import Table
from pypika_tortoise import functions as fn
from pypika_tortoise.enums import SqlTypes
from tortoise.backends.base.client import BaseDBAsyncClient

from models import Cap, Team
from services.accounts.contracts import ContractInfo, get_contract
from services.catalog.products import rate_book
from services.domain.checks import text_of, units_of
from services.domain.dates import local_date
from services.domain.errors import InvalidInput, NotFound, UnknownTeam
from services.domain.quantity import from_units
from services.infrastructure import database
from services.infrastructure.clock import resolve
from services.ingest.events import MAX_PRODUCT, MAX_USER
from services.ingest.rollups import DAY, MONTH

Period = Literal['day', 'month']
Action = Literal['notify', 'deny']
PERIODS: tuple[Period, ...] = ('day', 'month')
ACTIONS: tuple[Action, ...] = ('notify', 'deny')
DEFAULT_STAGES = ((80, 'notify'), (100, 'deny'))
MAX_STAGES = 10
MAX_PERCENT = 200


class UnknownCap(NotFound):
    def __init__(self, cap_id: object) -> None:
        super().__init__(f'cap {cap_id} does not exist in this contract')
        self.cap_id = cap_id


@dataclass(frozen=True)
class Stage:
    at_percent: int
    action: Action


@dataclass(frozen=True)
class CapInfo:
    id: int
    team: int | None
    user: str | None
    product: str | None
    period: Period
    limit: Decimal
    stages: tuple[Stage, ...]
    used: Decimal  # in the current period
    stage: int | None  # the highest at_percent reached, or None
    resets_at: date  # the first day of the next period

    def denies(self) -> bool:
        """Whether a deny stage is reached in the current period."""
        return any(s.action == 'deny' and self.stage is not None and s.at_percent <= self.stage for s in self.stages)


@dataclass(frozen=True)
class _Cap:
    id: int
    team: int | None
    user: str | None
    product: str | None
    period: Period
    limit: int
    stages: tuple[Stage, ...]


def period_start(period: Period, today: date) -> date:
    """The first day of the period ``today`` is in."""
    return today if period == 'day' else today.replace(day=1)


def next_period(period: Period, today: date) -> date:
    """The first day of the period after the one ``today`` is in."""
    if period == 'day':
        return date.fromordinal(today.toordinal() + 1)
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def reached(limit: int, used: int, stages: Sequence[Stage]) -> int | None:
    """The highest ``at_percent`` whose share of ``limit`` ``used`` has reached, or ``None``."""
    found = [s.at_percent for s in stages if used * 100 >= s.at_percent * limit]
    return max(found) if found else None


def _stages(value: object) -> tuple[Stage, ...]:
    """Stages as the API sends them: 1 to 10 ``{"at_percent", "action"}``, ascending, at most one deny and none
    after it (nothing to notify once usage is stopped)."""
    if value is None:
        return tuple(Stage(p, a) for p, a in DEFAULT_STAGES)  # type: ignore[arg-type]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_STAGES:
        raise InvalidInput('stages', f'must be a list of 1 to {MAX_STAGES} stages')
    found: list[Stage] = []
    for stage in value:
        if not isinstance(stage, dict) or set(stage) != {'at_percent', 'action'}:
            raise InvalidInput('stages', 'each stage is {"at_percent": …, "action": "notify" or "deny"}')
        percent, action = stage['at_percent'], stage['action']
        whole = isinstance(percent, int) and not isinstance(percent, bool)
        if not whole or not 0 < percent <= MAX_PERCENT:
            raise InvalidInput('stages', f'at_percent must be a whole number above 0 and at most {MAX_PERCENT}')
        if action not in ACTIONS:
            raise InvalidInput('stages', 'action must be notify or deny')
        found.append(Stage(int(percent), action))
    percents = [stage.at_percent for stage in found]
    if percents != sorted(set(percents)):
        raise InvalidInput('stages', 'must be in ascending at_percent, each once')
    denies = [n for n, stage in enumerate(found) if stage.action == 'deny']
    if len(denies) > 1 or (denies and denies[0] != len(found) - 1):
        raise InvalidInput('stages', 'at most one deny stage, the last: nothing is notified once usage is stopped')
    return tuple(found)


def _row(cap: Cap) -> _Cap:
    stages = tuple(Stage(int(p), a) for p, a in json.loads(cap.stages))
    period: Period = 'month' if cap.period == 'month' else 'day'
    return _Cap(cap.id, cap.team_id, cap.user, cap.product, period, cap.limit, stages)  # type: ignore[attr-defined]


CAPPED = ('grain', 'day', 'team_key', 'user_name', 'product')


@database.shaped
def _used_sql(marks: database.Marks, caps: tuple[tuple[bool, ...], ...]) -> database.Built:
    """One ``SELECT`` a cap, each with the columns it names (``caps``: which of ``CAPPED`` each cap gives), joined
    by ``UNION ALL``. Its values: for each cap, the contract, the cap's id, and the columns it gives."""
    rollup = Table('usage_by_user_product')
    parts = []
    for given in caps:
        counted = rollup.contract_id == marks.next()
        cap = marks.next()
        for column, named in zip(CAPPED, given, strict=True):
            if named:
                counted &= rollup.field(column) == marks.next()
        parts.append(
            marks.query.from_(rollup)
            .select(fn.Cast(cap, SqlTypes.INTEGER).as_('cap'), fn.Sum(rollup.quantity).as_('units'))
            .where(counted)
        )
    union: database.Built = parts[0]
    for part in parts[1:]:
        union = union.union_all(part)
    return union


async def used_by(conn: BaseDBAsyncClient, contract: ContractInfo, caps: Sequence[_Cap], today: date) -> dict[int, int]:
    """Units each cap counts in its current period, from the rollup of users and products, in one statement."""
    if not caps:
        return {}
    values: list[object] = []
    shape = []
    for cap in caps:
        values += [contract.id, cap.id]
        given = (
            DAY if cap.period == 'day' else MONTH,
            period_start(cap.period, today),
            cap.team,
            cap.user,
            cap.product,
        )
        values += [value for value in given if value is not None]
        shape.append(tuple(value is not None for value in given))
    rows = await database.fetch_shaped(conn, _used_sql, values, tuple(shape))
    return {int(row['cap']): int(row['units'] or 0) for row in rows}


def _info(cap: _Cap, used: int, today: date) -> CapInfo:
    return CapInfo(
        cap.id,
        cap.team,
        cap.user,
        cap.product,
        cap.period,
        from_units(cap.limit),
        cap.stages,
        from_units(used),
        reached(cap.limit, used, cap.stages),
        next_period(cap.period, today),
    )


async def caps_of(
    conn: BaseDBAsyncClient, contract: ContractInfo, now: datetime, *, team: int | None = None
) -> list[CapInfo]:
    """The contract's caps (those of a team and the contract-wide ones, with ``team``) with what each used in its
    current period."""
    query = Cap.filter(contract_id=contract.id, deleted_at=None).using_db(conn).order_by('id')
    rows = [_row(cap) for cap in await query]
    if team is not None:
        rows = [cap for cap in rows if cap.team in (None, team)]
    today = local_date(now, contract.timezone)
    used = await used_by(conn, contract, rows, today)
    return [_info(cap, used.get(cap.id, 0), today) for cap in rows]


async def list_caps(contract_id: int, *, now: datetime | None = None) -> list[CapInfo]:
    """Every cap of the contract, oldest first, with its current period's usage and stage."""
    contract = await get_contract(contract_id)
    async with database.snapshot() as conn:
        return await caps_of(conn, contract, resolve(now))


async def create_cap(
    contract_id: int,
    *,
    team: int | None = None,
    user: object = None,
    product: object = None,
    period: object,
    limit: object,
    stages: object = None,
    now: datetime | None = None,
) -> CapInfo:
    """Cap the usage of a team, a user, a product or any combination (one left out matches all) per ``period``
    (``day`` or ``month``, contract time zone) at ``limit``, with ``stages`` (default: notify at 80 %, deny at 100 %).

    Refuses with ``UnknownContract`` or ``InvalidInput`` naming the field (``team`` of another contract, a ``user``
    or ``product`` that is not one, an unknown ``product``, a ``period``, a ``limit`` ≤ 0, ``stages``)."""
    now = resolve(now)
    contract = await get_contract(contract_id)
    if team is not None and not await Team.exists(id=team, contract_id=contract_id):
        raise UnknownTeam(team)
    who = text_of(user, 'user', MAX_USER) if user is not None else None
    what = text_of(product, 'product', MAX_PRODUCT) if product is not None else None
    if what is not None and what not in (await rate_book()).names:
        raise InvalidInput('product', f'{what!r} is not a product')
    if period not in PERIODS:
        raise InvalidInput('period', 'must be day or month')
    units = units_of(limit, 'limit')
    chosen = _stages(stages)
    cap = await Cap.create(
        contract_id=contract.id,
        team_id=team,
        user=who,
        product=what,
        period=period,
        limit=units,
        stages=json.dumps([[stage.at_percent, stage.action] for stage in chosen]),
        created_at=now,
    )
    async with database.snapshot() as conn:
        today = local_date(now, contract.timezone)
        row = _row(cap)
        return _info(row, (await used_by(conn, contract, [row], today)).get(cap.id, 0), today)


async def delete_cap(contract_id: int, cap_id: int, *, now: datetime | None = None) -> None:
    """Remove a cap: its deny stage is lifted at once. Refuses with ``UnknownContract`` or ``UnknownCap``."""
    await get_contract(contract_id)
    removed = await Cap.filter(id=cap_id, contract_id=contract_id, deleted_at=None).update(deleted_at=resolve(now))
    if not removed:
        raise UnknownCap(cap_id)
