"""The API fuzzed from its own OpenAPI document: schemathesis against a real server, every check

The server runs as a real process with a Flex contract of three teams holding lots, so that valid requests reach
the ledger. Schemathesis generates valid and invalid calls for every operation (examples, coverage, fuzzing and
stateful phases, deterministic) with the operator's key. Any failure of its checks fails the test: a 5xx, an
undocumented status code, a body that does not match its documented schema, a wrong content type, a missing
``Allow`` header, an operation that accepts what it documents as invalid, and more.

One check is left out, ``positive_data_acceptance``: it expects every schema-valid request to be accepted, and
some refusals depend on state no schema can say (a Flex contract needs ``team``, a cloud-credit one refuses it; a
transfer needs two different teams; a new administrator needs a password, an existing one does not; ``from`` comes
before ``to``). Those refusals are ``422``s naming their field, as documented.
"""

import subprocess
import sys
from pathlib import Path

import httpx

from tests.test_main import OPERATOR_KEY, empty_app, running

MAX_EXAMPLES = 60
MAX_SECONDS = 120


def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    env = empty_app(f'sqlite://{tmp_path}/fuzz.sqlite3')
    with running(env, tmp_path) as server:
        auth = {'Authorization': f'Bearer {OPERATOR_KEY}'}
        with httpx.Client(base_url=f'{server.url}/api/v1', headers=auth) as operator:
            contract = operator.post('/contracts', json={'name': 'Fuzzed', 'region': 'FR'}).json()['id']
            for name in ('A', 'B', 'C'):
                team = operator.post(f'/contracts/{contract}/teams', json={'name': name}).json()['id']
                lot = {'id': f'lot-{name}', 'team': team, 'quantity': '1000000'}
                assert operator.post(f'/contracts/{contract}/purchases', json=lot).status_code == 201
        run = subprocess.run(
            [Path(sys.executable).parent / 'schemathesis', 'run', f'{server.url}/openapi.json',
             '--header', f'Authorization: Bearer {OPERATOR_KEY}', '--checks', 'all',
             '--exclude-checks', 'positive_data_acceptance', '--max-examples', str(MAX_EXAMPLES),
             '--max-time', str(MAX_SECONDS), '--generation-deterministic', '--workers', '1', '--no-color'],
            capture_output=True, text=True, timeout=MAX_SECONDS + 120,
        )  # fmt: skip
    summary = run.stdout[run.stdout.rfind('SUMMARY') :]
    print(summary)
    assert run.returncode == 0, run.stdout[-6000:]
    assert 'passed' in summary
