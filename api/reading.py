"""Reading routes (balances:read): contracts, balances, token events, usage and its CSV export"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from api.auth import MAX_ID, ReadContract, Reader
from api.exact_json import ExactJSONRoute
from api.schemas import (
    UNDER_CONTRACT,
    BalanceOut,
    BalancesOut,
    CalendarDate,
    ContractList,
    ContractOut,
    NextExpiryOut,
    TokenEventOut,
    TokenEventsOut,
    Usage90Days,
    UsageReportOut,
    UsageRowOut,
    operation_id,
    quantity_out,
)
from services.accounts import contracts
from services.accounts.contracts import ContractInfo
from services.domain.dates import DEFAULT_RANGE_DAYS, EARLIEST, LATEST, DateRange, local_date
from services.domain.errors import InvalidInput
from services.infrastructure.clock import utcnow
from services.reading import exports
from services.reading.state import contract_balances
from services.reading.timeline import token_events
from services.reading.usage import By, UsageBreakdown, usage_breakdown

router = APIRouter(
    route_class=ExactJSONRoute, tags=['reading'], responses=UNDER_CONTRACT, generate_unique_id_function=operation_id
)

From = Annotated[
    CalendarDate | None,
    Query(
        alias='from', description='first date, inclusive (YYYY-MM-DD, contract time zone); default 89 days before `to`'
    ),
]
To = Annotated[CalendarDate | None, Query(description='last date, inclusive (YYYY-MM-DD); default today')]
TeamQuery = Annotated[int | None, Query(description='only this team')]
ByQuery = Annotated[By, Query(description='product (default), user, day or team')]


def date_range(contract: ContractInfo, start: date | None, end: date | None) -> DateRange:
    """The requested inclusive range (at most 366 days); a missing end is today, a missing start the 90 days up to
    the end."""
    end = end or local_date(utcnow(), contract.timezone)
    if not EARLIEST <= end <= LATEST:  # before any arithmetic with it
        raise InvalidInput('to', f'must lie between {EARLIEST} and {LATEST}')
    if start is None:
        start = max(EARLIEST, end - timedelta(days=DEFAULT_RANGE_DAYS - 1))
    return DateRange(start, end)


async def check_team(contract_id: int, team: int | None) -> None:
    """A team in the query must be one of the contract's (404 otherwise, like an object the URL names)."""
    if team is not None and (not 1 <= team <= MAX_ID or team not in await contracts.team_ids(contract_id)):
        raise HTTPException(404, f'team {team} does not exist in contract {contract_id}')


@router.get('/contracts', response_model=ContractList)
async def list_contracts(who: Reader) -> ContractList:
    """The contracts this key may see, sorted by name."""
    found = await contracts.list_contracts(None if who.contract_id is None else [who.contract_id])
    return ContractList(contracts=[ContractOut(**c.__dict__) for c in found])


@router.get('/contracts/{contract_id}/balances', response_model=BalancesOut)
async def balances(contract: ReadContract) -> BalancesOut:
    """One balance per team sorted by team name (Flex), or exactly one with `team: null` (cloud credits)."""
    result = await contract_balances(contract.id)
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
async def events(contract: ReadContract, team: TeamQuery = None, start: From = None, to: To = None) -> TokenEventsOut:
    """Purchases, expirations (with what remained) and transfers in and out, newest first; default the last 90
    days."""
    await check_team(contract.id, team)
    found = await token_events(contract.id, date_range(contract, start, to), team=team)
    out = []
    for e in found:
        item = TokenEventOut(type=e.type, date=e.date, team=e.team, quantity=quantity_out(e.quantity))
        if e.type.startswith('transfer'):
            item.counterparty_team = e.counterparty_team
        out.append(item)
    return TokenEventsOut(events=out)


async def _report(
    contract: ContractInfo, start: date | None, to: date | None, by: By, team: int | None
) -> UsageBreakdown:
    await check_team(contract.id, team)
    return await usage_breakdown(contract.id, date_range(contract, start, to), by=by, team=team)


def _key(key: object) -> str | int | None:
    return key.isoformat() if isinstance(key, date) else key  # type: ignore[return-value]


@router.get('/contracts/{contract_id}/usage', response_model=UsageReportOut)
async def usage(
    contract: ReadContract, start: From = None, to: To = None, by: ByQuery = 'product', team: TeamQuery = None
) -> UsageReportOut:
    """Usage summed by product, user, day or team over an inclusive date range (at most 366 days; default the
    last 90). Sorted by quantity, largest first; by day, oldest first. A team key is the team's id, `null` for
    usage tagged with no team."""
    report = await _report(contract, start, to, by, team)
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
    contract: ReadContract, start: From = None, to: To = None, by: ByQuery = 'product', team: TeamQuery = None
) -> Response:
    """The same rows as `GET …/usage`, as CSV with a header row."""
    report = await _report(contract, start, to, by, team)
    disposition = f'attachment; filename="{exports.usage_csv_name(report, contract.id)}"'
    return Response(exports.usage_csv(report), media_type='text/csv', headers={'Content-Disposition': disposition})
