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


async def test_lot_remainder_stays_between_0_and_the_original(db: str) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 10, teams['A'])
    lot = await Lot.get(client_id='p')
    for bad in (-1, lot.original + 1):
        with pytest.raises(IntegrityError):
            await Lot.filter(id=lot.id).update(remaining=bad)
    assert (await Lot.get(id=lot.id)).remaining == lot.original


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
        {'client_id': 'p', 'original': 1, 'remaining': 1},  # a client id used twice
        {'client_id': 'q', 'original': 0, 'remaining': 0},  # an empty lot
        {'client_id': 'r', 'original': 1, 'remaining': 1, 'expires_at': NOW},  # expiring when bought
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
