"""Usage feeds and transfers: ``POST …/usage`` (usage:write), ``POST …/transfers[/preview]`` (transfers:write)"""

from fastapi import APIRouter, Request, Response

from api.auth import TransferContract, UsageContract, who_asked
from api.exact_json import ExactJSONRoute
from api.schemas import (
    WRITING,
    ConflictOut,
    LotOut,
    TransferIn,
    TransferOut,
    TransferPreview,
    UsageAccepted,
    UsageIn,
    operation_id,
    quantity_out,
)
from services import ledger
from services.ingest.events import UsageInput
from services.ledger import LotMove

router = APIRouter(route_class=ExactJSONRoute, responses=WRITING, generate_unique_id_function=operation_id)


@router.post(
    '/contracts/{contract_id}/usage',
    response_model=UsageAccepted,
    tags=['usage'],
    responses={
        409: {
            'model': ConflictOut,
            'description': 'an event the balance cannot cover (its `id` is named), or an id '
            'reused with another payload; nothing of the batch is written',
        }
    },
)
async def post_usage(contract: UsageContract, body: UsageIn) -> UsageAccepted:
    """Charge 1 to 1,000 usage events, all or nothing. Events already recorded with the same payload count as
    `duplicates` and are not charged again. In Flex mode `team` pays; in cloud-credit mode it only tags."""
    events = [UsageInput(e.id, e.user, e.product, e.quantity, e.occurred_at, e.team) for e in body.events]
    result = await ledger.consume(contract.id, events)
    return UsageAccepted(accepted=result.accepted, duplicates=result.duplicates)


def _lots(moves: tuple[LotMove, ...]) -> list[LotOut]:
    return [LotOut(expires_at=move.expires_at, quantity=quantity_out(move.quantity)) for move in moves]


@router.post('/contracts/{contract_id}/transfers/preview', response_model=TransferPreview, tags=['transfers'])
async def preview_transfer(contract: TransferContract, body: TransferIn) -> TransferPreview:
    """What a transfer would move now, lot by lot with expiry dates; writes nothing."""
    moves = await ledger.preview_transfer(
        contract.id, from_team=body.from_team, to_team=body.to_team, quantity=body.quantity
    )
    return TransferPreview(lots=_lots(moves))


@router.post(
    '/contracts/{contract_id}/transfers',
    status_code=201,
    response_model=TransferOut,
    tags=['transfers'],
    responses={200: {'description': 'a replay of a recorded transfer: the original, unchanged'}},
)
async def transfer(contract: TransferContract, body: TransferIn, request: Request, response: Response) -> TransferOut:
    """Assign available tokens of one Flex team to another; the moved tokens keep their expiry dates."""
    result = await ledger.transfer(
        contract.id,
        client_id=body.id,
        from_team=body.from_team,
        to_team=body.to_team,
        quantity=body.quantity,
        made_by=who_asked(request),
    )
    response.status_code = 201 if result.created else 200
    return TransferOut(
        id=result.id,
        from_team=result.from_team,
        to_team=result.to_team,
        quantity=quantity_out(result.quantity),
        lots=_lots(result.lots),
    )
