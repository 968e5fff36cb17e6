"""Request and response bodies of the HTTP API v1

Quantities arrive as a JSON number or a plain decimal string, exact (see ``api.exact_json``), and leave as
strings. Unknown fields are refused, so that a misspelt field is an error rather than a silent default.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema

from api.auth import MAX_ID
from services.domain.checks import CONTROL, EMAIL, PLAIN_TEXT
from services.domain.quantity import QuantityError, format_quantity, to_units
from services.ingest.events import MAX_BATCH, MAX_PRODUCT, MAX_USER


def _quantity(value: object) -> Decimal:
    try:
        to_units(value)
    except QuantityError as error:
        raise ValueError(str(error)) from None
    return Decimal(value) if isinstance(value, (str, int)) else value  # type: ignore[return-value]


Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    WithJsonSchema(
        {
            'anyOf': [
                {'type': 'string', 'pattern': r'^(?!0+(\.0+)?$)[0-9]{1,12}(\.[0-9]{1,4})?$'},
                {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 999_999_999_999.9999, 'multipleOf': 0.0001},
            ],
            'description': 'an exact decimal > 0, at most 12 integer and 4 fractional digits',
            'examples': ['12.5'],
        }
    ),
]
QuantityOut = Annotated[str, Field(description='an exact decimal, as a string', examples=['1250.5'])]
Scope = Literal[
    'usage:write', 'balances:read', 'transfers:write', 'alerts:write', 'entitlements:read', 'controls:write'
]


def _no_control_characters(value: object) -> object:
    if isinstance(value, str) and CONTROL.search(value):
        raise ValueError('must not contain control characters')
    return value


# texts are 1 to N characters, not blank, without control characters: what the services check, said in the schema
NO_CONTROL = BeforeValidator(_no_control_characters)
ClientId = Annotated[
    str,
    NO_CONTROL,
    Field(min_length=1, max_length=128, pattern=PLAIN_TEXT, description='the client id, unique per contract and kind'),
]
TeamId = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description='a team id of this contract', examples=[1])]


def _calendar_date(value: object) -> date:
    """``YYYY-MM-DD`` and nothing else: pydantic would read ``0`` as 1970-01-01."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r'[0-9]{4}-[0-9]{2}-[0-9]{2}', value):
        raise ValueError('must be a date written YYYY-MM-DD')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f'{value} is not a date of the calendar') from None


CalendarDate = Annotated[
    date,
    BeforeValidator(_calendar_date),
    WithJsonSchema({'type': 'string', 'format': 'date', 'pattern': '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'}),
]


def _written_time(value: object) -> object:
    """A timestamp is written (ISO 8601 with an offset): pydantic would read a number as seconds since 1970."""
    if not isinstance(value, (str, datetime)):
        raise ValueError('must be a time written like 2026-11-23T10:00:00Z, with its offset')
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_written_time)]


def quantity_out(value: Decimal) -> str:
    return format_quantity(value)


class Body(BaseModel):
    model_config = ConfigDict(extra='forbid')


class ContractIn(Body):
    name: Annotated[
        str,
        NO_CONTROL,
        Field(min_length=1, max_length=200, pattern=PLAIN_TEXT, examples=['Atelier Lumière Architectes']),
    ]
    region: Annotated[str, Field(pattern='^[A-Za-z]{2}$', description='ISO 3166-1 alpha-2', examples=['FR'])]
    timezone: Annotated[
        str,
        NO_CONTROL,
        Field(
            min_length=1, max_length=64, pattern=PLAIN_TEXT, description='an IANA time zone', examples=['Europe/Paris']
        ),
    ] = 'UTC'


class ContractOut(BaseModel):
    id: int
    name: str
    region: str
    mode: Literal['flex', 'cloud_credits']
    timezone: str


class ContractList(BaseModel):
    contracts: list[ContractOut]


class TeamIn(Body):
    name: Annotated[str, NO_CONTROL, Field(min_length=1, max_length=100, pattern=PLAIN_TEXT, examples=['Structure'])]


class TeamOut(BaseModel):
    id: int
    name: str


class AdminIn(Body):
    email: Annotated[str, NO_CONTROL, Field(min_length=3, max_length=254, pattern=EMAIL, examples=['ana@example.com'])]
    password: Annotated[
        str | None,
        Field(min_length=12, max_length=1024, description='at least 12 characters; required for a new e-mail'),
    ] = None


class AdminOut(BaseModel):
    id: int
    email: str


class ApiKeyIn(Body):
    scopes: Annotated[list[Scope], Field(min_length=1, examples=[['usage:write', 'balances:read']])]


class ApiKeyOut(BaseModel):
    id: int
    key: Annotated[str, Field(description='shown once: only a digest is kept')]
    scopes: list[str]


