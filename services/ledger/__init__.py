"""The ledger: purchases, consumption and transfers, and the consumption order they follow"""

from services.ledger.writes import (
    ConsumeResult,
    LotMove,
    PurchaseResult,
    TransferResult,
    consume,
    preview_transfer,
    purchase,
    transfer,
)

__all__ = [
    'ConsumeResult',
    'LotMove',
    'PurchaseResult',
    'TransferResult',
    'consume',
    'preview_transfer',
    'purchase',
    'transfer',
]
