"""Memory handed back: large temporary buffers go back to the system when freed

Each sign-in checks a password with argon2id, whose 19 MiB buffer is allocated and freed in a worker thread. glibc
serves allocations above its mmap threshold with ``mmap`` (returned at once when freed), but raises that threshold
after each such free, up to 32 MiB: from then on the buffers come from the threads' heaps, which keep them. Measured
(``bench/tenants.py``): 580 KB of resident memory kept per sign-in, 93 KB with the threshold fixed. Fixing it
(``mallopt(M_MMAP_THRESHOLD, …)``, which also ends its adjustment) keeps every buffer over 128 KiB on ``mmap``.
"""

import ctypes
import ctypes.util
import logging

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THRESHOLD = 128 * 1024  # glibc's own starting value
log = logging.getLogger('balances.memory')


def return_large_buffers() -> bool:
    """Make buffers of 128 KiB and more go back to the system when freed (glibc only); whether it could."""
    name = ctypes.util.find_library('c')
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):  # not glibc: its allocator has its own policy
        log.info('mallopt is not available: large buffers follow the allocator of this system')
        return False
