"""Which regions sell Flex tokens, and which use shared cloud credits

The table is configuration: ``BALANCES_REGIONS`` (``"MX=flex,CN=cloud_credits"``) adds or overrides entries.
A region in neither list is unknown, and a contract cannot be created there.
"""

import os
from typing import Literal

Mode = Literal['flex', 'cloud_credits']
FLEX: Mode = 'flex'
CLOUD_CREDITS: Mode = 'cloud_credits'

DEFAULT_TABLE: dict[str, Mode] = {
    **dict.fromkeys(
        [
            'US',
            'CA',
            'GB',
            'IE',
            'FR',
            'DE',
            'AT',
            'CH',
            'BE',
            'NL',
            'LU',
            'IT',
            'ES',
            'PT',
            'SE',
            'NO',
            'DK',
            'FI',
            'IS',
            'PL',
            'CZ',
            'JP',
            'KR',
            'AU',
            'NZ',
            'SG',
        ],
        FLEX,
    ),
    **dict.fromkeys(
        [
            'BR',
            'IN',
            'MX',
            'AR',
            'CL',
            'CO',
            'PE',
            'ZA',
            'CN',
            'ID',
            'TH',
            'MY',
            'PH',
            'VN',
            'TR',
            'AE',
            'SA',
            'EG',
            'NG',
            'KE',
        ],
        CLOUD_CREDITS,
    ),
}


def parse_overrides(text: str) -> dict[str, Mode]:
    """Parse ``"XX=flex,YY=cloud_credits"``; raise ``ValueError`` naming the entry that is not of that form."""
    table: dict[str, Mode] = {}
    for entry in filter(None, (part.strip() for part in text.split(','))):
        region, _, mode = entry.partition('=')
        region = region.strip().upper()
        if len(region) != 2 or not region.isalpha() or mode.strip() not in (FLEX, CLOUD_CREDITS):
            raise ValueError(f'BALANCES_REGIONS entry {entry!r} is not REGION=flex or REGION=cloud_credits')
        table[region] = FLEX if mode.strip() == FLEX else CLOUD_CREDITS
    return table


def region_table() -> dict[str, Mode]:
    return {**DEFAULT_TABLE, **parse_overrides(os.environ.get('BALANCES_REGIONS', ''))}


def mode_of(region: str) -> Mode | None:
    """The mode of a region (ISO 3166-1 alpha-2), or ``None`` when the region is unknown."""
    return region_table().get(region.upper())
