"""The ledger's full check in production: one process of the deployment checks every contract on a schedule

``BALANCES_LEDGER_CHECK_HOURS`` (24; the first an hour after start, not while a deployment warms up), one contract
at a time. Should the books of a contract ever not balance, it says so where people look: an error in the log naming
the contract and each discrepancy, and an alert in the contract's bell — once, when the discrepancies appear, and a
``resolved`` one when a later check finds the books balanced again (once per crossing, as every alert). No e-mail:
it is for the vendor's operators and the administrators who see the bell, and the log has the details.
"""

import asyncio
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from models import Alert, Contract
from services.accounts.contracts import get_contract
from services.alerts.messages import Crossing, summary
from services.domain.quantity import SCALE
from services.infrastructure import bus, coordination, tasks
from services.infrastructure.clock import Clock
from services.reading.audit import check_ledger

KIND = 'ledger_check'
FIRST_AFTER = timedelta(hours=1)  # after start: not while a deployment is warming up
log = logging.getLogger('balances.ledger')


class LedgerCheck:
    """The full check of every contract, every ``every``, by the one process that holds its lock."""

    def __init__(self, db_url: str, every: timedelta, clock: Clock | None = None) -> None:
        self.leadership = coordination.Leadership(db_url, coordination.LEDGER_CHECK)
        self.every, self.clock = every, clock or Clock()
        self.runs = 0
        self.problems: dict[int, list[str]] = {}  # the last run's discrepancies, by contract
        self._task: asyncio.Task[None] | None = None
        self._never = asyncio.Event()  # nothing wakes it but time

    def start(self) -> None:
        if self.every > timedelta(0):
            self._task = asyncio.create_task(self._run(), name='ledger check')

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        await self.leadership.release()

    async def _run(self) -> None:
        due = self.clock.now() + FIRST_AFTER
        while True:
            await self.clock.wait(due, self._never)
            due = self.clock.now() + self.every
            try:
                await self.leadership.run(self.run_once)
            except Exception:  # the next run tries again
                log.exception('the ledger check failed')

    async def run_once(self) -> dict[int, list[str]]:
        """Check every contract, one at a time (yielding between them); log each discrepancy found, and tell the
        contract's bell when its books stop or start balancing again."""
        found: dict[int, list[str]] = {}
        ids = [int(str(contract)) for contract in await Contract.all().order_by('id').values_list('id', flat=True)]
        for contract_id in ids:
            now = self.clock.now()
            problems = await check_ledger(contract_id, now=now)
            if problems:
                found[contract_id] = problems
                log.error(
                    'the ledger check found %d discrepancies in contract %s: %s',
                    len(problems),
                    contract_id,
                    '; '.join(problems),
                )
            await _tell_the_bell(contract_id, problems, now)
            await asyncio.sleep(0)  # the pages' work between two contracts
        self.problems, self.runs = found, self.runs + 1
        return found


async def _tell_the_bell(contract_id: int, problems: list[str], now: datetime) -> None:
    """Record a ``firing`` alert when the books stop balancing, a ``resolved`` one when they balance again."""
    async with in_transaction('default') as conn:
        last = await Alert.filter(contract_id=contract_id, kind=KIND).using_db(conn).order_by('-id').first()
        firing = last is not None and last.state == 'firing'
        if bool(problems) == firing:
            return  # no crossing: nothing new to say
        contract = await get_contract(contract_id)
        state = 'firing' if problems else 'resolved'
        said = books_crossing(contract.id, contract.name, contract.mode, len(problems), state, now)
        details = '; '.join(problems)
        await Alert.create(
            contract_id=contract_id,
            kind=KIND,
            threshold=len(problems) * SCALE,  # a count, stored as every threshold is
            state=state,
            at=now,
            available=0,
            total=0,
            expiring=0,
            message=f'{summary(said, "en")}: {details}' if details else summary(said, 'en'),
            using_db=conn,
        )
        await bus.announce_alerts(conn, contract_id)
    bus.publish_alerts(contract_id)


def books_crossing(contract: int, name: str, mode: str, discrepancies: int, state: str, at: datetime) -> Crossing:
    """The check's finding as a crossing (``threshold``: how many discrepancies), to be said in any language."""
    return Crossing(
        rule=0,
        contract=contract,
        contract_name=name,
        holder=0,
        team=None,
        name=name,
        mode=mode,
        kind=KIND,
        threshold=Decimal(discrepancies),
        state=state,
        at=at,
        available=0,
        total=0,
        expiring=0,
        expiring_days=0,
        next_expiry=None,
        runs_out_on=None,
    )
