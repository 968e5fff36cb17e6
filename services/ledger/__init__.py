"""The ledger: purchases, consumption and transfers, and the consumption order they follow"""

from services.ledger.transfers import LotMove, TransferResult, preview_transfer, transfer, undo_transfer
from services.ledger.writes import ConsumeResult, PurchaseResult, consume, purchase

__all__ = [
    'ConsumeResult',
    'LotMove',
    'PurchaseResult',
    'TransferResult',
    'consume',
    'preview_transfer',
    'purchase',
    'transfer',
    'undo_transfer',
]