class PurchaseIn(Body):
    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'id': 'order-8841', 'team': 1, 'quantity': '5000', 'purchased_at': '2026-11-23T09:00:00Z'},
            ]
        },
    )

    id: ClientId
    team: TeamId | None = None
    quantity: Quantity
    purchased_at: Timestamp | None = None
    expires_at: Timestamp | None = None


class PurchaseOut(BaseModel):
    id: str
    team: int | None
    quantity: QuantityOut
    purchased_at: datetime
    expires_at: datetime


class UsageEventIn(Body):
    id: ClientId
    team: TeamId | None = None
    user: Annotated[
        str, NO_CONTROL, Field(min_length=1, max_length=MAX_USER, pattern=PLAIN_TEXT, examples=['ana@example.com'])
    ]
    product: Annotated[
        str, NO_CONTROL, Field(min_length=1, max_length=MAX_PRODUCT, pattern=PLAIN_TEXT, examples=['render-studio'])
    ]
    quantity: Quantity
    occurred_at: Timestamp


class UsageIn(Body):
    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {
                    'events': [
                        {
                            'id': 'feed-2026-11-23-0001',
                            'team': 1,
                            'user': 'ana@example.com',
                            'product': 'render-studio',
                            'quantity': '4',
                            'occurred_at': '2026-11-23T10:00:00Z',
                        },
                    ]
                }
            ]
        },
    )

    events: Annotated[list[UsageEventIn], Field(min_length=1, max_length=MAX_BATCH)]


class UsageAccepted(BaseModel):
    accepted: int
    duplicates: int


class TransferIn(Body):
    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'id': 'assign-42', 'from_team': 4, 'to_team': 1, 'quantity': '800'},
            ]
        },
    )

    id: ClientId
    from_team: TeamId
    to_team: TeamId
    quantity: Quantity


class LotOut(BaseModel):
    expires_at: datetime
    quantity: QuantityOut


class TransferPreview(BaseModel):
    lots: list[LotOut]


class TransferOut(BaseModel):
    id: str
    from_team: int
    to_team: int
    quantity: QuantityOut
    lots: list[LotOut]


class NextExpiryOut(BaseModel):
    date: date
    days_left: int
    quantity: QuantityOut


class Usage90Days(BaseModel):
    products: int
    users: int


class BalanceOut(BaseModel):
    team: int | None
    team_name: str | None
    available: QuantityOut
    used: QuantityOut
    expired: QuantityOut
    total: QuantityOut
    health: Literal['green', 'red']
    next_expiry: NextExpiryOut | None
    expiring_within_90_days: QuantityOut
    alert: bool
    usage_90_days: Usage90Days


class BalancesOut(BaseModel):
    contract: int
    mode: Literal['flex', 'cloud_credits']
    as_of: datetime
    balances: list[BalanceOut]


class TokenEventOut(BaseModel):
    type: Literal['purchase', 'expiration', 'transfer_in', 'transfer_out']
    date: date
    team: int | None
    quantity: QuantityOut
    counterparty_team: int | None = None


class TokenEventsOut(BaseModel):
    events: list[TokenEventOut]


class UsageRowOut(BaseModel):
    key: str | int | None
    quantity: QuantityOut


class UsageReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Annotated[date, Field(alias='from')]
    to: date
    by: Literal['product', 'user', 'day', 'team']
    total: QuantityOut
    rows: list[UsageRowOut]


class ErrorOut(BaseModel):
    """A refusal: what was wrong, in words."""

    detail: str


class ConflictOut(ErrorOut):
    """A refusal of the ledger's state; ``id`` names the usage event the balance could not cover."""

    id: str | None = None


class ProblemOut(BaseModel):
    loc: list[str | int] = Field(
        description='where: ["body", field], ["body", "events", index, field], ["query", name]'
    )
    msg: str
    type: str


class InvalidOut(BaseModel):
    """Invalid input (422): each problem, naming the field."""

    detail: list[ProblemOut]


def _answer(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {'model': model, 'description': description}


KEYED: dict[int | str, dict[str, Any]] = {
    401: _answer(ErrorOut, 'no key, or a key this service does not know'),
    403: _answer(ErrorOut, "the key lacks the scope this route needs, or the route is the operator's"),
    422: _answer(InvalidOut, 'invalid input, each problem naming its field'),
}
UNDER_CONTRACT: dict[int | str, dict[str, Any]] = {
    **KEYED,
    404: _answer(ErrorOut, 'no such contract (or not one this key may see), or no such team in a query'),
}
WITH_BODY: dict[int | str, dict[str, Any]] = {
    **UNDER_CONTRACT,
    413: _answer(ErrorOut, 'a body over 1 MB'),
}
WRITING: dict[int | str, dict[str, Any]] = {
    **WITH_BODY,
    409: _answer(ConflictOut, 'the ledger refuses: too little available, an id reused with another payload, …'),
}


def operation_id(route: APIRoute) -> str:
    """Operation ids that a generated client can name its calls after: the route function's name."""
    return route.name
