"""Sessions of administrators: tickets, tokens, expiry, sign-out, and throttled sign-ins"""

from datetime import timedelta

from services.accounts import admins, sessions
from tests.helpers import NOW, flex_contract

PASSWORD = 'a long enough password'


async def admin() -> None:
    contract, _ = await flex_contract('A')
    await admins.grant('ana@example.com', contract, PASSWORD)


async def test_a_ticket_is_worth_one_session_for_its_browser_only(db: str) -> None:
    await admin()
    signed = await sessions.sign_in('Ana@Example.com ', PASSWORD, address='10.0.0.1', browser='b1', now=NOW)
    assert signed.ticket is not None
    assert signed.retry_at is None
    assert await sessions.enter(signed.ticket, browser='another browser', now=NOW) is None
    token = await sessions.enter(signed.ticket, browser='b1', now=NOW)
    assert token is not None
    assert await sessions.enter(signed.ticket, browser='b1', now=NOW) is None  # once
    who = await sessions.current(token, now=NOW + timedelta(hours=1))
    assert who is not None
    assert who.email == 'ana@example.com'
    late = await sessions.sign_in('ana@example.com', PASSWORD, address='10.0.0.1', browser='b2', now=NOW)
    assert late.ticket is not None
    assert await sessions.enter(late.ticket, browser='b2', now=NOW + timedelta(minutes=1)) is None  # too late


async def test_sessions_end_at_sign_out_when_idle_and_at_their_limit(db: str) -> None:
    await admin()

    async def token(at: object = NOW) -> str:
        signed = await sessions.sign_in('ana@example.com', PASSWORD, address='a', browser='b', now=NOW)
        assert signed.ticket is not None
        entered = await sessions.enter(signed.ticket, browser='b', now=NOW)
        assert entered is not None
        return entered

    out = await token()
    await sessions.sign_out(out, now=NOW)
    assert await sessions.current(out, now=NOW) is None
    assert await sessions.ended([out]) == {out}
    idle = await token()
    assert await sessions.current(idle, now=NOW + sessions.IDLE + timedelta(seconds=1)) is None
    busy = await token()
    for hours in range(0, 12, 2):
        assert await sessions.current(busy, now=NOW + timedelta(hours=hours)) is not None  # active: not idle
    assert await sessions.current(busy, now=NOW + sessions.LIFETIME + timedelta(seconds=1)) is None
    assert await sessions.current('not a token') is None
    assert await sessions.current(None) is None


async def test_failures_slow_an_account_down_then_lock_it_the_same_for_unknown_e_mails(db: str) -> None:
    await admin()
    for email in ('ana@example.com', 'nobody@example.com'):
        answers = []
        for n in range(sessions.FREE_FAILURES + 2):
            answer = await sessions.sign_in(email, 'wrong', address=f'addr-{email}-{n}', browser='b', now=NOW)
            answers.append(answer.retry_at)
        # no lock before the fifth failure, then a wait that doubles: the same for a known and an unknown e-mail
        assert answers[: sessions.FREE_FAILURES - 1] == [None] * (sessions.FREE_FAILURES - 1)
        assert answers[sessions.FREE_FAILURES - 1] == NOW + timedelta(seconds=1)
        # while locked, even the right password is refused, and no password is checked
        right = await sessions.sign_in(email, PASSWORD, address='elsewhere', browser='b', now=NOW)
        assert right.ticket is None
        assert right.retry_at is not None
    later = NOW + timedelta(minutes=16)
    assert (await sessions.sign_in('ana@example.com', PASSWORD, address='x', browser='b', now=later)).ticket


async def test_a_colleagues_failures_from_the_same_address_do_not_lock_out_a_first_mistake(db: str) -> None:
    """Four failures of a colleague's e-mail from the office's address, then ana's first mistyped password: a wrong
    password, no wait; ana's own fifth failure is what makes her wait, and the refusal says it is her e-mail's."""
    await admin()
    for _ in range(sessions.FREE_FAILURES - 1):
        await sessions.sign_in('colleague@example.com', 'wrong', address='10.0.0.1', browser='b', now=NOW)
    mistake = await sessions.sign_in('ana@example.com', 'wrong', address='10.0.0.1', browser='b', now=NOW)
    assert (mistake.ticket, mistake.retry_at, mistake.checked) == (None, None, True)
    assert (await sessions.sign_in('ana@example.com', PASSWORD, address='10.0.0.1', browser='b', now=NOW)).ticket
    for _ in range(sessions.FREE_FAILURES):
        answer = await sessions.sign_in('ana@example.com', 'wrong', address='10.0.0.1', browser='b', now=NOW)
    assert (answer.retry_at, answer.throttled, answer.checked) == (NOW + timedelta(seconds=1), 'email', True)


async def test_one_address_trying_many_accounts_is_slowed_down_too(db: str) -> None:
    await admin()
    for n in range(sessions.ADDRESS_FREE_FAILURES):
        await sessions.sign_in(f'guess{n}@example.com', 'wrong', address='10.9.9.9', browser='b', now=NOW)
    blocked = await sessions.sign_in('ana@example.com', PASSWORD, address='10.9.9.9', browser='b', now=NOW)
    assert blocked.ticket is None
    assert (blocked.retry_at, blocked.throttled, blocked.checked) == (NOW + timedelta(seconds=1), 'address', False)
    elsewhere = await sessions.sign_in('ana@example.com', PASSWORD, address='10.1.1.1', browser='b', now=NOW)
    assert elsewhere.ticket is not None
