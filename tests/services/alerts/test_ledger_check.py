"""The ledger's full check on a schedule: one process runs it on every contract, and says loudly what it finds — in
the log, and once in the contract's bell (and once again when the books balance again)"""

import importlib
import logging
from datetime import timedelta

import pytest
from tortoise import connections

from services import ledger
from services.accounts.contracts import get_contract
from services.alerts.books import FIRST_AFTER, KIND, LedgerCheck
from services.alerts.history import latest_alerts
from services.alerts.messages import summary
from tests.helpers import DAY, NOW, MovedClock, buy, flex_contract, until, use

KEPT = importlib.import_module('models.migrations.0013_remaining_kept_by_the_database')


async def _drift(contract: int, remaining: int) -> None:
    """What the database refuses to the code: write a lot's ``remaining`` past its guard, as a hand in the database
    (or a bug in it) could — the guard is set aside for the one statement, and put back."""
    conn = connections.get('default')
    if conn.capabilities.dialect == 'postgres':
        await conn.execute_script(
            'ALTER TABLE lot DISABLE TRIGGER lot_remaining_guarded; '
            f'UPDATE lot SET remaining = {remaining} WHERE contract_id = {contract}; '
            'ALTER TABLE lot ENABLE TRIGGER lot_remaining_guarded'
        )
    else:
        guard = next(statement for statement in KEPT.SQLITE if 'TRIGGER lot_remaining_guarded' in statement)
        await conn.execute_script('DROP TRIGGER lot_remaining_guarded')
        await conn.execute_query(f'UPDATE lot SET remaining = {remaining} WHERE contract_id = {contract}')
        await conn.execute_script(guard)


async def test_the_scheduled_check_finds_a_drifted_cache_logs_it_and_tells_the_bell_once(
    db: str, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    contract, teams = await flex_contract('A')
    await buy(contract, 'p', 100, teams['A'], expires_at=NOW + 300 * DAY)
    await ledger.consume(contract, [use('e', 30, team=teams['A'])], now=NOW)
    clock = MovedClock(NOW)
    check = LedgerCheck(db_url, timedelta(hours=24), clock)
    check.start()
    try:
        await until(lambda: clock.seen == NOW)  # waiting for its first run, an hour after start
        assert check.runs == 0
        clock.move(FIRST_AFTER)
        await until(lambda: check.runs == 1)
        assert check.problems == {}  # the books balance
        assert await latest_alerts(contract) == ()
        await _drift(contract, 750_000)  # the cache drifts: 75 tokens, the entries say 70
        clock.move(timedelta(hours=23))
        await until(lambda: clock.seen == NOW + FIRST_AFTER + timedelta(hours=23))
        assert check.runs == 1  # not before its time
        with caplog.at_level(logging.ERROR, logger='balances.ledger'):
            clock.move(timedelta(hours=1))
            await until(lambda: check.runs == 2)
        problems = check.problems[contract]
        assert 'remaining 750000 but its entries sum to 700000' in problems[0], problems
        assert f'discrepancies in contract {contract}' in caplog.text
        (alert,) = await latest_alerts(contract)
        assert (alert.kind, alert.state, alert.rule, alert.cap) == (KIND, 'firing', None, None)
        assert 'remaining 750000 but its entries sum to 700000' in alert.message
        info = await get_contract(contract)
        said = summary(alert.crossing(info), 'fr')  # as the bell says it (two: the lot's cache, the team's used)
        assert said == (
            f'{info.name}\u00a0: la vérification du registre a trouvé 2 écarts dans les comptes '
            '(le détail est dans le journal du serveur)'
        ), said

        clock.move(timedelta(hours=24))  # still drifted: said once, not every day
        await until(lambda: check.runs == 3)
        assert len(await latest_alerts(contract)) == 1

        await _drift(contract, 700_000)  # put right
        clock.move(timedelta(hours=24))
        await until(lambda: check.runs == 4)
        assert check.problems == {}
        resolved, fired = await latest_alerts(contract)
        assert (resolved.kind, resolved.state, fired.id) == (KIND, 'resolved', alert.id)
    finally:
        await check.stop()
