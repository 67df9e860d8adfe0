"""The worker's read-only view of keyring, catalog and register, and the 503 when they fail.

One :class:`Qrpay` per worker, opened read-only (so a minting desk is never blocked) and kept
open: SQLite answers every query from the latest commit, so a revocation shows on the next
request. It is rebuilt when the keyring or catalog file changes (a key rotated, an item added)
or the register file is replaced (a restore), and dropped after any failure so the next request
opens afresh.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from qrpay import Qrpay, QrpayError, Settings

log = logging.getLogger("qrpay.web")
T = TypeVar("T")


class Unavailable(Exception):
    """The keyring or register cannot be used right now; answered 503 without any detail."""


def _stamp(path: Path, *, content: bool) -> tuple[int, ...]:
    """What changes when the file at *path* is replaced (and, with *content*, rewritten)."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size) if content else (st.st_dev, st.st_ino)


class Reader:
    def __init__(self, settings: Settings):
        self.settings = settings
        # (path, whether its content matters); the register itself changes with every write
        self.watched = (
            (settings.keyring_path, True),
            (settings.user_catalog_path, True),
            (settings.register_path, False),
        )
        self._qrpay: Qrpay | None = None
        self._stamp: tuple = ()

    def _current(self) -> Qrpay:
        stamp = tuple(_stamp(path, content=content) for path, content in self.watched)
        if self._qrpay is None or stamp != self._stamp:
            self.drop()
            self._qrpay, self._stamp = Qrpay(self.settings, reader=True), stamp
        return self._qrpay

    def drop(self) -> None:
        if self._qrpay is not None:
            try:
                self._qrpay.close()
            except sqlite3.Error:
                pass
            self._qrpay = None

    def read(self, action: Callable[[Qrpay], T]) -> T:
        """*action* on the current Qrpay; a keyring, register or catalog failure becomes :class:`Unavailable`."""
        try:
            return action(self._current())
        except (QrpayError, sqlite3.Error) as exc:
            self.drop()
            log.warning("answering 503: %s: %s", type(exc).__name__, exc)
            raise Unavailable from None
