"""Contracts and teams: modes from regions, holders, validation"""

import pytest

from models import Holder
from services.accounts import contracts
from services.domain.errors import Conflict, InvalidInput, UnknownContract


async def test_mode_comes_from_the_region_and_holders_follow_it(db: str) -> None:
    flex = await contracts.create_contract('Atelier', 'fr', 'Europe/Paris')
    cloud = await contracts.create_contract('Construtora', 'BR')
    assert (flex.region, flex.mode, cloud.mode, cloud.timezone) == ('FR', 'flex', 'cloud_credits', 'UTC')
    team = await contracts.create_team(flex.id, 'Structure')
    await contracts.create_team(cloud.id, 'Obras')
    assert await Holder.filter(contract_id=flex.id).values_list('team_id', flat=True) == [team.id]
    assert await Holder.filter(contract_id=cloud.id).values_list('team_id', flat=True) == [None]
    assert [c.name for c in await contracts.list_contracts()] == ['Atelier', 'Construtora']
    assert [c.name for c in await contracts.list_contracts([cloud.id])] == ['Construtora']


@pytest.mark.parametrize(
    ('name', 'region', 'zone', 'field'),
    [
        ('', 'FR', 'UTC', 'name'),
        ('x' * 201, 'FR', 'UTC', 'name'),
        ('A', 'ZZ', 'UTC', 'region'),
        ('A', 'FRA', 'UTC', 'region'),
        ('A', 'FR', 'Mars/Olympus', 'timezone'),
    ],
)
async def test_contract_refusals(db: str, name: str, region: str, zone: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        await contracts.create_contract(name, region, zone)
    assert refusal.value.field == field
    assert await contracts.list_contracts() == []


async def test_team_refusals(db: str) -> None:
    contract = await contracts.create_contract('Atelier', 'FR')
    await contracts.create_team(contract.id, 'A')
    with pytest.raises(Conflict):
        await contracts.create_team(contract.id, 'A')
    with pytest.raises(InvalidInput):
        await contracts.create_team(contract.id, ' ')
    with pytest.raises(UnknownContract):
        await contracts.create_team(999, 'B')
    assert [t.name for t in await contracts.list_teams(contract.id)] == ['A']
