"""The emergency ledger's domain: money in fen, payment times, the CSV files of the collection
log and of bank or platform statements, and the rules that classify every payment and every
logged collection.

Nothing here touches the register or the keyring, so each rule can be tested on plain values.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from ..codes.record import clean_text, code_id
from ..errors import InputError, QrpayError

#: Every class a reconciliation row can get, in report order.
CLASSES = (
    "matched",
    "amount_mismatch",
    "forged",
    "unknown_code",
    "revoked",
    "expired",
    "duplicate",
    "unlogged",
    "unpaid",
)
#: What a payment's code was at the moment of payment, judged when the statement is imported.
STANDINGS = ("ok", "forged", "unknown_code", "revoked", "expired")
STATEMENT_COLUMNS = ("txn_id", "paid_at", "amount", "code", "reference")
LOG_COLUMNS = ("code", "amount", "reference")
LOG_OPTIONAL = ("payer", "at")
MAX_REFERENCE = 100
MAX_PAYER = 100
MAX_TXN_ID = 100
MAX_CELL = 1000
MAX_YUAN_DIGITS = 12
T = TypeVar("T")

_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_AMOUNT = re.compile(r"^(\d+)(?:\.(\d+))?$")

# -- money ---------------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """Yuan as people write them (``120``, ``120.5``, ``1,200.00``, ``¥120``) in whole fen.

    Exact: no floats. Raises ValueError with a sentence for anything that is not a positive
    amount with at most two decimal places.
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    value = raw.lstrip("¥").strip()
    if _GROUPED.match(value):
        value = value.replace(",", "")
    if value.startswith("-"):
        raise ValueError(f"{raw!r} is negative; amounts collected are positive (refunds are not reconciled here)")
    match = _AMOUNT.match(value)
    if not match:
        raise ValueError(f"{raw!r} is not an amount of yuan; write it like 120.00")
    whole, cents = match.group(1), match.group(2) or ""
    if len(cents) > 2:
        raise ValueError(f"{raw!r} has {len(cents)} decimal places; amounts have at most 2 (fen), e.g. 120.50")
    if len(whole.lstrip("0")) > MAX_YUAN_DIGITS:
        raise ValueError(f"{raw!r} is too large; at most {MAX_YUAN_DIGITS} digits of yuan")
    fen = int(whole) * 100 + int(cents.ljust(2, "0"))
    if fen == 0:
        raise ValueError(f"{raw!r} is zero; an amount collected must be more than 0.00")
    return fen


def format_amount(fen: int) -> str:
    """Fen as yuan with two decimals: 12000 -> ``120.00``."""
    return f"{fen // 100}.{fen % 100:02d}"


def from_decimal(amount: Decimal) -> int:
    """Whole fen for a catalog limit (already checked to have at most two decimals)."""
    return int(amount * 100)


