"""Alerts: rules evaluated by the product, crossings recorded once, and notices delivered exactly once"""

from datetime import datetime
from typing import Any

from services.alerts.evaluate import evaluate
from services.alerts.rules import RuleInfo, create_rule, pause_rule, update_rule

__all__ = ['RuleInfo', 'add_rule', 'change_rule', 'create_rule', 'evaluate', 'set_paused']


async def add_rule(contract_id: int, *, now: datetime | None = None, **fields: Any) -> RuleInfo:
    """Create a rule from ``fields`` (those of ``rules.create_rule``, with its refusals) and evaluate it at once: a
    rule whose condition already holds fires now, once."""
    rule = await create_rule(contract_id, now=now, **fields)
    await evaluate(contract_id, rules=[rule.id], now=now)
    return rule


async def change_rule(contract_id: int, rule_id: int, *, now: datetime | None = None, **fields: Any) -> RuleInfo:
    """Change a rule in place (``rules.update_rule``, with its refusals) and evaluate it at once against its new
    condition."""
    rule = await update_rule(contract_id, rule_id, **fields)
    await evaluate(contract_id, rules=[rule.id], now=now)
    return rule


async def set_paused(contract_id: int, rule_id: int, paused: bool, *, now: datetime | None = None) -> RuleInfo:
    """Pause a rule, or resume it and evaluate it at once (what changed while it was paused is judged now, once)."""
    rule = await pause_rule(contract_id, rule_id, paused, now=now)
    if not paused:
        await evaluate(contract_id, rules=[rule.id], now=now)
    return rule
