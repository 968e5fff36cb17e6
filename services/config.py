"""Configuration, from environment variables only (every one optional; see the README)"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from services.database import DEFAULT_DB_URL

DATA_FOLDER = Path('data')


class ConfigError(ValueError):
    """An environment variable with a value the app cannot use."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == '':
        return default
    if value not in ('0', '1'):
        raise ConfigError(f'{name} must be 0 or 1, not {value!r}')
    return value == '1'


def _storage_secret() -> str:
    """``BALANCES_STORAGE_SECRET``, or a secret generated once and kept (owner-readable only) in the data folder."""
    if secret := os.environ.get('BALANCES_STORAGE_SECRET'):
        return secret
    path = DATA_FOLDER / 'storage_secret'
    if not path.exists():
        DATA_FOLDER.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    db_url: str
    host: str
    port: int
    demo: bool
    demo_feed: bool
    operator_key: str | None
    storage_secret: str
    stats_file: Path | None = None

    @classmethod
    def from_env(cls) -> 'Settings':
        port = os.environ.get('BALANCES_PORT', '8080')
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f'BALANCES_PORT must be a port number, not {port!r}')
        db_url = os.environ.get('BALANCES_DB_URL') or DEFAULT_DB_URL
        if not db_url.startswith(('sqlite://', 'postgres://', 'postgresql://')):
            raise ConfigError('BALANCES_DB_URL must start with sqlite:// or postgres://')
        return cls(
            db_url=db_url.replace('postgresql://', 'postgres://', 1),
            host=os.environ.get('BALANCES_HOST') or '127.0.0.1',
            port=int(port),
            demo=_flag('BALANCES_DEMO', True),
            demo_feed=_flag('BALANCES_DEMO_FEED', True),
            operator_key=os.environ.get('BALANCES_OPERATOR_KEY') or None,
            storage_secret=_storage_secret(),
            stats_file=Path(stats) if (stats := os.environ.get('BALANCES_STATS')) else None,
        )
