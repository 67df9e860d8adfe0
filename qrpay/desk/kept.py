"""The desk's open Qrpays, kept from one request to the next.

Opening a register checks it (on SQLite a ``quick_check`` that reads the whole file) and, on
PostgreSQL, connects: done per request, a page of the code list would cost the register's size.
So a request borrows an open Qrpay and gives it back (at most KEEP are kept, one request at a
time uses each), much as qrpay serve's reader keeps its own. They are opened afresh when the
keyring or catalog file is rewritten or the register file replaced (a restore), and one that a
request failed with is closed. Both engines answer every query from the latest commit (SQLite
outside a transaction, PostgreSQL in autocommit), so what another desk writes shows at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from qrpay import Qrpay, Settings
from qrpay.web.reader import Watched

KEEP = 8  # open Qrpays kept per worker (each holds one SQLite or PostgreSQL connection)


class Kept:
    """``with kept() as qrpay``: an open Qrpay for one request, seeing every department until scoped."""

    def __init__(self, settings: Settings, keep: int = KEEP):
        self.settings = settings
        self.keep = keep
        self.watched = (
            Watched(str(settings.keyring_path), True),
            Watched(str(settings.user_catalog_path), True),
            Watched(str(settings.register_path), False),
        )
        self.free: list[tuple[Qrpay, tuple]] = []
        self.lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[Qrpay]:
        qrpay, stamp = self._take()
        try:
            yield qrpay.scoped(None)
        except BaseException:
            _close(qrpay)  # whatever failed, the next request starts from a fresh connection
            raise
        with self.lock:
            if len(self.free) < self.keep:
                self.free.append((qrpay, stamp))
                return
        _close(qrpay)

    def _take(self) -> tuple[Qrpay, tuple]:
        stamp = tuple(watched.stamp() for watched in self.watched)
        stale = []
        with self.lock:
            found = None
            while self.free and found is None:
                qrpay, at = self.free.pop()
                if at == stamp:
                    found = qrpay
                else:
                    stale.append(qrpay)
        for qrpay in stale:
            _close(qrpay)
        return (found or Qrpay(self.settings)), stamp

    def close(self) -> None:
        """Close every kept Qrpay (the worker is stopping)."""
        with self.lock:
            kept, self.free = self.free, []
        for qrpay, _ in kept:
            _close(qrpay)


def _close(qrpay: Qrpay) -> None:
    try:
        qrpay.close()
    except Exception:  # a connection already lost: nothing more to release
        pass
