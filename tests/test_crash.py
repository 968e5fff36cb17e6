"""Killing the server mid-ingestion: no acknowledged event lost, no batch half-written

Batches of usage stream into ``main.py`` from a thread; the process is SIGKILLed mid-stream and started again on
the same database. Every acknowledged batch must be there whole; every other batch whole or absent; the books
must balance.
"""

import asyncio
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.infrastructure.database import close_database, open_database
from services.reading.audit import check_ledger
from tests.test_main import OPERATOR_KEY, empty_app, running

BATCH = 200


def _stream(url: str, contract: int, team: int, acknowledged: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {OPERATOR_KEY}'}) as client:
        for n in range(10_000):
            if stop.is_set():
                return
            events = [
                {
                    'id': f'b{n}-{i}',
                    'team': team,
                    'user': f'u{i % 7}',
                    'product': 'cad',
                    'quantity': '0.5',
                    'occurred_at': datetime.now(UTC).isoformat(),
                }
                for i in range(BATCH)
            ]
            try:
                response = client.post(f'/contracts/{contract}/usage', json={'events': events})
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                acknowledged.append(n)


@pytest.mark.parametrize('lane', ['sqlite', 'postgres'])
def test_kill_during_ingestion_keeps_every_acknowledged_batch_whole(
    tmp_path: Path, lane: str, request: pytest.FixtureRequest
) -> None:
    url_db = f'sqlite://{tmp_path}/crash.sqlite3' if lane == 'sqlite' else request.getfixturevalue('postgres_url')
    env = empty_app(url_db)
    acknowledged: list[int] = []
    headers = {'Authorization': f'Bearer {OPERATOR_KEY}'}
    with running(env, tmp_path) as server, httpx.Client(base_url=f'{server.url}/api/v1', headers=headers) as op:
        contract = op.post('/contracts', json={'name': 'Crash', 'region': 'FR'}).json()['id']
        team = op.post(f'/contracts/{contract}/teams', json={'name': 'T'}).json()['id']
        op.post(f'/contracts/{contract}/purchases', json={'id': 'p', 'team': team, 'quantity': '1000000'})
        stop = threading.Event()
        feeder = threading.Thread(target=_stream, args=(server.url, contract, team, acknowledged, stop))
        feeder.start()
        while len(acknowledged) < 5:
            threading.Event().wait(0.05)
        server.process.send_signal(signal.SIGKILL)
        feeder.join(timeout=30)
        stop.set()
    assert len(acknowledged) >= 5

    async def inspect() -> tuple[dict[int, int], list[str]]:
        await open_database(url_db)
        from tortoise import connections

        conn = connections.get('default')
        rows = await conn.execute_query_dict(f'SELECT client_id FROM usage_event WHERE contract_id = {int(contract)}')
        counts: dict[int, int] = {}
        for row in rows:
            batch = int(row['client_id'].split('-')[0][1:])
            counts[batch] = counts.get(batch, 0) + 1
        problems = await check_ledger(contract)
        await close_database()
        return counts, problems

    counts, problems = asyncio.run(inspect())
    assert all(counts.get(n) == BATCH for n in acknowledged), 'an acknowledged batch is missing events'
    assert all(count == BATCH for count in counts.values()), 'a batch was half-written'
    assert problems == []
