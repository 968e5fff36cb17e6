"""Invariants the database holds by itself, whatever code writes to it"""

from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from models import Holder, LedgerEntry, Lot, UsageEvent
from services import ledger
from tests.helpers import NOW, buy, cloud_contract, flex_contract, use


async def _execute(sql: str) -> None:
    await connections.get('default').execute_script(sql)


async def test_a_lots_remainder_is_kept_by_the_database_from_its_entries_alone(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'])
    lot = await Lot.get(client_id='p')
    assert (lot.remaining, lot.original) == (100_000, 100_000)  # the purchase entry filled it
    await ledger.consume(contract, [use('e', 3, team=teams['A'])], now=NOW)
    assert (await Lot.get(id=lot.id)).remaining == 70_000  # the consume entry took from it
    # written any other way — even to a value in range, even to the right one with a forged entry id — refused
    for statement in (
        f'UPDATE lot SET remaining = -1 WHERE id = {lot.id}',
        f'UPDATE lot SET remaining = 50000 WHERE id = {lot.id}',
        f'UPDATE lot SET remaining = 100000 WHERE id = {lot.id}',
        f'UPDATE lot SET remaining = 60000, last_entry_id = last_entry_id + 1000 WHERE id = {lot.id}',
        f'UPDATE lot SET remaining = 100000, last_entry_id = NULL WHERE id = {lot.id}',
        f'UPDATE lot SET original = 200000 WHERE id = {lot.id}',
    ):
        with pytest.raises(IntegrityError):
            await _execute(statement)
    lot = await Lot.get(id=lot.id)
    assert (lot.remaining, lot.original) == (70_000, 100_000)
    # an entry written by hand moves it too: the books and the cache cannot part
    await LedgerEntry.create(
        contract_id=contract, holder_id=lot.holder_id, lot_id=lot.id, kind='purchase', quantity=5, created_at=NOW
    )
    assert (await Lot.get(id=lot.id)).remaining == 70_005
    with pytest.raises(IntegrityError):  # past the original: the range check still holds
        await LedgerEntry.create(
            contract_id=contract,
            holder_id=lot.holder_id,
            lot_id=lot.id,
            kind='purchase',
            quantity=40_000,
            created_at=NOW,
        )
    assert (await Lot.get(id=lot.id)).remaining == 70_005


async def test_ledger_entries_and_usage_events_are_append_only(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'])
    await ledger.consume(contract, [use('e', 1, team=teams['A'])], now=NOW)
    for statement in (
        'UPDATE ledger_entry SET quantity = 1',
        'DELETE FROM ledger_entry',
        'UPDATE usage_event SET quantity = 1',
        'DELETE FROM usage_event',
    ):
        with pytest.raises(IntegrityError):
            await _execute(statement)
    assert await LedgerEntry.all().count() == 2
    assert await UsageEvent.all().count() == 1


async def test_quantities_are_positive_and_client_ids_unique(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'])
    lot = await Lot.get(client_id='p')
    with pytest.raises(IntegrityError):
        await LedgerEntry.create(
            contract_id=contract, holder_id=lot.holder_id, lot_id=lot.id, kind='purchase', quantity=-5, created_at=NOW
        )
    purchase: dict[str, Any] = {
        'contract_id': contract,
        'holder_id': lot.holder_id,
        'origin': 'purchase',
        'fingerprint': 'x',
        'purchased_at': NOW,
        'expires_at': NOW.replace(year=2027),
        'created_at': NOW,
    }
    bad_lots: list[dict[str, Any]] = [
        {'client_id': 'p', 'original': 1, 'remaining': 0},  # a client id used twice
        {'client_id': 'q', 'original': 0, 'remaining': 0},  # an empty lot
        {'client_id': 'r', 'original': 1, 'remaining': 0, 'expires_at': NOW},  # expiring when bought
        {'client_id': 's', 'original': 1, 'remaining': 1},  # born with a remainder no entry gave it
    ]
    for bad in bad_lots:
        with pytest.raises(IntegrityError):
            await Lot.create(**{**purchase, **bad})


async def test_one_pool_per_cloud_contract_and_one_holder_per_team(db: str) -> None:
    contract, _ = await cloud_contract('Ops')
    with pytest.raises(IntegrityError):
        await Holder.create(contract_id=contract, team_id=None)
    flex, flex_teams = await flex_contract('A')
    with pytest.raises(IntegrityError):
        await Holder.create(contract_id=flex, team_id=flex_teams['A'])
