"""Alert rules (alerts:write) and the alert history (balances:read)"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from api.auth import AlertsContract, ReadContract, parse_id
from api.exact_json import ExactJSONRoute
from api.reading import From, To, date_range
from api.schemas import UNDER_CONTRACT, WITH_BODY, Body, TeamId, operation_id, quantity_out
from services.accounts.admins import contract_admin_emails
from services.alerts import add_rule
from services.alerts.history import alert_history
from services.alerts.rules import RuleInfo, delete_rule, list_rules
from services.domain.alerting import DAY_KINDS, MAX_EMAILS, MAX_URL, Kind
from services.domain.checks import EMAIL
from services.domain.errors import UnknownRule

router = APIRouter(route_class=ExactJSONRoute, tags=['alerts'], generate_unique_id_function=operation_id)


def _exact(value: object) -> object:
    """A threshold as sent (a JSON number arrives as an exact decimal); the service checks it against the kind."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ValueError('must be a number or a decimal string')
    return value


Threshold = Annotated[
    Any,
    BeforeValidator(_exact),
    WithJsonSchema(
        {
            'anyOf': [
                {'type': 'string', 'pattern': r'^[0-9]{1,12}(\.[0-9]{1,4})?$'},
                {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 999_999_999_999.9999},
            ],
            'description': 'a percentage in (0, 100] (available_below_percent), a quantity > 0 (available_below), '
            'or whole days from 1 to 3650 (expiring_within_days, runs_out_within_days)',
            'examples': [90],
        }
    ),
]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=EMAIL)]


class RuleIn(Body):
    kind: Kind
    threshold: Threshold
    team: TeamId | None = None
    emails: Annotated[list[Email] | None, Field(max_length=MAX_EMAILS)] = None
    webhook_url: Annotated[str | None, Field(min_length=8, max_length=MAX_URL, pattern='^https?://[^\\s]+$')] = None


class RuleOut(BaseModel):
    id: int
    kind: Kind
    threshold: Annotated[int | str, Field(description='days as an integer; a percentage or a quantity as a string')]
    team: int | None
    emails: list[str]
    administrators: Annotated[bool, Field(description="also e-mailed to the contract's administrators")] = False
    webhook_url: str | None
    webhook_secret: Annotated[str | None, Field(description='shown once, in the answer to the creation')] = None


class RulesOut(BaseModel):
    rules: list[RuleOut]


def _out(rule: RuleInfo, admins: list[str]) -> RuleOut:
    threshold: int | str = int(rule.threshold) if rule.kind in DAY_KINDS else quantity_out(rule.threshold)
    emails = list(rule.emails) + [email for email in admins if rule.to_admins and email not in rule.emails]
    out = RuleOut(
        id=rule.id,
        kind=rule.kind,
        threshold=threshold,
        team=rule.team,
        emails=emails,
        administrators=rule.to_admins,
        webhook_url=rule.webhook_url,
    )
    if rule.webhook_secret:
        out.webhook_secret = rule.webhook_secret
    return out


@router.post(
    '/contracts/{contract_id}/alert-rules',
    status_code=201,
    response_model=RuleOut,
    response_model_exclude_unset=True,
    responses=WITH_BODY,
)
async def create_alert_rule(contract: AlertsContract, body: RuleIn, request: Request) -> RuleOut:
    """Add a rule; it is evaluated at once (a condition that already holds fires now, once). The webhook's
    secret is in this answer only."""
    rule = await add_rule(
        contract.id,
        kind=body.kind,
        threshold=body.threshold,
        team=body.team,
        emails=body.emails,
        webhook=body.webhook_url,
        allow_private=bool(getattr(request.app.state, 'webhook_allow_private', False)),
    )
    return _out(rule, await contract_admin_emails(contract.id))


@router.get('/contracts/{contract_id}/alert-rules', response_model=RulesOut, responses=UNDER_CONTRACT)
async def list_alert_rules(contract: AlertsContract) -> RulesOut:
    """The contract's rules, oldest first (every contract starts with the seed's: tokens expiring within 90 days,
    every holder, to its administrators)."""
    admins = await contract_admin_emails(contract.id)
    out = [_out(rule, admins) for rule in await list_rules(contract.id)]
    for rule in out:
        rule.webhook_secret = None
    return RulesOut(rules=out)


RulePath = Annotated[str, Path(description='an alert rule id', examples=['1'])]


@router.delete(
    '/contracts/{contract_id}/alert-rules/{rule_id}', status_code=204, response_class=Response, responses=UNDER_CONTRACT
)
async def delete_alert_rule(contract: AlertsContract, rule_id: RulePath) -> Response:
    """Stop a rule (its past alerts stay in the history)."""
    parsed = parse_id(rule_id)
    if parsed is None:
        raise UnknownRule(rule_id)
    await delete_rule(contract.id, parsed)
    return Response(status_code=204)


class DeliveryOut(BaseModel):
    channel: Literal['email', 'webhook']
    target: str
    status: Literal['pending', 'sent', 'failed']
    attempts: int


class AlertOut(BaseModel):
    id: int
    rule: Annotated[
        int | None, Field(description="the rule that crossed; null for a cap's notice and the ledger check's finding")
    ]
    cap: Annotated[
        int | None,
        Field(description='the cap whose notify stage was reached; null for any other alert'),
    ]
    team: int | None
    state: Literal['firing', 'resolved']
    at: datetime
    message: str
    deliveries: list[DeliveryOut]


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


@router.get('/contracts/{contract_id}/alerts', response_model=AlertsOut, responses=UNDER_CONTRACT)
async def alerts(contract: ReadContract, start: From = None, to: To = None) -> AlertsOut:
    """Crossings of the contract's rules whose date lies in the range (default the last 90 days), newest first,
    each with the state of its deliveries."""
    found = await alert_history(contract.id, date_range(contract, start, to))
    return AlertsOut(
        alerts=[
            AlertOut(
                id=a.id,
                rule=a.rule,
                cap=a.cap,
                team=a.team,
                state='resolved' if a.state == 'resolved' else 'firing',
                at=a.at,
                message=a.message,
                deliveries=[
                    DeliveryOut(
                        channel='webhook' if d.channel == 'webhook' else 'email',
                        target=d.target,
                        status='sent' if d.status == 'sent' else 'failed' if d.status == 'failed' else 'pending',
                        attempts=d.attempts,
                    )
                    for d in a.deliveries
                ],
            )
            for a in found
        ]
    )
