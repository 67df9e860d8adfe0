"""The collection log: what counters took through open fallback codes (一费一码) while their
business software could not reach the platform, kept in the register for reconciliation.

    >>> log = CollectionLog(desk)
    >>> entry, new = log.add("C0000003", "120.00", "RX-2024-0001", payer="张三")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .. import clock
from ..api import Qrpay
from ..codes.catalog import Item
from ..codes.money import fen_of
from ..codes.record import Code
from ..csvfile import stream_table
from . import runs
from .books import NewEntry
from .ledger import (
    LOG_COLUMNS,
    LOG_OPTIONAL,
    MAX_PAYER,
    MAX_REFERENCE,
    Entry,
    Outcome,
    Problems,
    clean_cell,
    format_amount,
    iso,
    parse_amount,
    parse_time,
    reference_key,
)

#: A logged time this far ahead of the clock is a typo, not a collection.
FUTURE_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class Imported:
    """What a log import did: entries added and lines that were already logged."""

    name: str
    added: list[Entry]
    existing: list[Entry]


class CollectionLog:
    """Add, import and list collections taken under the fallback."""

    def __init__(self, qrpay: Qrpay):
        self.qrpay = qrpay
        self.books = qrpay.books

    def add(
        self, code: str, amount: str, reference: str, *, payer: str | None = None, at: str | None = None
    ) -> tuple[Entry, bool]:
        """Log one collection; the same collection logged again is returned as it is (``False``)."""
        cells = {"code": code, "amount": amount, "reference": reference, "payer": payer or "", "at": at or ""}
        problems = Problems()
        with self.qrpay.transaction():
            checked = self._check(problems, None, cells, "command line")
            problems.check()
            assert checked is not None  # a problem was raised above otherwise
            new, existing = checked
            return (existing, False) if existing else (self.books.add_entry(new), True)

    def import_csv(self, path: Path, *, encoding: str | None = None, name: str | None = None) -> Imported:
        """Log every line of a CSV file (columns code, amount, reference[, payer, at]), all or none."""
        name = name or str(path)
        table = stream_table(path, name, LOG_COLUMNS, LOG_OPTIONAL, encoding=encoding)
        problems = Problems(name)
        added, existing = [], []
        with self.qrpay.transaction():
            seen: dict[tuple[int, str], int] = {}
            checked = []
            for row in table.rows:
                result = self._check(problems, row.line, row.cells, f"{Path(name).name}:{row.line}")
                if result is None:
                    continue
                new, old = result
                key = (new.serial, reference_key(new.reference))
                if key in seen:
                    problems.value(
                        row.line,
                        "reference",
                        _fail,
                        f"repeats line {seen[key]} (same code and reference); give each collection its own reference",
                    )
                seen.setdefault(key, row.line)
                checked.append(result)
            problems.check()
            for new, old in checked:
                if old:
                    existing.append(old)
                else:
                    added.append(self.books.add_entry(new))
        return Imported(name, added, existing)

    def entries(self) -> list[tuple[Entry, Outcome]]:
        """Every logged collection with its standing against all statements imported so far."""
        entries = self.books.entries()
        logged = runs.logged(self.books, entries)  # the statements' lines are never held
        return [(entry, logged[entry.id]) for entry in entries]

    def describe(self, entry: Entry, outcome: Outcome | None = None) -> dict:
        """An entry as the CLI and JSON show it."""
        code = self.qrpay.get(entry.serial)
        data = {
            "id": entry.id,
            "code": code.id,
            "item": f"{code.number:02d}",
            "payment_code": code.payment_code,
            "amount": format_amount(entry.amount),
            "reference": entry.reference,
            "payer": entry.payer,
            "at": entry.at,
            "source": entry.source,
            "logged_at": entry.logged_at,
        }
        if outcome is not None:
            data.update(status=outcome.cls, detail=outcome.reason)
        return data

    # -- checking one line -----------------------------------------------------------------

    def _check(
        self, problems: Problems, line: int | None, cells: dict[str, str], source: str
    ) -> tuple[NewEntry, Entry | None] | None:
        """A checked new entry and the identical one already logged, if any; ``None`` after a problem."""
        before = len(problems.found)
        amount = problems.value(line, "amount", parse_amount, cells.get("amount", ""))
        reference = problems.value(
            line, "reference", clean_cell, cells.get("reference", ""), field="reference", limit=MAX_REFERENCE
        )
        payer = problems.value(
            line, "payer", clean_cell, cells.get("payer", ""), field="payer", limit=MAX_PAYER, required=False
        )
        at = problems.value(line, "at", self._time, cells.get("at", ""))
        when = at or clock.now(self.qrpay.settings.tz)
        code = problems.value(line, "code", self._open_code, cells.get("code", ""), when)
        if code is not None and amount is not None:
            problems.value(line, "amount", _within_limits, amount, self.qrpay.subject(code))
        if len(problems.found) > before or code is None or amount is None or reference is None:
            return None
        new = NewEntry(code.serial, amount, reference, payer, iso(when), source)
        old = self.books.entry_for(code.serial, reference)
        if old is not None and not _same(old, new, given_at=at is not None):
            problems.value(
                line,
                "reference",
                _fail,
                f"reference {reference!r} is already logged for {code.id} as entry #{old.id} "
                f"({format_amount(old.amount)} at {old.at}); give each collection its own reference",
            )
            return None
        return new, old

    def _time(self, text: str) -> datetime | None:
        if not text.strip():
            return None
        when = parse_time(text, self.qrpay.settings.tz)
        if when > clock.now(self.qrpay.settings.tz) + FUTURE_SLACK:
            raise ValueError(f"{iso(when)} is in the future; give the time the money was taken")
        return when

    def _open_code(self, text: str, when: datetime) -> Code:
        """The open code a collection went through; it must have been genuine and live at *when*."""
        if not text.strip():
            raise ValueError("is empty; give the code id (C0000042), its payment code or its link")
        found = self.qrpay.standing_at(text, when)
        code = found.code
        if found.standing in ("forged", "unknown_code") or code is None:
            raise ValueError(f"{text.strip()!r} is not a genuine code of this register ({found.reason})")
        if code.kind != "open":
            raise ValueError(
                f"{code.id} is a {code.kind} code; the collection log is for open fallback codes (see 'qrpay emergency kit')"
            )
        if found.standing != "ok":
            raise ValueError(f"{found.reason}, when this collection was taken")
        return code


def _within_limits(amount: int, item: Item) -> None:
    if item.amount_min is not None and amount < fen_of(item.amount_min):
        raise ValueError(
            f"{format_amount(amount)} is below the minimum {item.amount_min} for item {item.code} ({item.name})"
        )
    if item.amount_max is not None and amount > fen_of(item.amount_max):
        raise ValueError(
            f"{format_amount(amount)} is above the maximum {item.amount_max} for item {item.code} ({item.name})"
        )


def _same(old: Entry, new: NewEntry, *, given_at: bool) -> bool:
    """Whether *new* is *old* logged again: same amount, and the same payer and time where given."""
    return (
        old.amount == new.amount
        and (new.payer is None or new.payer == old.payer)
        and (not given_at or new.at == old.at)
    )


def _fail(message: str) -> None:
    raise ValueError(message)
