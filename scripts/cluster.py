"""Several app processes behind HAProxy on one PostgreSQL: ``make cluster``, the tests and the benchmarks

    .venv/bin/python scripts/cluster.py [--processes 3] [--port 8080] [--db-url postgres://…]

Starts ``--processes`` copies of ``main.py`` on free loopback ports, all on the PostgreSQL of ``--db-url`` (or of
``BALANCES_DB_URL``; without either, a throwaway cluster of this machine's PostgreSQL 15), and Debian's HAProxy in
front of them on ``--port``, with what ``docs/DEPLOY.md`` explains: a cookie that keeps each browser on the process
that holds its page, health checks every second, a killed process's browsers sent to another one, and retries of
idempotent requests only. Prints the URL and the processes, and runs until interrupted.
"""

import argparse
import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
READY_WITHIN = 30.0
COOKIE = 'BALANCES_SERVER'

# What the balancer does; docs/DEPLOY.md says why of each line.
HAPROXY = """global
    maxconn {maxconn}
    stats socket {folder}/haproxy.sock mode 600 level admin

defaults
    mode http
    option http-server-close
    timeout connect 200ms
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend balances
    bind 127.0.0.1:{port}
    default_backend processes

backend processes
    balance leastconn
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET /api/v1/health
    http-check expect status 200
    acl idempotent method GET HEAD PUT DELETE OPTIONS
    http-request disable-l7-retry if !idempotent
    default-server inter 1s fall 2 rise 2 slowstart 5s
{servers}
"""


def connections() -> int:
    """As many connections as this machine lets HAProxy hold (two descriptors each: the browser's, the process's)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1000, min(20_000, (hard - 100) // 2)) if hard != resource.RLIM_INFINITY else 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    url: str
    processes: list[subprocess.Popen[str]]
    ports: list[int]
    folder: Path
    lines: dict[int, list[str]] = field(default_factory=dict)  # what each process printed, by port

    def name_of(self, port: int) -> str:
        """The balancer's name of the process on ``port`` (the value of its cookie)."""
        return f'app{self.ports.index(port) + 1}'

    def command(self, text: str) -> str:
        """Send a command to HAProxy's runtime API (``set server processes/app1 state drain``)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.folder / 'haproxy.sock'))
            sock.sendall(text.encode() + b'\n')
            answer = b''
            while chunk := sock.recv(65536):
                answer += chunk
        return answer.decode()


def _drain(process: subprocess.Popen[str], lines: list[str]) -> None:
    for line in process.stdout or ():
        lines.append(line.rstrip())


def _start(port: int, env: dict[str, str], cwd: Path, lines: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(  # noqa: S603 - this interpreter and this repository's main.py
        [sys.executable, str(ROOT / 'main.py')],
        cwd=cwd,
        env={**env, 'BALANCES_PORT': str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    threading.Thread(target=_drain, args=(process, lines), daemon=True).start()
    return process


def _wait_until_ready(url: str, process: subprocess.Popen[str], lines: list[str]) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'{url} stopped: {lines[-20:]}')
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f'{url}/api/v1/health', timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f'{url} not serving within {READY_WITHIN} s: {lines[-20:]}')


@contextlib.contextmanager
def cluster(db_url: str, count: int, folder: Path, env: dict[str, str], *, port: int = 0) -> Iterator[Cluster]:
    """``count`` app processes on ``db_url`` behind HAProxy (on ``port``, or a free one); stopped on exit."""
    haproxy = shutil.which('haproxy') or '/usr/sbin/haproxy'
    if not Path(haproxy).exists():
        raise RuntimeError('HAProxy is not installed (apt-get install haproxy)')
    base = {key: value for key, value in os.environ.items() if key != 'PYTEST_CURRENT_TEST'}
    full = {**base, 'BALANCES_DEMO_FEED': '0', **env, 'BALANCES_DB_URL': db_url}
    full.setdefault('BALANCES_STORAGE_SECRET', 'cluster')  # every process signs the same cookies
    ports = [free_port() for _ in range(count)]
    front = port or free_port()
    processes: list[subprocess.Popen[str]] = []
    lines: dict[int, list[str]] = {p: [] for p in ports}
    balancer: subprocess.Popen[str] | None = None
    try:
        # one at a time on an empty database: the first migrates (and loads the demo) while the others wait on its lock
        for app_port in ports:
            processes.append(_start(app_port, full, folder, lines[app_port]))
        for app_port, process in zip(ports, processes, strict=True):
            _wait_until_ready(f'http://127.0.0.1:{app_port}', process, lines[app_port])
        servers = '\n'.join(
            f'    server app{n} 127.0.0.1:{app_port} check cookie app{n}' for n, app_port in enumerate(ports, 1)
        )
        config = folder / 'haproxy.cfg'
        config.write_text(
            HAPROXY.format(folder=folder, port=front, cookie=COOKIE, servers=servers, maxconn=connections())
        )
        balancer = subprocess.Popen(  # noqa: S603 - the system's HAProxy, on the configuration written above
            [haproxy, '-f', str(config), '-db'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        url = f'http://127.0.0.1:{front}'
        deadline = time.monotonic() + READY_WITHIN
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f'{url}/api/v1/health', timeout=1).status_code == 200:
                    break
            if balancer.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'HAProxy did not start: {balancer.stderr.read() if balancer.stderr else ""}')
            time.sleep(0.1)
        yield Cluster(url, processes, ports, folder, lines)
    finally:
        for process in [*processes, *([balancer] if balancer else [])]:
            if process.poll() is None:
                process.terminate()
        for process in [*processes, *([balancer] if balancer else [])]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            if process.poll() is None:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--processes', type=int, default=3)
    parser.add_argument('--port', type=int, default=8080)
    parser.add_argument('--db-url', default=os.environ.get('BALANCES_DB_URL', ''))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.pg_cluster import throwaway_cluster

    with contextlib.ExitStack() as stack:
        db_url = args.db_url if args.db_url.startswith('postgres') else stack.enter_context(throwaway_cluster())
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix='balances-cluster-')))
        running = stack.enter_context(cluster(db_url, args.processes, folder, {}, port=args.port))
        print(f'Balances: {args.processes} processes behind HAProxy on {running.url}', flush=True)
        for port, process in zip(running.ports, running.processes, strict=True):
            print(f'  {running.name_of(port)}: pid {process.pid}, port {port}', flush=True)
        for line in running.lines[running.ports[0]]:
            if 'Sign in as' in line or 'Demo administrator' in line:
                print(line, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == '__main__':
    main()
