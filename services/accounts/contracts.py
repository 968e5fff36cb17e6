"""Contracts and teams

A contract's mode is fixed at creation from the region table; the ledger's holders are created with it: one pool
for a cloud-credit contract, one holder per team for a Flex contract.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import AlertRule, Contract, Holder, Team
from services.domain import alerting, regions
from services.domain.checks import text_of
from services.domain.errors import Conflict, InvalidInput, UnknownContract
from services.domain.quantity import SCALE
from services.infrastructure import bus
from services.infrastructure.clock import utcnow


@dataclass(frozen=True)
class ContractInfo:
    id: int
    name: str
    region: str
    mode: regions.Mode
    timezone: str

    @property
    def is_flex(self) -> bool:
        return self.mode == regions.FLEX


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str


def _info(contract: Contract) -> ContractInfo:
    mode = regions.FLEX if contract.mode == regions.FLEX else regions.CLOUD_CREDITS
    return ContractInfo(contract.id, contract.name, contract.region, mode, contract.timezone)


def _name(value: str, field: str, max_length: int) -> str:
    return text_of(value, field, max_length, strip=True)


def check_timezone(timezone: str) -> str:
    """The name of an IANA time zone, unchanged; ``InvalidInput`` (``timezone``) for any other text."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput('timezone', f'{timezone!r} is not an IANA time zone') from None
    return timezone


async def create_contract(name: str, region: str, timezone: str = 'UTC') -> ContractInfo:
    """Create a contract whose region (ISO 3166-1 alpha-2) fixes its mode, with the pool of a cloud-credit one and
    the seed's alert rule (tokens expiring within 90 days, every holder, e-mailed to its administrators).

    Refuses with ``InvalidInput`` naming ``name`` (1 to 200 characters), ``region`` (unknown) or ``timezone``."""
    name = _name(name, 'name', 200)
    code = region.strip().upper() if isinstance(region, str) else ''
    mode = regions.mode_of(code) if len(code) == 2 else None
    if mode is None:
        raise InvalidInput('region', f'{region!r} is not a known region (ISO 3166-1 alpha-2)')
    check_timezone(timezone)
    async with in_transaction('default') as conn:
        contract = await Contract.create(name=name, region=code, mode=mode, timezone=timezone, using_db=conn)
        if mode == regions.CLOUD_CREDITS:
            await Holder.create(contract=contract, team=None, using_db=conn)
        await AlertRule.create(
            contract=contract,
            kind=alerting.SEED_KIND,
            threshold=alerting.SEED_DAYS * SCALE,
            to_admins=True,
            created_at=utcnow(),
            using_db=conn,
        )
    return _info(contract)


async def create_team(contract_id: int, name: str) -> TeamInfo:
    """Add a team (and, in Flex mode, its holder).

    Refuses with ``UnknownContract``, ``InvalidInput`` (``name``: 1 to 100 characters) or ``Conflict`` (the
    contract already has a team of that name)."""
    contract = await contract_row(contract_id)
    name = _name(name, 'name', 100)
    holders: list[int] = []  # a cloud-credit team holds nothing: its pages read the contract again
    try:
        async with in_transaction('default') as conn:
            team = await Team.create(contract=contract, name=name, using_db=conn)
            if contract.mode == regions.FLEX:
                holders.append((await Holder.create(contract=contract, team=team, using_db=conn)).id)
            await bus.announce(conn, contract.id, holders)  # open pages show the new team at once
    except IntegrityError:
        raise Conflict(f'the contract already has a team named {name!r}') from None
    bus.publish(contract.id, holders)
    return TeamInfo(team.id, team.name)


async def contract_row(contract_id: int) -> Contract:
    """The contract's row, for the services that write to it; ``UnknownContract`` when there is none."""
    contract = await Contract.get_or_none(id=contract_id)
    if contract is None:
        raise UnknownContract(contract_id)
    return contract


async def get_contract(contract_id: int) -> ContractInfo:
    """The contract as plain values; ``UnknownContract`` when there is none."""
    return _info(await contract_row(contract_id))


async def get_contracts(ids: Iterable[int]) -> list[ContractInfo]:
    """The contracts among ``ids`` that exist, as plain values (one statement)."""
    return [_info(contract) for contract in await Contract.filter(id__in=list(ids))]


async def list_contracts(ids: Iterable[int] | None = None) -> list[ContractInfo]:
    """Contracts sorted by name, all of them or only those among ``ids``."""
    query = Contract.all() if ids is None else Contract.filter(id__in=list(ids))
    return [_info(contract) for contract in await query.order_by('name', 'id')]


async def list_teams(contract_id: int) -> list[TeamInfo]:
    """The contract's teams sorted by name; ``UnknownContract`` when there is no such contract."""
    await contract_row(contract_id)
    rows = await Team.filter(contract_id=contract_id).order_by('name', 'id').values_list('id', 'name')
    return [TeamInfo(team_id, name) for team_id, name in rows]


async def team_ids(contract_id: int) -> set[int]:
    """The ids of the contract's teams (one indexed read, no check that the contract exists)."""
    return set(cast(list[int], await Team.filter(contract_id=contract_id).values_list('id', flat=True)))
