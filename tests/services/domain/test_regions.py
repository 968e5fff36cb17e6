"""The region table: defaults, overrides, unknown regions"""

import pytest

from services.domain.regions import mode_of
from services.infrastructure.settings import parse_regions


def test_default_table() -> None:
    assert {mode_of(r) for r in ('US', 'FR', 'DE', 'GB', 'JP')} == {'flex'}
    assert {mode_of(r) for r in ('BR', 'IN')} == {'cloud_credits'}
    assert mode_of('fr') == 'flex'
    assert mode_of('ZZ') is None


def test_overrides_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BALANCES_REGIONS', 'br=flex, ZZ=cloud_credits')
    assert (mode_of('BR'), mode_of('ZZ'), mode_of('FR')) == ('flex', 'cloud_credits', 'flex')
    with pytest.raises(ValueError, match='XYZ=flex'):
        parse_regions('XYZ=flex')
