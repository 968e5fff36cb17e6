"""Configuration: one typed model of the ``BALANCES_*`` environment variables, validated at start

Every variable is optional. A value the app cannot use stops it with a message that names the variable and what
it accepts. The README's configuration table is generated from this model (``scripts/config_table.py``) and a test
keeps the two equal.
"""

import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.infrastructure.database import DEFAULT_DB_URL

DATA_FOLDER = Path('data')
PREFIX = 'BALANCES_'
Mode = Literal['flex', 'cloud_credits']
SECRETS = ('operator_key', 'storage_secret', 'smtp_url')  # never repeated in an error message


class ConfigError(ValueError):
    """An environment variable with a value the app cannot use."""


def _flag(value: object) -> object:
    """``0`` or ``1`` only: a typo such as ``ture`` must not silently mean one or the other."""
    if value in ('0', '1', 0, 1, True, False):
        return value in ('1', 1, True)
    raise ValueError('must be 0 or 1')


Flag = Annotated[bool, BeforeValidator(_flag)]


def parse_regions(text: str) -> dict[str, Mode]:
    """Parse ``"XX=flex,YY=cloud_credits"``; raise ``ValueError`` naming the entry that is not of that form."""
    table: dict[str, Mode] = {}
    for entry in filter(None, (part.strip() for part in text.split(','))):
        region, _, mode = entry.partition('=')
        region, mode = region.strip().upper(), mode.strip()
        if len(region) != 2 or not region.isalpha() or mode not in ('flex', 'cloud_credits'):
            raise ValueError(f'entry {entry!r} is not REGION=flex or REGION=cloud_credits')
        table[region] = 'flex' if mode == 'flex' else 'cloud_credits'
    return table


class Settings(BaseSettings):
    """The app's configuration, read from ``BALANCES_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra='ignore', frozen=True)

    db_url: str = Field(
        DEFAULT_DB_URL, description='`sqlite://PATH` or `postgres://user:pass@host:port/db`', examples=['sqlite://']
    )
    host: str = Field('127.0.0.1', description='where the web server listens')
    port: int = Field(8080, ge=1, le=65535, description='the port it listens on')
    demo: Flag = Field(True, description='`1`: fill an empty database with the demo data set; `0`: start empty')
    demo_feed: Flag = Field(True, description="`0` turns off the demo's live usage feed")
    operator_key: SecretStr | None = Field(None, description="the operator's bearer key for the HTTP API")
    storage_secret: SecretStr | None = Field(
        None, description='secret for session storage; unset: generated once into `data/storage_secret`'
    )
    secure_cookies: Flag = Field(
        False, description='`1` behind TLS: the session cookie is sent over HTTPS only (`Secure`)'
    )
    regions: str = Field(
        '', description='extra regions or overrides, e.g. `MX=flex,CN=cloud_credits` (see `services/domain/regions.py`)'
    )
    smtp_url: SecretStr | None = Field(
        None,
        description='`smtp://[user:pass@]host:port` or `smtp+starttls://…` (or `smtps://…`); unset: alert e-mails are '
        'logged, not sent',
    )
    mail_from: str = Field('balances@localhost', description="the alert e-mails' sender address")
    public_url: str | None = Field(None, description='base URL of the links in e-mails; unset: the URL it serves')
    webhook_allow_private: Flag = Field(
        False, description='`1`: alert webhooks may target loopback and private addresses (tests, closed networks)'
    )
    ledger_check_hours: int = Field(
        24,
        ge=0,
        le=8760,
        description="hours between two runs of the ledger's full check by one process of the deployment (the first an "
        'hour after start; `0`: never)',
    )
    stats: Path | None = Field(
        None, description='diagnostics: count SQL statements and write them, with live-update figures, here at exit'
    )

    @field_validator('db_url')
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(('sqlite://', 'postgres://', 'postgresql://')):
            raise ValueError('must start with sqlite:// or postgres://')
        return value.replace('postgresql://', 'postgres://', 1)

    @field_validator('smtp_url')
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(('smtp://', 'smtp+starttls://', 'smtps://')):
            raise ValueError('must start with smtp://, smtp+starttls:// or smtps://')
        return value

    @field_validator('mail_from')
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if '@' not in value or any(character.isspace() for character in value):
            raise ValueError('must be an e-mail address')
        return value

    @field_validator('public_url')
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(('http://', 'https://')):
            raise ValueError('must start with http:// or https://')
        return value

    @field_validator('regions')
    @classmethod
    def _regions(cls, value: str) -> str:
        parse_regions(value)
        return value

    @field_validator('operator_key', 'storage_secret', 'smtp_url', 'public_url', mode='before')
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        return None if value == '' else value

    @classmethod
    def from_env(cls) -> 'Settings':
        """Read the environment; ``ConfigError`` names every variable that is wrong and what it accepts."""
        try:
            return cls()
        except ValidationError as error:
            problems = [
                f'{PREFIX}{str(problem["loc"][0]).upper()} {problem["msg"].removeprefix("Value error, ")}'
                + ('' if problem['loc'][0] in SECRETS else f' (not {problem.get("input")!r})')
                for problem in error.errors(include_url=False)
            ]
            raise ConfigError('; '.join(problems)) from None

    def session_secret(self) -> str:
        """``BALANCES_STORAGE_SECRET``, or a secret generated once and kept, owner-readable only, in ``data/``."""
        if self.storage_secret is not None:
            return self.storage_secret.get_secret_value()
        path = DATA_FOLDER / 'storage_secret'
        if not path.exists():
            DATA_FOLDER.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    @property
    def served_url(self) -> str:
        """The URL links in e-mails start with: ``BALANCES_PUBLIC_URL``, or the address it serves."""
        return self.public_url or f'http://{self.host}:{self.port}'

    @property
    def smtp(self) -> str | None:
        return self.smtp_url.get_secret_value() if self.smtp_url else None

    @property
    def operator(self) -> str | None:
        return self.operator_key.get_secret_value() if self.operator_key else None


def table_rows() -> list[tuple[str, str, str]]:
    """(variable, meaning, default) for each setting: the README's configuration table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = 'unset' if default in (None, '') else f'`{int(default) if isinstance(default, bool) else default}`'
        rows.append((f'`{PREFIX}{name.upper()}`', field.description or '', shown))
    return rows
