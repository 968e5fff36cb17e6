"""Undoing an assignment: the same lots go back, recorded as a new transfer; who assigned is kept"""

import pytest

from models import Transfer
from services import ledger
from services.domain.errors import InvalidInput, NothingToUndo
from services.reading.audit import check_ledger
from services.reading.lots import contract_lots
from services.reading.state import contract_balances
from services.reading.timeline import token_events
from tests.helpers import DAY, NOW, buy, flex_contract, use


async def test_undo_moves_back_exactly_the_lots_a_transfer_created(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'soon', 20, a, expires_at=NOW + 30 * DAY)
    await buy(contract, 'late', 100, a, expires_at=NOW + 300 * DAY)
    await buy(contract, 'b-own', 5, b, expires_at=NOW + 10 * DAY)  # B's own, earlier: an undo must not take it
    done = await ledger.transfer(
        contract, client_id='t', from_team=a, to_team=b, quantity=50, made_by='chef@example.com', now=NOW
    )
    assert [(m.expires_at, m.quantity) for m in done.lots] == [(NOW + 30 * DAY, 20), (NOW + 300 * DAY, 30)]
    await ledger.consume(contract, [use('e', 7, team=b)], now=NOW)  # B's own 5 first, then 2 of the moved 20
    undone = await ledger.undo_transfer(contract, client_id='u', transfer='t', made_by='chef@example.com', now=NOW)
    assert (undone.from_team, undone.to_team, undone.quantity) == (b, a, 48)
    assert [(m.expires_at, m.quantity) for m in undone.lots] == [(NOW + 30 * DAY, 18), (NOW + 300 * DAY, 30)]
    balances = {x.team: x for x in (await contract_balances(contract, now=NOW)).balances}
    assert (balances[a].available, balances[b].available) == (118, 0)
    # the assignment and its undoing cancel out in the breakdown: what stays assigned is the 2 B used before it
    assert (balances[a].assigned_out, balances[a].assigned_in, balances[a].purchased) == (2, 0, 120)
    assert (balances[b].assigned_out, balances[b].assigned_in, balances[b].purchased) == (0, 2, 5)
    for balance in balances.values():
        assert balance.total == balance.purchased + balance.assigned_in - balance.assigned_out
    assert await check_ledger(contract, now=NOW) == []
    record = await Transfer.get(client_id='u')
    assert (record.made_by, record.undoes_id) == ('chef@example.com', (await Transfer.get(client_id='t')).id)
    replay = await ledger.undo_transfer(contract, client_id='u', transfer='t', now=NOW)
    assert (replay.created, replay.quantity) == (False, 48)
    with pytest.raises(NothingToUndo):
        await ledger.undo_transfer(contract, client_id='u2', transfer='t', now=NOW)
    with pytest.raises(InvalidInput):
        await ledger.undo_transfer(contract, client_id='u3', transfer='u', now=NOW)  # an undoing is not undone
    with pytest.raises(InvalidInput):
        await ledger.undo_transfer(contract, client_id='u4', transfer='nope', now=NOW)
    events = await token_events(contract, team=a, now=NOW)
    out = next(e for e in events if e.type == 'transfer_out')
    assert (out.made_by, out.transfer, out.undone) == ('chef@example.com', 't', True)
    assert [q for _, q in out.moved] == [20, 30]
    back = next(e for e in events if e.type == 'transfer_in')
    assert (back.undoes, back.counterparty_team) == ('t', b)
    lots = await contract_lots(contract, team=a, now=NOW)
    assert [(lot.id, lot.returned) for lot in lots if lot.origin == 'transfer'] == [
        ('u/t/soon', True),
        ('u/t/late', True),
    ]
    emptied = [lot for lot in await contract_lots(contract, team=b, now=NOW) if lot.origin == 'transfer']
    assert [(lot.id, lot.undone, lot.trace) for lot in emptied] == [('t/soon', True, True), ('t/late', True, True)]


async def test_nothing_left_to_undo(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    await buy(contract, 'p', 10, teams['A'], expires_at=NOW + 300 * DAY)
    await ledger.transfer(contract, client_id='t', from_team=teams['A'], to_team=teams['B'], quantity=10, now=NOW)
    await ledger.consume(contract, [use('e', 10, team=teams['B'])], now=NOW)
    with pytest.raises(NothingToUndo) as refusal:
        await ledger.undo_transfer(contract, client_id='u', transfer='t', now=NOW)
    assert not refusal.value.undone
    assert await Transfer.all().count() == 1
