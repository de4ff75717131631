"""Which process sent a call to the fake's loopback server: the pid behind a connection.

The server sees every call, whichever process makes it (a learner's ``ProcessPoolExecutor``, a
Dask worker, a script), but only as a connection ``127.0.0.1:port``. The operating system knows
which process holds the other end; ``psutil.net_connections`` asks it (about 20 ms of CPU), in a
thread of its own, never in the way of an answer, and at most every ``SCAN_EVERY_S``: one scan
names every connection that came since the last, so a flood of new connections costs a few
scans a second, not one each. A connection the OS will not name (another user's process, or one
gone before the scan) stays unknown.

A connection is known by both its ends: Linux gives two connections the same local port when
they go to different places (a kernel's call to its fake and a Dask worker's to its scheduler
can both leave from 127.0.0.1:41234), so the client's address alone can name the wrong process.

>>> peers = Peers()
>>> peers.pid_of("127.0.0.1:1") is None  # never seen
True
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import psutil

#: Connections remembered at most (the oldest are forgotten first).
KEEP = 4096
#: The least time between two scans of the OS's connections.
SCAN_EVERY_S = 0.25


class Peers:
    """Connections (``host:port``) and the pids the OS says hold them."""

    def __init__(self) -> None:
        self._pids: OrderedDict[str, int | None] = OrderedDict()
        # noted, not yet looked up: the client's end and the server's, as the OS names them
        self._pending: dict[str, tuple[tuple[str, int], tuple[str, int]]] = {}
        self._scan_due = False
        self._last_scan = float("-inf")
        self._lock = threading.Lock()
        self._asking: ThreadPoolExecutor | None = None

    def note(self, host: str, port: int, server: tuple[str, int]) -> None:
        """A call came from ``host:port`` to ``server`` (this server's own end of the
        connection): find the caller's process, if not known yet (in the background)."""
        client = f"{host}:{port}"
        with self._lock:
            if client in self._pids:
                return
            self._pids[client] = None
            self._pending[client] = ((host, port), (server[0], server[1]))
            if len(self._pids) > KEEP:
                self._pids.popitem(last=False)
            if self._scan_due:  # the next scan will name it too
                return
            self._scan_due = True
            if self._asking is None:
                self._asking = ThreadPoolExecutor(1, thread_name_prefix="fake-peers")
            asking = self._asking
        asking.submit(self._scan)

    def pid_of(self, client: str) -> int | None:
        """The pid behind ``client`` (``host:port``, as ``ServedCall.client`` names it)."""
        with self._lock:
            return self._pids.get(client)

    def wait(self) -> None:
        """Until every lookup asked for so far is done (a test, or a timeline about to draw)."""
        with self._lock:
            asking = self._asking
        if asking is not None:
            asking.submit(lambda: None).result(timeout=30)

    def close(self) -> None:
        with self._lock:
            asking, self._asking = self._asking, None
        if asking is not None:
            asking.shutdown(wait=False, cancel_futures=True)

    def _scan(self) -> None:
        """Name every connection noted since the last scan (one scan of the OS's table)."""
        time.sleep(max(0.0, self._last_scan + SCAN_EVERY_S - time.monotonic()))
        with self._lock:
            pending, self._pending, self._scan_due = self._pending, {}, False
        self._last_scan = time.monotonic()
        try:
            connections = psutil.net_connections(kind="tcp")
        except (psutil.AccessDenied, OSError):  # macOS without privileges: unknown
            return
        holders = {
            ((c.laddr.ip, c.laddr.port), (c.raddr.ip, c.raddr.port)): c.pid
            for c in connections
            if c.laddr and c.raddr and c.pid
        }
        with self._lock:
            for client, ends in pending.items():
                if client in self._pids:
                    self._pids[client] = holders.get(ends)
