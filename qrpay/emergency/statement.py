"""Statements from the platform or a bank: one CSV file of payments, streamed and checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..csvfile import Problems, read_cells, stream_table
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
        body = json.dumps([payment.canonical() for payment in self.payments], ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()


def read_statement(path: Path, tz: ZoneInfo, *, name: str | None = None, encoding: str | None = None) -> Statement:
    """Every payment of a statement CSV, all checked first: one bad cell rejects the file."""
    name = name or str(path)
    table = stream_table(path, name, STATEMENT_COLUMNS, encoding=encoding)
    problems = Problems(name)
    parsers = {
        "txn_id": lambda text: clean_cell(text, field="txn_id", limit=MAX_TXN_ID),
        "paid_at": lambda text: parse_time(text, tz),
        "amount": parse_amount,
        "code": lambda text: " ".join(text.split()),
        "reference": lambda text: clean_cell(text, field="reference", limit=MAX_REFERENCE, required=False) or "",
    }
    payments = []
    for row in table.rows:  # streamed: the file is never held whole
        values = read_cells(problems, row, parsers)
        if values is not None:
            payments.append(Payment(row.line, **values))
    problems.check()
    return Statement(name, table.encoding, payments)
