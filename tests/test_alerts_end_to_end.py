"""Alerts through real processes: a real SMTP server and webhook receiver, a SIGKILL, and two processes

- a crossing caused by ``POST /usage`` reaches the receiver and the mailbox once, and so does its resolution;
- a process killed before its notice got through: after a restart the notice arrives once (same id), whether the
  crossing had been recorded or not;
- two processes on one PostgreSQL: one webhook call and one e-mail per crossing, whichever process caused it.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.alerting import Receiver, SmtpServer, smtp_server, wait_until, webhook_receiver
from tests.conftest import empty_schema
from tests.test_main import OPERATOR_KEY, Server, running

OPERATOR = {'Authorization': f'Bearer {OPERATOR_KEY}'}


def environment(db_url: str, smtp: SmtpServer) -> dict[str, str]:
    return {
        'BALANCES_DB_URL': db_url,
        'BALANCES_DEMO': '0',
        'BALANCES_OPERATOR_KEY': OPERATOR_KEY,
        'BALANCES_SMTP_URL': smtp.url,
        'BALANCES_MAIL_FROM': 'alerts@balances.test',
        'BALANCES_PUBLIC_URL': 'https://balances.test',
        'BALANCES_WEBHOOK_ALLOW_PRIVATE': '1',
        'BALANCES_STORAGE_SECRET': 'shared by the processes',
    }


@pytest.fixture(params=['sqlite', 'postgres'])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == 'sqlite':
        return f'sqlite://{tmp_path}/alerts.sqlite3'
    url = str(request.getfixturevalue('postgres_url'))
    empty_schema(url)
    return url


@contextmanager
def peers(fail_first: int = 0) -> Iterator[tuple[SmtpServer, Receiver]]:
    with smtp_server() as smtp, webhook_receiver(fail_first) as receiver:
        yield smtp, receiver


class Contract:
    """A Flex contract with one team holding 10 tokens and a rule: fewer than 5 available, by e-mail and webhook."""

    def __init__(self, url: str, receiver: Receiver) -> None:
        self.serve(url)
        self.id = self.api.post('/contracts', json={'name': 'Atelier', 'region': 'FR'}).json()['id']
        self.team = self.api.post(f'/contracts/{self.id}/teams', json={'name': 'Fluides'}).json()['id']
        assert self.post('/purchases', {'id': 'p', 'team': self.team, 'quantity': '10'}).status_code == 201
        rule = {
            'kind': 'available_below',
            'threshold': '5',
            'team': self.team,
            'emails': ['ops@atelier.test'],
            'webhook_url': receiver.url,
        }
        created = self.post('/alert-rules', rule)
        assert created.status_code == 201, created.text
        self.secret = created.json()['webhook_secret']
        self.used = 0

    def serve(self, url: str) -> None:
        """Talk to the process at ``url`` (after a restart, on a new port)."""
        self.api = httpx.Client(base_url=f'{url}/api/v1', headers=OPERATOR, timeout=10)

    def post(self, path: str, body: object) -> httpx.Response:
        return self.api.post(f'/contracts/{self.id}{path}', json=body)

    def use(self, quantity: str, base: str | None = None) -> None:
        self.used += 1
        event = {
            'id': f'e{self.used}',
            'team': self.team,
            'user': 'ana@atelier.test',
            'product': 'cad',
            'quantity': quantity,
            'occurred_at': datetime.now(UTC).isoformat(),
        }
        target = httpx.Client(base_url=f'{base}/api/v1', headers=OPERATOR) if base else self.api
        answer = target.post(f'/contracts/{self.id}/usage', json={'events': [event]})
        assert answer.status_code == 200, answer.text

    def alerts(self) -> list[dict]:
        return list(self.api.get(f'/contracts/{self.id}/alerts').json()['alerts'])

    def all_sent(self) -> bool:
        found = self.alerts()
        return bool(found) and all(d['status'] == 'sent' for alert in found for d in alert['deliveries'])


def test_a_crossing_and_its_resolution_reach_the_receiver_and_the_mailbox_once(db_url: str, tmp_path: Path) -> None:
    with peers() as (smtp, receiver), running(environment(db_url, smtp), tmp_path) as server:
        contract = Contract(server.url, receiver)
        contract.use('6')  # 4 left: under 5
        wait_until(lambda: len(receiver.calls) == 1 and len(smtp.mailbox.messages) == 1)
        assert contract.post('/purchases', {'id': 'p2', 'team': contract.team, 'quantity': '10'}).status_code == 201
        wait_until(lambda: len(receiver.calls) == 2 and len(smtp.mailbox.messages) == 2)
        wait_until(contract.all_sent)
        firing, resolved = receiver.verified(contract.secret)
        assert (firing['state'], firing['available'], firing['total']) == ('firing', '4', '10')
        assert (resolved['state'], resolved['available'], resolved['total']) == ('resolved', '14', '20')
        assert [alert['state'] for alert in contract.alerts()] == ['resolved', 'firing']  # newest first
        (recipient, message), _ = smtp.mailbox.messages
        assert recipient == 'ops@atelier.test'
        assert 'Fluides' in str(message['Subject'])
        assert 'https://balances.test/?contract=' in message.get_body(('plain',)).get_content()  # type: ignore[union-attr]
        assert len(receiver.calls) == 2
        assert len(smtp.mailbox.messages) == 2


def restart(stack: ExitStack, env: dict[str, str], folder: Path, server: Server) -> Server:
    server.process.kill()  # SIGKILL: no shutdown, nothing flushed
    server.process.wait(timeout=10)
    return stack.enter_context(running(env, folder))


def test_a_notice_pending_when_the_process_was_killed_arrives_once_after_a_restart(db_url: str, tmp_path: Path) -> None:
    with peers(fail_first=10_000) as (smtp, receiver), ExitStack() as stack:
        env = environment(db_url, smtp)
        server = stack.enter_context(running(env, tmp_path))
        contract = Contract(server.url, receiver)
        contract.use('6')
        wait_until(lambda: len(receiver.calls) >= 1)  # recorded, tried, refused by the receiver: pending
        server = restart(stack, env, tmp_path, server)
        contract.serve(server.url)
        receiver.fail_first = 0  # the receiver is back
        # due again 10 s after the refusal, or (PostgreSQL, killed mid-try) when its 30-second lease ends
        wait_until(lambda: 200 in receiver.answered, timeout=60)
        wait_until(contract.all_sent, timeout=60)  # an e-mail that was mid-send is sent again once its lease ends
        assert receiver.answered.count(200) == 1
        assert len({call.json['id'] for call in receiver.calls}) == 1  # every try carried the same id
        assert [alert['state'] for alert in contract.alerts()] == ['firing']


def test_a_crossing_whose_process_died_at_once_is_recorded_and_delivered_once_after_a_restart(
    db_url: str, tmp_path: Path
) -> None:
    with peers() as (smtp, receiver), ExitStack() as stack:
        env = environment(db_url, smtp)
        server = stack.enter_context(running(env, tmp_path))
        contract = Contract(server.url, receiver)
        contract.use('6')
        server = restart(stack, env, tmp_path, server)  # killed right after the write's answer
        contract.serve(server.url)
        wait_until(lambda: len(receiver.calls) == 1 and len(smtp.mailbox.messages) == 1, timeout=30)
        wait_until(contract.all_sent)
        assert [alert['state'] for alert in contract.alerts()] == ['firing']
        assert len(receiver.calls) == 1


def test_two_processes_on_postgresql_deliver_each_notice_once(postgres_url: str, tmp_path: Path) -> None:
    empty_schema(postgres_url)
    with peers() as (smtp, receiver), ExitStack() as stack:
        env = environment(postgres_url, smtp)
        (tmp_path / 'a').mkdir()
        (tmp_path / 'b').mkdir()
        a = stack.enter_context(running(env, tmp_path / 'a'))
        b = stack.enter_context(running(env, tmp_path / 'b'))
        contract = Contract(a.url, receiver)
        for expected in (1, 3, 5):  # cross, resolve, cross again: each caused through A, whichever process evaluates
            contract.use('6', base=a.url)
            wait_until(lambda n=expected: len(contract.alerts()) == n)  # type: ignore[misc]
            assert contract.post('/purchases', {'id': f'p{contract.used}', 'team': contract.team, 'quantity': '6'})
            wait_until(lambda n=expected + 1: len(contract.alerts()) == n)  # type: ignore[misc]
            wait_until(contract.all_sent)
        assert len(contract.alerts()) == 6
        assert len(receiver.calls) == 6
        assert len(smtp.mailbox.messages) == 6
        assert len({call.json['id'] for call in receiver.calls}) == 6
        assert b.process.poll() is None


def test_a_caps_notify_stage_is_delivered_once_a_period_across_two_processes(postgres_url: str, tmp_path: Path) -> None:
    """Usage posted through both processes crosses a cap's 80 %: one alert (rule null, cap set) and one e-mail to
    the contract's administrator, however many changes and processes; the deny stage then refuses the product."""
    empty_schema(postgres_url)
    with smtp_server() as smtp, ExitStack() as stack:
        env = environment(postgres_url, smtp)
        (tmp_path / 'a').mkdir()
        (tmp_path / 'b').mkdir()
        a = stack.enter_context(running(env, tmp_path / 'a'))
        b = stack.enter_context(running(env, tmp_path / 'b'))
        api = {url: httpx.Client(base_url=f'{url}/api/v1', headers=OPERATOR) for url in (a.url, b.url)}
        since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
        made = api[a.url].post(
            '/products', json={'code': 'cad', 'name': 'CAD', 'daily_rate': 7, 'effective_from': since}
        )
        assert made.status_code == 201
        contract = api[a.url].post('/contracts', json={'name': 'Capped', 'region': 'FR'}).json()['id']
        team = api[a.url].post(f'/contracts/{contract}/teams', json={'name': 'Structure'}).json()['id']
        base = f'/contracts/{contract}'
        assert api[a.url].post(f'{base}/purchases', json={'id': 'p', 'team': team, 'quantity': 100}).status_code == 201
        admin = {'email': 'admin@capped.test', 'password': 'a long enough password'}
        assert api[a.url].post(f'{base}/admins', json=admin).status_code == 201
        cap = api[a.url].post(f'{base}/caps', json={'team': team, 'period': 'day', 'limit': 10}).json()
        for n, url in enumerate((a.url, b.url, a.url, b.url)):  # 2 + 2 + 2 + 2 units: 80 % from the 4th
            event = {'id': f'u{n}', 'team': team, 'user': 'ana', 'product': 'cad', 'quantity': 2,
                     'occurred_at': datetime.now(UTC).isoformat()}  # fmt: skip
            assert api[url].post(f'{base}/usage', json={'events': [event]}).status_code == 200
        wait_until(lambda: len(smtp.mailbox.messages) == 1)
        for n, url in enumerate((b.url, a.url)):  # more usage in the same period: no second notice
            event = {'id': f'v{n}', 'team': team, 'user': 'ana', 'product': 'cad', 'quantity': '0.5',
                     'occurred_at': datetime.now(UTC).isoformat()}  # fmt: skip
            assert api[url].post(f'{base}/usage', json={'events': [event]}).status_code == 200
        wait_until(lambda: all(d['status'] == 'sent' for a in api[b.url].get(f'{base}/alerts').json()['alerts']
                               for d in a['deliveries']))  # fmt: skip
        alerts = api[b.url].get(f'{base}/alerts').json()['alerts']
        notices = [alert for alert in alerts if alert['cap'] == cap['id']]
        assert len(notices) == 1
        assert notices[0]['rule'] is None
        recipient, message = smtp.mailbox.messages[0]
        assert recipient == 'admin@capped.test'
        assert '80' in message['Subject']
        assert len(smtp.mailbox.messages) == 1
        check = {'user': 'ana', 'product': 'cad', 'team': team}
        assert api[b.url].get(f'{base}/entitlement', params=check).json()['reason'] in ('window_open', 'ok')
        assert api[a.url].post(f'{base}/usage', json={'events': [{'id': 'w', 'team': team, 'user': 'leo',
                               'product': 'cad', 'quantity': 2, 'occurred_at': datetime.now(UTC).isoformat()}]}
                               ).status_code == 200  # fmt: skip
        refused = api[b.url].get(f'{base}/entitlement', params={**check, 'user': 'zoe'}).json()
        assert (refused['allowed'], refused['reason']) == (False, 'cap_reached')  # 11.5 of 10 today
