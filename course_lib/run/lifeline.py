"""Worker processes that end with the process that owns them, however it ends.

A Jupyter interrupt sends SIGINT to the kernel's whole process group, workers included; a worker
that dies of it hands a ``KeyboardInterrupt`` back to the kernel, which then escapes a background
task and quietly ends the kernel. So workers ignore SIGINT: stopping them is their owner's call.
And a kernel or command killed outright (SIGKILL) cannot stop its workers: each worker watches
its owner and leaves when the owner is gone (on Linux the kernel is also asked to signal it when
its parent dies; under forkserver that parent lives on while its children do, so the watch
is what counts).

>>> import os
>>> alive(os.getpid()), alive(2**22 + 12345)
(True, False)
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from course_lib.config import ENV_OWNER  # setup() names the kernel there

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_attached = False


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs. A process killed but not yet reaped by its parent (a
    zombie) does not: its own parent may be waiting for these very workers to let go first."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:  # Linux: "pid (name) state ..."
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def attach(owner: int | None = None, every_s: float = 0.5) -> None:
    """Make this worker ignore SIGINT and leave as soon as ``owner`` (default: the process named
    in ``COURSE_OWNER_PID``, else the parent) is gone. Safe to call more than once."""
    global _attached
    if _attached:
        return
    _attached = True
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner is None:
        owner = int(os.environ.get(ENV_OWNER) or os.getppid())
    if sys.platform == "linux":
        try:  # the parent's death sends SIGKILL at once (the forkserver's, under forkserver)
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch, args=(owner, every_s), name="lifeline", daemon=True).start()


def _watch(owner: int, every_s: float) -> None:
    while alive(owner):
        time.sleep(every_s)
    os._exit(1)  # the owner is gone: nobody will read what this process would compute
