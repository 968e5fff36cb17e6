"""A throwaway PostgreSQL 15 cluster for the test suite

``initdb`` into a temporary folder, ``pg_ctl start`` on a free loopback port, and stop and delete it afterwards.
PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path(os.environ.get('BALANCES_PG_BIN', '/usr/lib/postgresql/15/bin'))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def _run_as_owner(args: list[str]) -> None:
    command = ['runuser', '-u', 'postgres', '--', *args] if os.geteuid() == 0 else args
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster and yield the URL of its ``postgres`` database; stop and delete it on exit."""
    if not (PG_BIN / 'initdb').exists():
        raise RuntimeError(
            f'PostgreSQL 15 is not installed: {PG_BIN}/initdb is missing (apt-get install postgresql-15)'
        )
    folder = Path(tempfile.mkdtemp(prefix='balances-pg-'))
    if os.geteuid() == 0:
        shutil.chown(folder, 'postgres', 'postgres')
    data = folder / 'data'
    port = _free_port()
    try:
        _run_as_owner([str(PG_BIN / 'initdb'), '-D', str(data), '-U', 'postgres', '-A', 'trust'])
        options = f'-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200'
        _run_as_owner(
            [str(PG_BIN / 'pg_ctl'), '-D', str(data), '-o', options, '-l', str(folder / 'log'), '-w', 'start']
        )
        yield f'postgres://postgres@127.0.0.1:{port}/postgres'
    finally:
        if data.exists():
            _run_as_owner([str(PG_BIN / 'pg_ctl'), '-D', str(data), '-m', 'immediate', 'stop'])
        shutil.rmtree(folder, ignore_errors=True)
