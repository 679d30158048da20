"""Which process holds a claim, and whether it is gone (outbox and inbox claims both name one).

On the claim's own host Loa can tell at once that a process no longer runs; elsewhere only a
lease running out tells.
"""

from __future__ import annotations

import os
import socket


def here() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def gone(host: str, pid: int) -> bool:
    """True when (host, pid) is known dead: this host, and no such process, or this very
    process id (a restarted container reuses it; the caller knows its own claims)."""
    my_host, my_pid = here()
    return host == my_host and (pid == my_pid or not _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
