"""The ledger's full check on a schedule: one process runs it on every contract, and says loudly what it finds"""

import logging
from datetime import timedelta

import pytest

from models import Lot
from services import ledger
from services.reading.audit import FIRST_AFTER, LedgerCheck
from tests.helpers import DAY, NOW, MovedClock, buy, flex_contract, until, use


async def test_the_scheduled_check_finds_a_drifted_cache_and_logs_it(
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
        await Lot.filter(contract_id=contract).update(
            remaining=750_000
        )  # the cache drifts: 75 tokens, the entries say 70
        clock.move(timedelta(hours=23))
        await until(lambda: clock.seen == NOW + FIRST_AFTER + timedelta(hours=23))
        assert check.runs == 1  # not before its time
        with caplog.at_level(logging.ERROR, logger='balances.ledger'):
            clock.move(timedelta(hours=1))
            await until(lambda: check.runs == 2)
        problems = check.problems[contract]
        assert 'remaining 750000 but its entries sum to 700000' in problems[0], problems
        assert f'discrepancies in contract {contract}' in caplog.text
    finally:
        await check.stop()