# -- time ----------------------------------------------------------------------------------


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date and time of day; one without an offset is taken in *tz*."""
    value = unicodedata.normalize("NFKC", text).strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 time; write it like 2024-05-01 14:30 or 2024-05-01T14:30:00+08:00"
        ) from None
    if not re.search(r"\d[T ]\d", value):
        raise ValueError(f"{value!r} has no time of day; write it like {value} 14:30")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


# -- text cells ----------------------------------------------------------------------------


def clean_cell(value: str, *, field: str, limit: int, required: bool = True) -> str | None:
    """A trimmed, NFC text cell; ``None`` when empty and not *required*."""
    if not value.strip():
        if required:
            raise ValueError("nothing given; this value is required")
        return None
    return clean_text(value, field=field, limit=limit)


def reference_key(reference: str) -> str:
    """What two references must share to be the same: NFKC (full-width = half-width),
    case-folded, whitespace collapsed. Bank systems often upper-case or widen what payers type."""
    return " ".join(unicodedata.normalize("NFKC", reference).casefold().split())


# -- CSV files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int  # the physical line the record starts on, 1 = the header
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    """A CSV file read whole: its encoding, header and non-blank records."""

    name: str
    encoding: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)


def _column_at(data: bytes, start: int, encoding: str) -> str:
    """Which column the byte at *start* falls in, for a message about undecodable bytes."""
    line_start = data.rfind(b"\n", 0, start) + 1
    before = data[line_start:start].decode(encoding, errors="replace")
    index = len(next(csv.reader([before + "x"])))
    header = next(csv.reader([data.split(b"\n", 1)[0].decode(encoding, errors="replace")]), [])
    names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
    return names[index - 1] if line_start and index <= len(names) and names[index - 1] else str(index)


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and encoding name of a CSV file: UTF-8 (with or without BOM), else GB18030 (which
    reads GBK and GB2312, the usual exports of bank systems), or exactly *encoding* if given."""
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}; use e.g. utf-8, gbk or gb18030") from None
    candidates = [encoding] if encoding else ["utf-8", "gb18030"]
    failure: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as exc:
            failure = failure or exc
            continue
        return text.removeprefix("\ufeff"), candidate
    assert failure is not None
    line = data.count(b"\n", 0, failure.start) + 1
    column = _column_at(data, failure.start, candidates[0])
    bad = data[failure.start : failure.end].hex(" ")
    if encoding:
        raise InputError(
            f"{name}, line {line}, column {column}: bytes {bad} are not {encoding} text; "
            "check the --encoding you gave, or leave it out to detect UTF-8 and GBK"
        )
    raise InputError(
        f"{name}, line {line}, column {column}: bytes {bad} are neither UTF-8 nor GBK/GB18030 text; "
        "save the file as CSV UTF-8, or name its encoding with --encoding"
    )


