"""Alerts: rules evaluated by the product, crossings recorded once, and notices delivered exactly once"""

from datetime import datetime
from typing import Any

from services.alerts.evaluate import evaluate
from services.alerts.rules import RuleInfo, create_rule

__all__ = ['RuleInfo', 'add_rule', 'create_rule', 'evaluate']


async def add_rule(contract_id: int, *, now: datetime | None = None, **fields: Any) -> RuleInfo:
    """Create a rule from ``fields`` (those of ``rules.create_rule``, with its refusals) and evaluate it at once: a
    rule whose condition already holds fires now, once."""
    rule = await create_rule(contract_id, now=now, **fields)
    await evaluate(contract_id, rules=[rule.id], now=now)
    return rule
