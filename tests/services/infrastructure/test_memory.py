"""Large temporary buffers go back to the system: a password check's 19 MiB is not kept by a worker thread"""

import threading
from pathlib import Path

from argon2 import PasswordHasher

from services.infrastructure import memory


def resident() -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS')


def test_a_password_check_in_a_thread_leaves_no_19_mib_behind() -> None:
    assert memory.return_large_buffers()  # glibc: the threshold is set, and no longer adjusted
    hasher = PasswordHasher(memory_cost=19 * 1024, time_cost=2, parallelism=1)  # OWASP's, as services/accounts
    digest = hasher.hash('a long enough password')
    before = resident()

    def check() -> None:
        for _ in range(3):
            hasher.verify(digest, 'a long enough password')

    for _ in range(4):  # new threads, as a pool starts them: each would keep a heap of its own
        worker = threading.Thread(target=check)
        worker.start()
        worker.join()
    assert resident() - before < 8 * 1024 * 1024