def read_table(
    path: Path, name: str, required: Sequence[str], optional: Sequence[str] = (), encoding: str | None = None
) -> Table:
    """Read a CSV file whose first line names its columns; *required* ones must be there."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{name} is a folder; give a CSV file") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None
    if encoding is None and b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(
            f"{name}, line {line}: contains NUL bytes, so it is not a CSV text file "
            "(a spreadsheet, PDF or UTF-16 export?); save it as CSV UTF-8"
        )
    text, used = decode(data, name, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected = ", ".join((*required, *optional))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InputError(f"{name}, line 1: no header; the first line must name the columns {expected}")
        columns = tuple(cell.strip().lower() for cell in header)
        for index, column in enumerate(columns):
            if column and column in columns[:index]:
                raise InputError(f"{name}, line 1, column {column}: named twice in the header")
        missing = [column for column in required if column not in columns]
        if missing:
            raise InputError(
                f"{name}, line 1, column {missing[0]}: missing from the header "
                f"(it has: {', '.join(columns)}); the first line must name the columns {expected}"
            )
        rows, last = [], reader.line_num
        for record in reader:
            line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns):
                raise InputError(
                    f"{name}, line {line}, column {len(columns) + 1}: an extra field "
                    f"{record[len(columns)]!r} (the header has {len(columns)} columns); "
                    "quote values that contain commas"
                )
            if len(record) < len(columns):
                raise InputError(
                    f"{name}, line {line}, column {columns[len(record)]}: missing "
                    f"(the line has {len(record)} of {len(columns)} fields)"
                )
            rows.append(Row(line, dict(zip(columns, record))))
    except csv.Error as exc:
        raise InputError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None
    return Table(name, used, columns, rows)


class Problems:
    """Every bad cell of one file (or of one command line), so the user can fix them all at once.

    Raised as one InputError naming the first problem, its file, line and column.
    """

    def __init__(self, name: str | None = None):
        self.name = name  # None: the values came from command-line options
        self.found: list[str] = []

    def value(
        self, line: int | None, column: str, parse: Callable[..., T], *args: object, **kwargs: object
    ) -> T | None:
        """``parse(*args, **kwargs)``, or ``None`` with the problem recorded at this line and column."""
        try:
            return parse(*args, **kwargs)
        except (ValueError, QrpayError) as exc:
            where = f"{self.name}, line {line}, column {column}" if self.name else "--" + column.replace("_", "-")
            self.found.append(f"{where}: {exc}")
            return None

    def check(self) -> None:
        """Raise the first problem, saying how many more there are; nothing if all was well."""
        if not self.found:
            return
        notes = [f"nothing was recorded from {self.name}"] if self.name else []
        if len(self.found) > 1:
            notes.append(f"{len(self.found) - 1} more problem(s)")
        raise InputError(f"{self.found[0]} ({'; '.join(notes)})" if notes else self.found[0])


def read_cells(problems: Problems, row: Row, parsers: dict[str, Callable[[str], object]]) -> dict | None:
    """Parse the cells of *row* named in *parsers*; ``None`` if any of them is bad."""
    before = len(problems.found)
    values = {
        column: problems.value(row.line, column, _parse_cell, parse, row.cells.get(column, ""))
        for column, parse in parsers.items()
    }
    return values if len(problems.found) == before else None


def _parse_cell(parse: Callable[[str], object], cell: str) -> object:
    if len(cell) > MAX_CELL:
        raise ValueError(f"is {len(cell)} characters long; at most {MAX_CELL}")
    return parse(cell)


# -- statements ----------------------------------------------------------------------------


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
    table = read_table(path, name, STATEMENT_COLUMNS, encoding=encoding)
    problems = Problems(name)
    parsers = {
        "txn_id": lambda text: clean_cell(text, field="txn_id", limit=MAX_TXN_ID),
        "paid_at": lambda text: parse_time(text, tz),
        "amount": parse_amount,
        "code": lambda text: " ".join(text.split()),
        "reference": lambda text: clean_cell(text, field="reference", limit=MAX_REFERENCE, required=False) or "",
    }
    payments = []
    for row in table.rows:
        values = read_cells(problems, row, parsers)
        if values is not None:
            payments.append(Payment(row.line, **values))
    problems.check()
    return Statement(name, table.encoding, payments)


# -- classification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A collection logged under the fallback: the money a counter says it took."""

    id: int
    serial: int
    amount: int
    reference: str
    payer: str | None
    at: str
    source: str
    logged_at: str

    @property
    def key(self) -> tuple[int, str]:
        return self.serial, reference_key(self.reference)


@dataclass(frozen=True)
class Txn:
    """A statement line as stored: the payment plus its code's standing at payment time."""

    statement: int
    line: int
    txn_id: str
    paid_at: str
    amount: int
    code: str
    reference: str
    serial: int | None
    standing: str
    standing_reason: str

    @property
    def spot(self) -> tuple[int, int]:
        return self.statement, self.line

    @property
    def content(self) -> tuple:
        return self.paid_at, self.amount, self.code, self.reference


@dataclass(frozen=True)
class Outcome:
    """The class of one statement line or log entry, why, and the other side of the pair."""

    cls: str
    reason: str
    entry: int | None = None
    txn: tuple[int, int] | None = None


def _firsts(txns: Sequence[Txn], out: dict) -> tuple[list[Txn], list[tuple[Txn, Txn]]]:
    """Split lines into first sightings of a txn_id and repeats; repeats that are duplicates go to *out*."""
    first: dict[str, Txn] = {}
    in_statement: dict[tuple[int, str], Txn] = {}
    firsts, repeats = [], []
    for txn in sorted(txns, key=lambda t: t.spot):
        here = in_statement.get((txn.statement, txn.txn_id))
        earlier = first.get(txn.txn_id)
        if here is not None:
            out[txn.spot] = Outcome("duplicate", f"txn {txn.txn_id} is listed again: it is already on line {here.line}")
        elif earlier is None:
            first[txn.txn_id] = txn
            firsts.append(txn)
        elif earlier.content != txn.content:
            out[txn.spot] = Outcome(
                "duplicate",
                f"txn {txn.txn_id} is already in statement #{earlier.statement} "
                f"(line {earlier.line}) with other details",
            )
        else:
            repeats.append((txn, earlier))
        in_statement.setdefault((txn.statement, txn.txn_id), txn)
    return firsts, repeats


