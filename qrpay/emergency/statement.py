"""Statements from the platform or a bank: one CSV file or Excel workbook (.xlsx) of payments,
streamed and checked.

A line with a negative amount is a refund (see :func:`qrpay.emergency.rules.refund_target`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..csvfile import Problems, Table, read_cells
from ..errors import InputError
from ..xlsxfile import stream_file
from .values import MAX_REFERENCE, MAX_TXN_ID, clean_cell, iso, parse_amount, parse_time

STATEMENT_COLUMNS = ("txn_id", "paid_at", "amount", "code", "reference")


@dataclass(frozen=True)
class Payment:
    """One line of a statement from the platform or the bank."""

    line: int
    txn_id: str
    paid_at: datetime
    amount: int
    code: str
    reference: str

    def canonical(self) -> list:
        return [self.txn_id, iso(self.paid_at), self.amount, self.code, self.reference]


@dataclass(frozen=True)
class Statement:
    name: str
    encoding: str
    payments: list[Payment]

    @property
    def digest(self) -> str:
        """What makes two imports the same statement: its payments in order, not its bytes,
        so a re-export in another encoding or with other line endings is recognised."""
        return digest(self.payments)


def digest(payments: Iterable[Payment]) -> str:
    """The SHA-256 of the payments' canonical JSON list, fed one payment at a time: the same
    as hashing ``json.dumps([p.canonical() for p in payments], ensure_ascii=False)``."""
    hasher = _Digest()
    for payment in payments:
        hasher.add(payment)
    return hasher.hexdigest()


class _Digest:
    def __init__(self) -> None:
        self.hasher = hashlib.sha256(b"[")
        self.separator = b""

    def add(self, payment: Payment) -> None:
        self.hasher.update(self.separator + json.dumps(payment.canonical(), ensure_ascii=False).encode())
        self.separator = b", "

    def hexdigest(self) -> str:
        done = self.hasher.copy()
        done.update(b"]")
        return done.hexdigest()


@dataclass(frozen=True)
class StatementFile:
    """A statement read in passes, never held whole: :meth:`check` reads it all once (every cell
    checked, one bad cell rejects the file) and gives its digest; :meth:`payments` streams it again."""

    path: Path
    tz: ZoneInfo
    name: str
    encoding: str | None = None

    def check(self) -> tuple[str, str]:
        """The file's encoding and the digest of its payments, every cell checked."""
        used, payments = _payments(self.path, self.tz, self.name, self.encoding)
        return used, digest(payments)

    def payments(self, expected: str) -> Iterator[Payment]:
        """Every payment in file order, again; raises InputError at the end if any cell is bad or
        the payments are not those whose digest is *expected* (the file changed since :meth:`check`)."""
        hasher = _Digest()
        for payment in _payments(self.path, self.tz, self.name, self.encoding)[1]:
            hasher.add(payment)
            yield payment
        if hasher.hexdigest() != expected:
            raise InputError(f"{self.name}: the file changed while it was read; nothing was recorded, run again")


def read_statement(path: Path, tz: ZoneInfo, *, name: str | None = None, encoding: str | None = None) -> Statement:
    """Every payment of a statement CSV, all checked first: one bad cell rejects the file."""
    name = name or str(path)
    used, payments = _payments(path, tz, name, encoding)
    return Statement(name, used, list(payments))


def _payments(path: Path, tz: ZoneInfo, name: str, encoding: str | None) -> tuple[str, Iterator[Payment]]:
    table = stream_file(path, name, STATEMENT_COLUMNS, encoding=encoding)  # CSV, or an Excel workbook
    return table.encoding, _parsed(table, name, tz)


def _parsed(table: Table, name: str, tz: ZoneInfo) -> Iterator[Payment]:
    problems = Problems(name)
    parsers: dict[str, Callable[[str], object]] = {
        "txn_id": lambda text: clean_cell(text, field="txn_id", limit=MAX_TXN_ID),
        "paid_at": lambda text: parse_time(text, tz),
        "amount": lambda text: parse_amount(text, refunds=True),
        "code": lambda text: " ".join(text.split()),
        "reference": lambda text: clean_cell(text, field="reference", limit=MAX_REFERENCE, required=False) or "",
    }
    for row in table.rows:  # streamed: the file is never held whole
        values = read_cells(problems, row, parsers)
        if values is not None:
            yield Payment(row.line, **values)
    problems.check()
