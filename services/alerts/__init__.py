"""Alerts: rules evaluated by the product, crossings recorded once, and notices delivered exactly once"""

from datetime import datetime

from services.alerts.evaluate import evaluate
from services.alerts.rules import RuleInfo, create_rule

__all__ = ['RuleInfo', 'add_rule', 'create_rule', 'evaluate']


async def add_rule(
    contract_id: int,
    *,
    kind: object,
    threshold: object,
    team: object = None,
    emails: object = None,
    webhook: object = None,
    allow_private: bool = False,
    now: datetime | None = None,
) -> RuleInfo:
    """Create a rule (see ``rules.create_rule`` for its refusals) and evaluate it at once: a rule whose condition
    already holds fires now, once."""
    rule = await create_rule(
        contract_id,
        kind=kind,
        threshold=threshold,
        team=team,
        emails=emails,
        webhook=webhook,
        allow_private=allow_private,
        now=now,
    )
    await evaluate(contract_id, rules=[rule.id], now=now)
    return rule
