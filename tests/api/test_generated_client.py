"""A client generated from the OpenAPI document (openapi-python-client) runs the main flow against a real server,
names its calls after the operations, and parses refusals (409, 422) into their documented models"""

import importlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.test_main import OPERATOR_KEY, empty_app, running


def generate(url: str, folder: Path) -> Any:
    spec = folder / 'openapi.json'
    spec.write_text(httpx.get(f'{url}/openapi.json').text)
    env = {**os.environ, 'PATH': f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}'}
    subprocess.run(
        [Path(sys.executable).parent / 'openapi-python-client', 'generate', '--path', str(spec),
         '--output-path', str(folder / 'balances_client'), '--meta', 'none'],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module('balances_client')
    finally:
        sys.path.remove(str(folder))


def test_a_generated_client_runs_the_main_flow_and_parses_refusals(tmp_path: Path) -> None:
    env = empty_app(f'sqlite://{tmp_path}/gen.sqlite3')
    with running(env, tmp_path) as server:
        package = generate(server.url, tmp_path)

        def call(module: str, operation: str) -> Any:
            return importlib.import_module(f'balances_client.api.{module}.{operation}')

        models = importlib.import_module('balances_client.models')
        operator = package.AuthenticatedClient(base_url=server.url, token=OPERATOR_KEY)
        contract = call('operator', 'create_contract').sync(
            client=operator, body=models.ContractIn(name='Generated', region='FR', timezone='Europe/Paris')
        )
        team = call('operator', 'create_team').sync(contract.id, client=operator, body=models.TeamIn(name='A'))
        bought = call('operator', 'purchase').sync(
            contract.id, client=operator, body=models.PurchaseIn(id='p1', quantity='10', team=team.id)
        )
        assert bought.quantity == '10'
        key = call('operator', 'create_api_key').sync(
            contract.id,
            client=operator,
            body=models.ApiKeyIn(
                scopes=[models.ApiKeyInScopesItem('usage:write'), models.ApiKeyInScopesItem('balances:read')]
            ),
        )
        feed = package.AuthenticatedClient(base_url=server.url, token=key.key)
        now = datetime.now(UTC)

        def usage(event_id: str, quantity: str) -> Any:
            event = models.UsageEventIn(
                id=event_id, user='ana', product='cad', quantity=quantity, occurred_at=now, team=team.id
            )
            return call('usage', 'post_usage').sync_detailed(
                contract.id, client=feed, body=models.UsageIn(events=[event])
            )

        accepted = usage('e1', '4')
        assert accepted.status_code == 200
        assert accepted.parsed.accepted == 1
        too_much = usage('e2', '100')
        assert too_much.status_code == 409
        assert isinstance(too_much.parsed, models.ConflictOut)
        assert too_much.parsed.id == 'e2'
        invalid = usage('e3', '0.00001')
        assert invalid.status_code == 422
        assert isinstance(invalid.parsed, models.InvalidOut)
        assert invalid.parsed.detail[0].loc == ['body', 'events', 0, 'quantity']
        shown = call('reading', 'balances').sync(contract.id, client=feed)
        assert (shown.balances[0].available, shown.balances[0].used) == ('6', '4')
        missing = call('reading', 'balances').sync_detailed(contract.id + 1, client=feed)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.ErrorOut)
