"""The token-event timeline: purchases, expirations with what remained, transfers with the other team"""

from datetime import date

from services import ledger
from services.domain.dates import DateRange
from services.reading.timeline import token_events
from tests.helpers import DAY, NOW, buy, flex_contract, use


async def test_purchases_expirations_and_transfers_newest_first(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    a, b = teams['A'], teams['B']
    await buy(contract, 'old', 10, a, purchased_at=NOW - 60 * DAY, expires_at=NOW - 10 * DAY, now=NOW - 60 * DAY)
    await ledger.consume(contract, [use('e', 4, team=a, at=NOW - 50 * DAY)], now=NOW - 50 * DAY)
    await buy(contract, 'new', 20, a, purchased_at=NOW - 5 * DAY, now=NOW - 5 * DAY)
    await ledger.transfer(contract, client_id='t', from_team=a, to_team=b, quantity=7, now=NOW - DAY)
    events = await token_events(contract, now=NOW)
    assert [(e.type, e.date, e.team_name, e.quantity, e.counterparty_team_name) for e in events] == [
        ('transfer_in', (NOW - DAY).date(), 'B', 7, 'A'),
        ('transfer_out', (NOW - DAY).date(), 'A', 7, 'B'),
        ('purchase', (NOW - 5 * DAY).date(), 'A', 20, None),
        ('expiration', (NOW - 10 * DAY).date(), 'A', 6, None),
        ('purchase', (NOW - 60 * DAY).date(), 'A', 10, None),
    ]
    only_b = await token_events(contract, team=b, now=NOW)
    assert [e.type for e in only_b] == ['transfer_in']
    window = await token_events(contract, DateRange(date(2026, 11, 1), date(2026, 11, 20)), now=NOW)
    assert [e.type for e in window] == ['purchase', 'expiration']
