"""Deliveries to real peers: an SMTP server (aiosmtpd) and an HTTP webhook receiver that fails a few times first

The sender is driven round by round with a clock of the test's, so that an hour of retries takes no time.
"""

import hashlib
import hmac
import logging
from datetime import timedelta

import pytest

from models import Admin, AlertDelivery
from services.accounts import admins
from services.alerts import add_rule
from services.alerts.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    DeliveryConfig,
    ReceiverAnswered,
    Sender,
    post_webhook,
    problem_of,
    release_claims,
)
from services.alerts.evaluate import evaluate
from services.alerts.rules import get_rule
from tests.alerting import free_port, smtp_server, webhook_receiver
from tests.helpers import DAY, NOW, buy, cloud_contract, flex_contract

PASSWORD = 'a long enough password'
SECOND = timedelta(seconds=1)


async def statuses() -> list[tuple[str, str, int]]:
    return list(await AlertDelivery.all().order_by('id').values_list('channel', 'status', 'attempts'))


async def test_a_webhook_is_retried_with_growing_delays_then_delivered_once_signed(db: str) -> None:
    contract, teams = await flex_contract('Architecture')
    await buy(contract, 'p', 1, teams['Architecture'], expires_at=NOW + 300 * DAY)
    with webhook_receiver(fail_first=2) as receiver:
        rule = await add_rule(
            contract, kind='available_below', threshold=2, webhook=receiver.url, allow_private=True, now=NOW
        )
        sender = Sender(DeliveryConfig(allow_private=True))
        assert await sender.run_once(NOW) == 1  # 500
        assert await statuses() == [('webhook', 'pending', 1)]
        assert await sender.run_once(NOW + 9 * SECOND) == 0  # not due yet
        assert await sender.run_once(NOW + 10 * SECOND) == 1  # the first retry, 10 s later: 500 again
        assert await sender.run_once(NOW + 39 * SECOND) == 0
        assert await sender.run_once(NOW + 40 * SECOND) == 1  # 30 s after the second try: 200
        assert await statuses() == [('webhook', 'sent', 3)]
        assert await sender.run_once(NOW + DAY) == 0  # sent: never again
        assert receiver.answered == [500, 500, 200]
        secret = (await get_rule(contract, rule.id)).webhook_secret or ''
        payloads = receiver.verified(secret)
        assert len({call.body for call in receiver.calls}) == 1  # the same bytes, the same id, every time
        payload = payloads[0]
        assert set(payload) == {'id', 'rule', 'contract', 'team', 'kind', 'state', 'at', 'available', 'total'}
        assert (payload['rule'], payload['contract'], payload['team']) == (rule.id, contract, teams['Architecture'])
        assert (payload['kind'], payload['state'], payload['available'], payload['total']) == (
            'available_below',
            'firing',
            '1',
            '1',
        )
        forged = 'sha256=' + hmac.new(b'another secret', receiver.calls[0].body, hashlib.sha256).hexdigest()
        assert receiver.calls[0].headers['X-Balances-Signature'] != forged


async def test_retries_last_over_an_hour_then_the_delivery_fails(db: str) -> None:
    assert RETRY_DELAYS[0] <= 30
    assert sum(RETRY_DELAYS) >= 3600
    contract, _ = await flex_contract('A')
    with webhook_receiver(fail_first=1000) as receiver:
        await add_rule(contract, kind='available_below', threshold=1, webhook=receiver.url, allow_private=True, now=NOW)
        sender = Sender(DeliveryConfig(allow_private=True))
        clock = NOW
        for delay in (0, *RETRY_DELAYS):
            clock += delay * SECOND
            assert await sender.run_once(clock) == 1
        assert await statuses() == [('webhook', 'failed', MAX_ATTEMPTS)]
        assert len(receiver.calls) == MAX_ATTEMPTS
        assert await sender.run_once(clock + DAY) == 0


