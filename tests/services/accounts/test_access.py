"""Administrators: hashed passwords, grants, sign-in"""

import pytest

from models import Admin
from services.accounts import admins, contracts
from services.domain.errors import InvalidInput


async def test_grant_creates_then_extends_and_authenticates(db: str) -> None:
    first = await contracts.create_contract('A', 'FR')
    second = await contracts.create_contract('B', 'BR')
    admin, created = await admins.grant('Ana@Example.com', first.id, 'a long enough password')
    assert created
    assert admin.contracts == (first.id,)
    again, created = await admins.grant('ana@example.com', second.id, 'ignored for an existing admin')
    assert not created
    assert again.contracts == (first.id, second.id)
    stored = await Admin.get(id=admin.id)
    assert stored.password_hash.startswith('$argon2')
    assert 'a long enough password' not in stored.password_hash
    assert await admins.authenticate('ana@example.com', 'a long enough password') == again
    assert await admins.authenticate('ana@example.com', 'ignored for an existing admin') is None
    assert await admins.authenticate('nobody@example.com', 'a long enough password') is None


async def test_a_new_administrator_needs_a_12_character_password_and_an_e_mail(db: str) -> None:
    contract = await contracts.create_contract('A', 'FR')
    with pytest.raises(InvalidInput, match='password'):
        await admins.grant('ana@example.com', contract.id, 'short')
    with pytest.raises(InvalidInput, match='email'):
        await admins.grant('not-an-email', contract.id, 'a long enough password')
    assert await Admin.all().count() == 0
