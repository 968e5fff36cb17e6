"""A team's product list: the products its users may start (``None``, the default: every product)"""

import json
from dataclasses import dataclass

from models import Team
from services.accounts.contracts import get_contract
from services.catalog.products import rate_book
from services.domain.checks import text_of
from services.domain.errors import InvalidInput, NotFound, NotInThisMode

MAX_LIST = 1000


class UnknownTeamOfContract(NotFound):
    def __init__(self, team_id: object) -> None:
        super().__init__(f'team {team_id} does not exist in this contract')
        self.team_id = team_id


@dataclass(frozen=True)
class ProductList:
    team: int
    allowed: tuple[str, ...] | None  # sorted; None: every product


def allowed_of(stored: str | None) -> tuple[str, ...] | None:
    """A team's list as stored (JSON, or null)."""
    return None if stored is None else tuple(json.loads(stored))


async def _team(contract_id: int, team_id: int) -> Team:
    contract = await get_contract(contract_id)
    if not contract.is_flex:
        raise NotInThisMode('product lists are for Flex teams; a cloud-credit contract has one shared pool')
    team = await Team.get_or_none(id=team_id, contract_id=contract_id)
    if team is None:
        raise UnknownTeamOfContract(team_id)
    return team


async def product_list(contract_id: int, team_id: int) -> ProductList:
    """The team's product list. Refuses with ``UnknownContract``, ``UnknownTeamOfContract`` or ``NotInThisMode``."""
    team = await _team(contract_id, team_id)
    return ProductList(team.id, allowed_of(team.allowed_products))


async def set_product_list(contract_id: int, team_id: int, allowed: list[object] | None) -> ProductList:
    """Let the team start only the products ``allowed`` (known product codes), or every product (``None``).

    Refuses with ``UnknownContract``, ``UnknownTeamOfContract``, ``NotInThisMode`` (cloud credits) or
    ``InvalidInput`` (``allowed``: at most 1,000 codes of known products)."""
    team = await _team(contract_id, team_id)
    codes: tuple[str, ...] | None = None
    if allowed is not None:
        if not isinstance(allowed, list) or len(allowed) > MAX_LIST:
            raise InvalidInput('allowed', f'must be a list of at most {MAX_LIST} product codes, or null')
        given = [text_of(code, 'allowed', 100) for code in allowed]
        known = (await rate_book()).names
        unknown = [code for code in given if code not in known]
        if unknown:
            raise InvalidInput('allowed', f'{unknown[0]!r} is not a product')
        codes = tuple(sorted(set(given)))
    team.allowed_products = None if codes is None else json.dumps(list(codes))  # type: ignore[assignment]
    await team.save(update_fields=['allowed_products'])
    return ProductList(team.id, codes)
