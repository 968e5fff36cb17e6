"""Which regions sell Flex tokens, and which use shared cloud credits

The table is configuration: ``BALANCES_REGIONS`` (``"MX=flex,CN=cloud_credits"``) adds or overrides entries.
A region in neither list is unknown, and a contract cannot be created there.
"""

import os

from services.infrastructure.settings import Mode, parse_regions

__all__ = ['CLOUD_CREDITS', 'DEFAULT_TABLE', 'FLEX', 'Mode', 'mode_of', 'region_table']

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


def region_table() -> dict[str, Mode]:
    """The default table with ``BALANCES_REGIONS`` applied (read when asked: contracts are created rarely)."""
    return {**DEFAULT_TABLE, **parse_regions(os.environ.get('BALANCES_REGIONS', ''))}


def mode_of(region: str) -> Mode | None:
    """The mode of a region (ISO 3166-1 alpha-2), or ``None`` when the region is unknown."""
    return region_table().get(region.upper())


REGION_LANGUAGES = {'FR': 'fr', 'BE': 'fr', 'LU': 'fr', 'MC': 'fr', 'BR': 'pt', 'PT': 'pt', 'AO': 'pt', 'MZ': 'pt'}


def language_of_region(region: str) -> str:
    """The language notices of a contract of this region are written in when the reader's own is not known."""
    return REGION_LANGUAGES.get(region.upper(), 'en')
