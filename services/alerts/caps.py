"""Caps' notices: a notify stage reached sends one alert per cap, stage and period, through the alerts' outbox

Evaluated with the rules, by the one process of the deployment that evaluates (``watch.AlertWatch``), for the
contracts whose usage changed. The notice (``cap_notice``: unique per cap, period and stage), its alert (``rule``
null, ``cap`` set) and its deliveries — an e-mail to each of the contract's administrators, and the bell — are
written in one transaction, after the notice's insert found its key new: however many evaluators, once.
"""

from collections.abc import Collection
from datetime import datetime

from tortoise.transactions import in_transaction

from models import Admin, AdminGrant, Alert, AlertDelivery, Cap, Holder
from services.accounts.contracts import ContractInfo, get_contracts
from services.alerts.messages import Crossing, summary
from services.controls.caps import CapInfo, caps_of, period_start
from services.domain import regions
from services.domain.dates import local_date
from services.domain.quantity import SCALE
from services.infrastructure import bus, database
from services.infrastructure.clock import resolve

KIND = 'cap'


def crossing(cap: CapInfo, contract: ContractInfo, name: str, at_percent: int, now: datetime) -> Crossing:
    """A notify stage reached, said as a crossing (what the history, the bell and the e-mail say)."""
    return Crossing(
        rule=0,
        contract=contract.id,
        contract_name=contract.name,
        holder=0,
        team=cap.team,
        name=name,
        mode=contract.mode,
        kind=KIND,
        threshold=at_percent,  # type: ignore[arg-type]
        state='firing',
        at=now,
        available=int(cap.used * SCALE),
        total=int(cap.limit * SCALE),
        expiring=0,
        expiring_days=0,
        next_expiry=None,
        runs_out_on=None,
        timezone=contract.timezone,
        cap_user=cap.user,
        cap_product=cap.product,
        cap_period=cap.period,
    )


async def notify_caps(contract_ids: Collection[int], *, now: datetime | None = None) -> list[int]:
    """Record the notices of the notify stages the contracts' caps reached this period (each once); their ids."""
    now = resolve(now)
    capped = Cap.filter(contract_id__in=list(contract_ids), deleted_at=None)
    with_caps = {int(str(contract)) for contract in await capped.values_list('contract_id', flat=True)}
    recorded = []
    for contract in await get_contracts(with_caps):
        async with database.snapshot() as conn:
            caps = await caps_of(conn, contract, now)
        due = [
            (cap, stage.at_percent)
            for cap in caps
            for stage in cap.stages
            if stage.action == 'notify' and cap.stage is not None and stage.at_percent <= cap.stage
        ]
        if due:
            recorded += await _record(contract, due, now)
    return recorded


async def _record(contract: ContractInfo, due: list[tuple[CapInfo, int]], now: datetime) -> list[int]:
    today = local_date(now, contract.timezone)
    teams = dict(await Holder.filter(contract_id=contract.id).values_list('team_id', 'id'))
    names = dict(
        await Holder.filter(contract_id=contract.id, team_id__not_isnull=True).values_list('team_id', 'team__name')
    )
    recorded = []
    async with in_transaction('default') as conn:
        admins = [
            str(e)
            for e in await AdminGrant.filter(contract_id=contract.id)
            .using_db(conn)
            .values_list('admin__email', flat=True)
        ]
        languages = dict(await Admin.filter(email__in=admins).using_db(conn).values_list('email', 'language'))
        for cap, at_percent in due:
            inserted = await database.insert_rows(
                conn,
                'cap_notice',
                ('cap_id', 'period_start', 'at_percent'),
                [(cap.id, period_start(cap.period, today), at_percent)],
                suffix='ON CONFLICT (cap_id, period_start, at_percent) DO NOTHING RETURNING id',
            )
            if not inserted:
                continue  # noticed already, here or by another evaluator
            said = crossing(cap, contract, str(names.get(cap.team) or contract.name), at_percent, now)
            alert = await Alert.create(
                contract_id=contract.id,
                rule_id=None,
                cap_id=cap.id,
                holder_id=teams.get(cap.team) if contract.is_flex and cap.team is not None else None,
                team_id=cap.team,
                kind=KIND,
                threshold=at_percent * SCALE,
                state='firing',
                at=now,
                available=said.available,
                total=said.total,
                expiring=0,
                message=summary(said, 'en'),
                using_db=conn,
            )
            default = regions.language_of_region(contract.region)
            await AlertDelivery.bulk_create(
                [
                    AlertDelivery(
                        alert_id=alert.id,
                        contract_id=contract.id,
                        channel='email',
                        target=address,
                        language=str(languages.get(address) or default),
                        status='pending',
                        next_attempt_at=now,
                    )
                    for address in dict.fromkeys(admins)
                ],
                using_db=conn,
            )
            recorded.append(int(alert.id))
        if recorded:
            await bus.announce_alerts(conn, contract.id)
    if recorded:
        bus.publish_alerts(contract.id)
    return recorded
