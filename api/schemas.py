"""Request and response bodies of the HTTP API v1

Quantities arrive as a JSON number or a plain decimal string, exact (see ``api.exact_json``), and leave as
strings. Unknown fields are refused, so that a misspelt field is an error rather than a silent default.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema

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
            'anyOf': [{'type': 'string', 'pattern': r'^\d{1,12}(\.\d{1,4})?$'}, {'type': 'number'}],
            'description': 'an exact decimal > 0, at most 12 integer and 4 fractional digits',
            'examples': ['12.5'],
        }
    ),
]
QuantityOut = Annotated[str, Field(description='an exact decimal, as a string', examples=['1250.5'])]
ClientId = Annotated[
    str, Field(min_length=1, max_length=128, description='the client id, unique per contract and kind')
]
TeamId = Annotated[StrictInt, Field(description='a team id of this contract', examples=[1])]


def quantity_out(value: Decimal) -> str:
    return format_quantity(value)


class Body(BaseModel):
    model_config = ConfigDict(extra='forbid')


class ContractIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200, examples=['Atelier Lumière Architectes'])]
    region: Annotated[str, Field(description='ISO 3166-1 alpha-2', examples=['FR'])]
    timezone: Annotated[str, Field(description='an IANA time zone', examples=['Europe/Paris'])] = 'UTC'


class ContractOut(BaseModel):
    id: int
    name: str
    region: str
    mode: Literal['flex', 'cloud_credits']
    timezone: str


class ContractList(BaseModel):
    contracts: list[ContractOut]


class TeamIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=['Structure'])]


class TeamOut(BaseModel):
    id: int
    name: str


class AdminIn(Body):
    email: Annotated[str, Field(max_length=254, examples=['ana@example.com'])]
    password: Annotated[str | None, Field(description='at least 12 characters; required for a new e-mail')] = None


class AdminOut(BaseModel):
    id: int
    email: str


class ApiKeyIn(Body):
    scopes: Annotated[list[str], Field(min_length=1, examples=[['usage:write', 'balances:read']])]


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
    purchased_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None


class PurchaseOut(BaseModel):
    id: str
    team: int | None
    quantity: QuantityOut
    purchased_at: datetime
    expires_at: datetime


class UsageEventIn(Body):
    id: ClientId
    team: TeamId | None = None
    user: Annotated[str, Field(min_length=1, max_length=MAX_USER, examples=['ana@example.com'])]
    product: Annotated[str, Field(min_length=1, max_length=MAX_PRODUCT, examples=['render-studio'])]
    quantity: Quantity
    occurred_at: AwareDatetime


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
