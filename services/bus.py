"""The live-update bus

The ledger publishes a contract's id after each committed change (usage, purchase, transfer); open pages of that
contract subscribe and refresh in place. In-process for now; several processes share it through PostgreSQL
LISTEN/NOTIFY later, behind the same two functions.
"""

from collections.abc import Callable
from typing import Any

from nicegui import Event

ledger_changed: Event[int] = Event()


def publish(contract_id: int) -> None:
    """Tell every subscriber that the balances of this contract changed."""
    ledger_changed.emit(contract_id)


def subscribe(callback: Callable[[int], Any]) -> None:
    ledger_changed.subscribe(callback)
