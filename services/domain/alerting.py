"""The kinds of alert rules, their thresholds, and the rule every contract starts with (the seed's promise)"""

from typing import Literal

Kind = Literal['available_below_percent', 'available_below', 'expiring_within_days', 'runs_out_within_days']
KINDS: tuple[Kind, ...] = ('available_below_percent', 'available_below', 'expiring_within_days', 'runs_out_within_days')
DAY_KINDS = ('expiring_within_days', 'runs_out_within_days')
MAX_DAYS = 3650
MAX_EMAILS = 20
MAX_URL = 2048
# "the administrator gets an alert when a team's tokens expire within 90 days": every holder, to the contract's
# administrators, from the contract's creation on
SEED_KIND: Kind = 'expiring_within_days'
SEED_DAYS = 90
