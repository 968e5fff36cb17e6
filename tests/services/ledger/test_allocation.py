"""The consumption order as a pure function"""

from datetime import UTC, datetime, timedelta

from services.ledger.allocation import LotState, allocate, available

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def lot(lot_id: int, original: int, expires_in: int, purchased_ago: int = 0, remaining: int | None = None) -> LotState:
    return LotState(
        lot_id,
        1,
        original,
        original if remaining is None else remaining,
        NOW - timedelta(days=purchased_ago),
        NOW + timedelta(days=expires_in),
    )


def test_order_is_expiry_then_size_then_purchase_then_creation() -> None:
    lots = [
        lot(1, 10, 30),
        lot(2, 10, 10, purchased_ago=1),
        lot(3, 5, 10),
        lot(4, 10, 10, purchased_ago=2),
        lot(5, 10, 10, purchased_ago=2),
    ]
    draws = allocate(lots, 32, NOW)
    assert draws is not None
    assert [(d.id, take) for d, take in draws] == [(3, 5), (4, 10), (5, 10), (2, 7)]


def test_expired_and_empty_lots_are_skipped_and_a_shortfall_takes_nothing() -> None:
    lots = [lot(1, 10, 0), lot(2, 10, 5, remaining=0), lot(3, 4, 5)]
    assert available(lots, NOW) == 4
    assert allocate(lots, 5, NOW) is None
    assert [item.remaining for item in lots] == [10, 0, 4]
