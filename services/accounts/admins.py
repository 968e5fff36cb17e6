"""Administrators: argon2-hashed passwords, and the contracts each was granted"""

import asyncio
import re
from dataclasses import dataclass
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

from models import Admin, AdminGrant
from services.accounts.contracts import get_contract
from services.domain.checks import CONTROL, EMAIL
from services.domain.errors import InvalidInput

MIN_PASSWORD = 12
# OWASP's recommended argon2id parameters (19 MiB, 2 passes, 1 lane): a check runs off the event loop
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# verified against when the e-mail is unknown, so that a wrong e-mail costs the same time as a wrong password
_DUMMY_HASH = _hasher.hash('not a password of anyone')


@dataclass(frozen=True)
class AdminInfo:
    """An administrator as a request finds them: the contracts granted, and the region they chose last (if any)."""

    id: int
    email: str
    contracts: tuple[int, ...]
    region: str | None = None


def _email(value: str) -> str:
    email = value.strip().lower() if isinstance(value, str) else ''
    if len(email) > 254 or not re.fullmatch(EMAIL, email):
        raise InvalidInput('email', 'is not an e-mail address')
    return email


async def grant(email: str, contract_id: int, password: str | None = None) -> tuple[AdminInfo, bool]:
    """Grant a contract to an administrator, creating them (with a password) if the e-mail is new.

    Returns the administrator and whether they were created; an existing one's password is left as it is.
    """
    await get_contract(contract_id)
    email = _email(email)
    async with in_transaction('default') as conn:
        admin = await Admin.filter(email=email).using_db(conn).first()
        created = admin is None
        if admin is None:
            if not isinstance(password, str) or len(password) < MIN_PASSWORD:
                raise InvalidInput(
                    'password', f'a new administrator needs a password of at least {MIN_PASSWORD} characters'
                )
            digest = await asyncio.to_thread(_hasher.hash, password)
            admin = await Admin.create(email=email, password_hash=digest, using_db=conn)
        if not await AdminGrant.filter(admin_id=admin.id, contract_id=contract_id).using_db(conn).exists():
            await AdminGrant.create(admin_id=admin.id, contract_id=contract_id, using_db=conn)
    return await admin_info(admin.id), created


async def admin_info(admin_id: int) -> AdminInfo:
    """The administrator, the ids of the contracts granted to them and their region; ``DoesNotExist`` for an unknown
    id."""
    admin = await Admin.get(id=admin_id)
    grants = await AdminGrant.filter(admin_id=admin_id).order_by('contract_id').values_list('contract_id', flat=True)
    return AdminInfo(admin.id, admin.email, tuple(cast(list[int], grants)), admin.region or None)


async def authenticate(email: str, password: str) -> AdminInfo | None:
    """The administrator with this e-mail and password, or ``None`` (without saying which was wrong)."""
    usable = isinstance(email, str) and len(email) <= 254 and not CONTROL.search(email)
    admin = await Admin.get_or_none(email=email.strip().lower()) if usable else None
    try:
        await asyncio.to_thread(_hasher.verify, admin.password_hash if admin else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return await admin_info(admin.id) if admin else None


async def contract_admin_emails(contract_id: int) -> list[str]:
    """The e-mail addresses of the contract's administrators, sorted."""
    emails = await AdminGrant.filter(contract_id=contract_id).values_list('admin__email', flat=True)
    return sorted(str(email) for email in emails)


async def set_language(admin_id: int, lang: str) -> None:
    """Remember the language an administrator chose (the page's and their e-mails')."""
    await Admin.filter(id=admin_id).update(language=lang)


async def set_region(admin_id: int, region: str) -> None:
    """Remember the region an administrator chose on the page (whose contracts it shows first)."""
    await Admin.filter(id=admin_id).update(region=region[:8])


async def region_of(admin_id: int) -> str | None:
    """The region an administrator chose last, if they chose one."""
    found = await Admin.filter(id=admin_id).values_list('region', flat=True)
    return str(found[0]) if found and found[0] else None


async def language_of(admin_id: int) -> str | None:
    """The language an administrator chose, if they chose one."""
    found = await Admin.filter(id=admin_id).values_list('language', flat=True)
    return str(found[0]) if found and found[0] else None