async def test_e_mails_in_each_recipients_language_with_the_numbers_and_a_link(db: str) -> None:
    contract, teams = await flex_contract('Fluides', timezone='Europe/Paris')
    chef, _ = await admins.grant('chef@atelier.fr', contract, PASSWORD)
    await admins.set_language(chef.id, 'fr')
    await buy(contract, 'p', '1250.5', teams['Fluides'], expires_at=NOW + 30 * DAY)
    await add_rule(contract, kind='available_below', threshold=5, emails=['ops@example.com'], now=NOW)
    assert len(await evaluate(contract, now=NOW)) == 1  # the seed's rule: 1,250.5 tokens expire within 90 days
    with smtp_server() as smtp:
        config = DeliveryConfig(smtp.url, 'balances@example.com', 'https://balances.example.com')
        assert await Sender(config).run_once(NOW) == 1
        assert await statuses() == [('email', 'sent', 1)]
        ((recipient, message),) = smtp.mailbox.messages
    assert recipient == 'chef@atelier.fr'
    assert message['From'] == 'balances@example.com'
    subject = str(message['Subject'])
    assert 'Fluides' in subject
    assert 'jetons expirent d’ici 90 jours' in subject  # the condition, in French
    text = message.get_body(('plain',)).get_content()  # type: ignore[union-attr]
    page = message.get_body(('html',)).get_content()  # type: ignore[union-attr]
    assert '1\u202f250,5' in text  # French numbers
    assert '23 déc. 2026' in text  # the first expiry, in French
    assert 'https://balances.example.com/?contract=' in text
    assert '<table>' in page
    assert 'lang="fr"' in page


async def test_without_smtp_the_e_mail_is_logged_and_marked_failed(db: str, caplog: pytest.LogCaptureFixture) -> None:
    contract, _ = await cloud_contract('Obras')
    await admins.grant('ana@horizonte.com.br', contract, PASSWORD)
    await buy(contract, 'p', 10, expires_at=NOW + 30 * DAY)
    await evaluate(contract, now=NOW)
    with caplog.at_level(logging.WARNING, logger='balances.alerts.delivery'):
        await Sender(DeliveryConfig()).run_once(NOW)
    assert await statuses() == [('email', 'failed', 1)]
    assert 'ana@horizonte.com.br' in caplog.text
    assert 'Construtora' in caplog.text  # the subject names the contract (its pool), in Portuguese
    assert 'créditos' in caplog.text
    delivery = await AlertDelivery.get()
    assert 'BALANCES_SMTP_URL' in (delivery.last_error or '')


async def test_a_target_that_turned_private_is_refused_at_sending(db: str) -> None:
    contract, _ = await flex_contract('A')
    await add_rule(
        contract, kind='available_below', threshold=1, webhook='http://127.0.0.1:9/x', allow_private=True, now=NOW
    )
    await Sender(DeliveryConfig(allow_private=False)).run_once(NOW)
    delivery = await AlertDelivery.get()
    assert (delivery.status, delivery.attempts) == ('failed', 1)
    assert 'not a public address' in (delivery.last_error or '')


async def test_what_a_dead_process_was_sending_is_due_again_at_start(db: str) -> None:
    contract, _ = await flex_contract('A')
    await add_rule(
        contract, kind='available_below', threshold=1, webhook='http://127.0.0.1:9/x', allow_private=True, now=NOW
    )
    await AlertDelivery.all().update(claimed_until=NOW + timedelta(minutes=1))  # claimed, then the process died
    released = await release_claims()
    if db == 'sqlite':  # the only process: nobody else can be sending it
        assert released == 1
        assert await AlertDelivery.filter(claimed_until=None).count() == 1
    else:  # another process may be sending it: its lease ends by itself
        assert released == 0
    assert await Admin.all().count() == 0


async def test_a_failed_webhook_says_which_kind_of_failure_a_person_can_act_on() -> None:
    config = DeliveryConfig(allow_private=True)

    async def problem(url: str) -> str:
        with pytest.raises(Exception) as failure:  # noqa: PT011 - the kind is what is asserted
            await post_webhook(config, url, 'secret', b'{}')
        return problem_of(failure.value)

    with webhook_receiver(fail_first=1) as receiver:
        with pytest.raises(ReceiverAnswered) as answered:
            await post_webhook(config, receiver.url, 'secret', b'{}')
        assert (problem_of(answered.value), answered.value.status) == ('status', 500)
    assert await problem(f'http://127.0.0.1:{free_port()}/hook') == 'refused'  # nothing listens there
    assert await problem('http://no-such-host.invalid/hook') == 'name'  # .invalid never resolves
    assert problem_of(RuntimeError('anything else')) == 'other'
    public_only = DeliveryConfig(allow_private=False)
    with pytest.raises(Exception) as private:  # noqa: PT011
        await post_webhook(public_only, 'http://127.0.0.1:9/hook', 'secret', b'{}')
    assert problem_of(private.value) == 'private'
