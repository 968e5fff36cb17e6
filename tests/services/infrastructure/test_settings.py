"""Settings: one typed model of the environment, errors that name the variable, and the README's table"""

from pathlib import Path

import pytest

from scripts.config_table import table
from services.infrastructure.settings import ConfigError, Settings

README = Path(__file__).resolve().parents[3] / 'README.md'


def test_defaults_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ('DB_URL', 'PORT', 'DEMO', 'OPERATOR_KEY'):
        monkeypatch.delenv(f'BALANCES_{name}', raising=False)
    defaults = Settings.from_env()
    assert (defaults.db_url, defaults.port, defaults.demo, defaults.operator) == (
        'sqlite://data/balances.sqlite3',
        8080,
        True,
        None,
    )
    monkeypatch.setenv('BALANCES_DB_URL', 'postgresql://u@h/db')
    monkeypatch.setenv('BALANCES_DEMO', '0')
    monkeypatch.setenv('BALANCES_OPERATOR_KEY', 'secret-key')
    chosen = Settings.from_env()
    assert (chosen.db_url, chosen.demo, chosen.operator) == ('postgres://u@h/db', False, 'secret-key')
    assert 'secret-key' not in repr(chosen)  # a secret never reaches a log line through the settings


@pytest.mark.parametrize(
    ('name', 'value', 'says'),
    [
        ('PORT', 'eighty', 'BALANCES_PORT'),
        ('PORT', '70000', 'less than or equal to 65535'),
        ('DEMO', 'yes', 'BALANCES_DEMO must be 0 or 1'),
        ('DB_URL', 'mysql://x', 'BALANCES_DB_URL must start with sqlite:// or postgres://'),
        ('REGIONS', 'XYZ=flex', "BALANCES_REGIONS entry 'XYZ=flex' is not REGION=flex or REGION=cloud_credits"),
    ],
)
def test_a_bad_value_is_named_with_what_is_accepted(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f'BALANCES_{name}', value)
    with pytest.raises(ConfigError, match=says) as refused:
        Settings.from_env()
    assert repr(value) in str(refused.value)


def test_the_readme_table_is_the_generated_one() -> None:
    text = README.read_text()
    start = text.index('<!-- config-table')
    shown = text[text.index('\n', start) + 1 : text.index('<!-- /config-table -->')].strip()
    assert shown == table(), 'run scripts/config_table.py and paste its table into README.md'
