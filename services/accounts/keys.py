"""API keys: who is calling, and what they may do

Two kinds of caller. The operator (the vendor's back office) holds ``BALANCES_OPERATOR_KEY`` and may do
everything. A contract API key belongs to one contract and carries scopes. Keys are ``bal_<prefix>_<secret>``:
256 random bits of secret, of which only a SHA-256 digest is stored (a slow hash adds nothing to a secret of that
entropy, and every request checks one); the key itself is shown once, when created.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from models import ApiKey
from services.accounts.contracts import get_contract
from services.domain.errors import InvalidInput

SCOPES = ('usage:write', 'balances:read', 'transfers:write', 'alerts:write', 'entitlements:read', 'controls:write')
PREFIX = 'bal'


@dataclass(frozen=True)
class Caller:
    """The operator (``contract_id`` None, every right), or a contract's key with its scopes."""

    contract_id: int | None
    scopes: frozenset[str]
    key_id: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.contract_id is None

    def sees(self, contract_id: int) -> bool:
        return self.is_operator or self.contract_id == contract_id

    def may(self, scope: str) -> bool:
        return self.is_operator or scope in self.scopes


OPERATOR = Caller(contract_id=None, scopes=frozenset(SCOPES))


@dataclass(frozen=True)
class NewKey:
    id: int
    key: str
    scopes: tuple[str, ...]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(contract_id: int, scopes: list[str]) -> NewKey:
    """Create an API key of the contract with these scopes; the key is in the answer only (a digest is kept).

    Refuses with ``UnknownContract``, or ``InvalidInput`` (``scopes``: a non-empty list of known scopes)."""
    await get_contract(contract_id)
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if not scopes or unknown:
        raise InvalidInput('scopes', f'must be a non-empty list among {", ".join(SCOPES)}')
    chosen = tuple(scope for scope in SCOPES if scope in scopes)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    record = await ApiKey.create(
        contract_id=contract_id, prefix=prefix, secret_hash=_digest(secret), scopes=' '.join(chosen)
    )
    return NewKey(record.id, f'{PREFIX}_{prefix}_{secret}', chosen)


async def identify(token: str, operator_key: str | None) -> Caller | None:
    """The caller a bearer token stands for, or ``None`` for an unknown token (compared in constant time)."""
    if operator_key and hmac.compare_digest(token.encode(), operator_key.encode()):
        return OPERATOR
    kind, _, rest = token.partition('_')
    prefix, _, secret = rest.partition('_')
    if kind != PREFIX or not prefix or not secret:
        return None
    record = await ApiKey.get_or_none(prefix=prefix, revoked_at=None)
    if record is None or not hmac.compare_digest(_digest(secret), record.secret_hash):
        return None
    return Caller(record.contract_id, frozenset(record.scopes.split()), record.id)
