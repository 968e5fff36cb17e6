"""Reading routes (balances:read): contracts, balances, token events, usage and its CSV export"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from api.auth import CallerDep, visible_contract
from api.schemas import (
    BalanceOut,
    BalancesOut,
    ContractList,
    ContractOut,
    NextExpiryOut,
    TokenEventOut,
    TokenEventsOut,
    Usage90Days,
    UsageReportOut,
    UsageRowOut,
    quantity_out,
)
from services.accounts import contracts
from services.accounts.contracts import ContractInfo
from services.domain.dates import DEFAULT_RANGE_DAYS, DateRange, local_date
from services.infrastructure.clock import utcnow
from services.reading import exports
from services.reading.balances import contract_balances
from services.reading.timeline import token_events
from services.reading.usage import By, UsageBreakdown, usage_breakdown

router = APIRouter(tags=['reading'])

From = Annotated[date | None, Query(alias='from', description='first date, inclusive (contract time zone)')]
To = Annotated[date | None, Query(description='last date, inclusive; default today')]
TeamQuery = Annotated[int | None, Query(description='only this team')]
ByQuery = Annotated[By, Query(description='product (default), user, day or team')]


def date_range(contract: ContractInfo, start: date | None, end: date | None) -> DateRange:
    """The requested inclusive range; a missing end is today, a missing start the 90 days up to the end."""
    end = end or local_date(utcnow(), contract.timezone)
    return DateRange(start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1), end)


async def check_team(contract_id: int, team: int | None) -> None:
    if team is not None and team not in {t.id for t in await contracts.list_teams(contract_id)}:
        raise HTTPException(404, f'team {team} does not exist in contract {contract_id}')


@router.get('/contracts', response_model=ContractList)
async def list_contracts(who: CallerDep) -> ContractList:
    """The contracts this key may see, sorted by name."""
    if not who.may('balances:read'):
        raise HTTPException(403, 'this key lacks the balances:read scope')
    found = await contracts.list_contracts(None if who.contract_id is None else [who.contract_id])
    return ContractList(contracts=[ContractOut(**c.__dict__) for c in found])


@router.get('/contracts/{contract_id}/balances', response_model=BalancesOut)
async def balances(contract_id: int, who: CallerDep) -> BalancesOut:
    """One balance per team sorted by team name (Flex), or exactly one with `team: null` (cloud credits)."""
    contract = await visible_contract(contract_id, who, 'balances:read')
    result = await contract_balances(contract_id)
    return BalancesOut(
        contract=contract.id,
        mode=contract.mode,
        as_of=result.as_of,
        balances=[
            BalanceOut(
                team=b.team,
                team_name=b.team_name,
                available=quantity_out(b.available),
                used=quantity_out(b.used),
                expired=quantity_out(b.expired),
                total=quantity_out(b.total),
                health=b.health,
                next_expiry=NextExpiryOut(
                    date=b.next_expiry.date,
                    days_left=b.next_expiry.days_left,
                    quantity=quantity_out(b.next_expiry.quantity),
                )
                if b.next_expiry
                else None,
                expiring_within_90_days=quantity_out(b.expiring_within_90_days),
                alert=b.alert,
                usage_90_days=Usage90Days(products=b.products_90_days, users=b.users_90_days),
            )
            for b in result.balances
        ],
    )


@router.get('/contracts/{contract_id}/events', response_model=TokenEventsOut, response_model_exclude_unset=True)
async def events(
    contract_id: int, who: CallerDep, team: TeamQuery = None, start: From = None, to: To = None
) -> TokenEventsOut:
    """Purchases, expirations (with what remained) and transfers in and out, newest first; default the last 90
    days."""
    contract = await visible_contract(contract_id, who, 'balances:read')
    await check_team(contract_id, team)
    found = await token_events(contract_id, date_range(contract, start, to), team=team)
    out = []
    for e in found:
        item = TokenEventOut(type=e.type, date=e.date, team=e.team, quantity=quantity_out(e.quantity))
        if e.type.startswith('transfer'):
            item.counterparty_team = e.counterparty_team
        out.append(item)
    return TokenEventsOut(events=out)


async def _report(
    contract_id: int, who: CallerDep, start: date | None, to: date | None, by: By, team: int | None
) -> UsageBreakdown:
    contract = await visible_contract(contract_id, who, 'balances:read')
    await check_team(contract_id, team)
    return await usage_breakdown(contract_id, date_range(contract, start, to), by=by, team=team)


def _key(key: object) -> str | int | None:
    return key.isoformat() if isinstance(key, date) else key  # type: ignore[return-value]


@router.get('/contracts/{contract_id}/usage', response_model=UsageReportOut)
async def usage(
    contract_id: int, who: CallerDep, start: From = None, to: To = None, by: ByQuery = 'product', team: TeamQuery = None
) -> UsageReportOut:
    """Usage summed by product, user, day or team over an inclusive date range (at most 366 days; default the
    last 90). Sorted by quantity, largest first; by day, oldest first. A team key is the team's id, `null` for
    usage tagged with no team."""
    report = await _report(contract_id, who, start, to, by, team)
    return UsageReportOut(
        from_=report.range.start,
        to=report.range.end,
        by=report.by,
        total=quantity_out(report.total),
        rows=[UsageRowOut(key=_key(r.key), quantity=quantity_out(r.quantity)) for r in report.rows],
    )


@router.get(
    '/contracts/{contract_id}/usage.csv',
    response_class=Response,
    responses={200: {'content': {'text/csv': {'example': 'key,quantity\nrender-studio,120.5\n'}}}},
)
async def usage_csv(
    contract_id: int, who: CallerDep, start: From = None, to: To = None, by: ByQuery = 'product', team: TeamQuery = None
) -> Response:
    """The same rows as `GET …/usage`, as CSV with a header row."""
    report = await _report(contract_id, who, start, to, by, team)
    disposition = f'attachment; filename="{exports.usage_csv_name(report, contract_id)}"'
    return Response(exports.usage_csv(report), media_type='text/csv', headers={'Content-Disposition': disposition})
