"""The worker's read-only view of keyring, catalog and register, and the 503 when they fail.

One :class:`Qrpay` per worker, opened read-only (so a minting desk is never blocked) and kept
open: SQLite answers every query from the latest commit, so a revocation shows on the next
request. It is rebuilt when the keyring or catalog file changes (a key rotated, an item added)
or the register file is replaced (a restore), and dropped after any failure so the next request
opens afresh.

:meth:`Reader.marker` tells the answer cache (cache.py) when any of that state may have changed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Hashable
from typing import TypeVar

from qrpay import Qrpay, QrpayError, Settings

log = logging.getLogger("qrpay.web")
T = TypeVar("T")


class Unavailable(Exception):
    """The keyring or register cannot be used right now; answered 503 without any detail."""


class Watched:
    """A file whose replacement (and, with *content*, rewriting) means the Qrpay must be reopened."""

    __slots__ = ("content", "path", "there")

    def __init__(self, path: str, content: bool):
        self.path, self.content, self.there = path, content, True

    def stamp(self) -> tuple[int, ...]:
        """What changes when the file is replaced (or rewritten); ``()`` when it is not there.
        One stat; a file found missing is looked for with access(2), which costs no exception."""
        if not self.there and not os.access(self.path, os.F_OK):
            return ()
        try:
            st = os.stat(self.path)
        except OSError:
            self.there = False
            return ()
        self.there = True
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size) if self.content else (st.st_dev, st.st_ino)


class Reader:
    def __init__(self, settings: Settings):
        self.settings = settings
        # (path, whether its content matters); the register itself changes with every write
        self.watched = (
            Watched(str(settings.keyring_path), True),
            Watched(str(settings.user_catalog_path), True),
            Watched(str(settings.register_path), False),
        )
        self._qrpay: Qrpay | None = None
        self._stamp: tuple = ()
        self._generation = 0  # counts the Qrpays opened: a register's change counter is per connection

    def _current(self) -> Qrpay:
        keyring, catalog, register = self.watched
        stamp = (keyring.stamp(), catalog.stamp(), register.stamp())  # once per request: no loop, no list
        if self._qrpay is None or stamp != self._stamp:
            self.drop()
            self._qrpay, self._stamp = Qrpay(self.settings, reader=True), stamp
            self._generation += 1
        return self._qrpay

    def marker(self) -> Hashable | None:
        """A value that changes whenever an answer read now could differ from one read before:
        the keyring, catalog or register file replaced or rewritten, any commit to the register
        by anyone, or a new day. None when the register has no change counter (PostgreSQL) or
        the state cannot be read right now; then nothing may be answered from a cache."""
        try:
            qrpay = self._current()
            version = qrpay.register_version()
            return None if version is None else (self._generation, version, qrpay.today())
        except (QrpayError, sqlite3.Error):
            return None

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