def classify(
    txns: Sequence[Txn], entries: Sequence[Entry]
) -> tuple[dict[tuple[int, int], Outcome], dict[int, Outcome]]:
    """The outcome of every stored statement line (by statement and line) and every log entry (by id).

    A log entry pairs with at most one payment of the same code and reference: the earliest one
    of equal amount, else the earliest one. Payments through forged or unknown codes never pair.
    """
    lines: dict[tuple[int, int], Outcome] = {}
    firsts, repeats = _firsts(txns, lines)
    by_key = {entry.key: entry for entry in entries}
    payable: dict[tuple[int, str], list[Txn]] = {}
    for txn in firsts:
        if txn.standing in ("forged", "unknown_code"):
            lines[txn.spot] = Outcome(txn.standing, txn.standing_reason)
        else:
            payable.setdefault((txn.serial, reference_key(txn.reference)), []).append(txn)
    paid_by: dict[int, Txn] = {}
    for key, candidates in payable.items():
        entry = by_key.get(key)
        if entry is not None:
            paid_by[entry.id] = next((t for t in candidates if t.amount == entry.amount), candidates[0])
    pairs = {txn.spot: entry for entry in entries if (txn := paid_by.get(entry.id))}
    for key, candidates in payable.items():
        for txn in candidates:
            lines[txn.spot] = _paired(txn, pairs.get(txn.spot), by_key.get(key), paid_by)
    for txn, earlier in repeats:
        seen = lines[earlier.spot]
        lines[txn.spot] = Outcome(
            seen.cls,
            f"same payment as statement #{earlier.statement} line {earlier.line}: {seen.reason}",
            seen.entry,
            earlier.spot,
        )
    logged: dict[int, Outcome] = {}
    for entry in entries:
        txn = paid_by.get(entry.id)
        if txn is None:
            logged[entry.id] = Outcome(
                "unpaid", f"logged {format_amount(entry.amount)} at {entry.at}; no statement shows this payment"
            )
        else:
            seen = lines[txn.spot]
            logged[entry.id] = Outcome(
                seen.cls, f"paid by txn {txn.txn_id} (statement #{txn.statement} line {txn.line})", entry.id, txn.spot
            )
    return lines, logged


def _paired(txn: Txn, entry: Entry | None, holder: Entry | None, paid_by: dict[int, Txn]) -> Outcome:
    """The outcome of a payment through a genuine code, given the log entry it pairs with (if any)."""
    if entry is not None:
        if txn.standing != "ok":
            return Outcome(txn.standing, f"{txn.standing_reason}; it pays log entry #{entry.id}", entry.id)
        if txn.amount == entry.amount:
            return Outcome("matched", f"log entry #{entry.id}", entry.id)
        return Outcome(
            "amount_mismatch",
            f"paid {format_amount(txn.amount)}, logged {format_amount(entry.amount)} (log entry #{entry.id})",
            entry.id,
        )
    if txn.standing != "ok":
        return Outcome(txn.standing, txn.standing_reason)
    if holder is not None:
        other = paid_by[holder.id]
        return Outcome(
            "unlogged",
            f"a second payment for reference {txn.reference!r}: log entry #{holder.id} is paid by txn {other.txn_id}",
        )
    reference = f"reference {txn.reference!r}" if txn.reference else "an empty reference"
    return Outcome("unlogged", f"no log entry for {code_id(txn.serial)} with {reference}")


def summarize(classes: Sequence[str]) -> dict[str, int]:
    """A count for every class, zeros included."""
    return {cls: sum(1 for c in classes if c == cls) for cls in CLASSES}
