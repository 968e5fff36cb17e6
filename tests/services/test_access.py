"""Administrators: hashed passwords, grants, sign-in"""

import pytest

from models import Admin
from services import access, contracts
from services.errors import InvalidInput


async def test_grant_creates_then_extends_and_authenticates(db: str) -> None:
    first = await contracts.create_contract('A', 'FR')
    second = await contracts.create_contract('B', 'BR')
    admin, created = await access.grant('Ana@Example.com', first.id, 'a long enough password')
    assert created and admin.contracts == (first.id,)
    again, created = await access.grant('ana@example.com', second.id, 'ignored for an existing admin')
    assert not created and again.contracts == (first.id, second.id)
    stored = await Admin.get(id=admin.id)
    assert stored.password_hash.startswith('$argon2') and 'a long enough password' not in stored.password_hash
    assert await access.authenticate('ana@example.com', 'a long enough password') == again
    assert await access.authenticate('ana@example.com', 'ignored for an existing admin') is None
    assert await access.authenticate('nobody@example.com', 'a long enough password') is None


async def test_a_new_administrator_needs_a_12_character_password_and_an_e_mail(db: str) -> None:
    contract = await contracts.create_contract('A', 'FR')
    with pytest.raises(InvalidInput, match='password'):
        await access.grant('ana@example.com', contract.id, 'short')
    with pytest.raises(InvalidInput, match='email'):
        await access.grant('not-an-email', contract.id, 'a long enough password')
    assert await Admin.all().count() == 0
