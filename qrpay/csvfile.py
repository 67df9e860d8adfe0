"""CSV files in and out: one bounded, streaming reader and one writer that Excel cannot execute.

Reading: UTF-8 (with or without BOM), else GB18030 (GBK and GB2312, the usual exports of bank
systems), or exactly the encoding given; the file is read in chunks, never whole, and every
limit below is checked as it streams. Writing: every cell a spreadsheet would take for a
formula is neutralised (OWASP's CSV-injection rule) unless it is a plain number.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .errors import InputError, QrpayError
from .fileio import atomic_file

MAX_FILE_BYTES = 256 * 1024 * 1024  # a million statement lines take about 60 MiB
MAX_ROWS = 2_000_000
MAX_COLUMNS = 64
MAX_CELL = 1000  # characters in one cell
MAX_RECORD = 16 * 1024  # characters in one record, however many cells
CHUNK = 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    line: int  # the physical line the record starts on, 1 = the header
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    """A CSV file's encoding, header and non-blank records (*rows* may be a one-pass iterator)."""

    name: str
    encoding: str
    columns: tuple[str, ...]
    rows: Iterable[Row] = field(default_factory=list)


def _column_at(data: bytes, start: int, encoding: str) -> str:
    """Which column the byte at *start* falls in, for a message about undecodable bytes."""
    line_start = data.rfind(b"\n", 0, start) + 1
    before = data[line_start:start].decode(encoding, errors="replace")
    index = len(next(csv.reader([before + "x"])))
    header = next(csv.reader([data.split(b"\n", 1)[0].decode(encoding, errors="replace")]), [])
    names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
    return names[index - 1] if line_start and index <= len(names) and names[index - 1] else str(index)


def _canonical(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; use e.g. utf-8, gbk or gb18030") from None


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and encoding name of the bytes of a CSV file (see the module's rule)."""
    encoding = _canonical(encoding) if encoding else None
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


class _Bounded(io.RawIOBase):
    """A file's bytes, refusing NUL bytes and a file over the size limit as they are read."""

    def __init__(self, path: Path, name: str, *, text_only: bool):
        try:
            self.handle = open(path, "rb")  # noqa: SIM115 - closed with this object
        except IsADirectoryError:
            raise InputError(f"{name} is a folder; give a CSV file") from None
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror}") from None
        self.name, self.seen, self.lines, self.text_only = name, 0, 0, text_only

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = self.handle.readinto(buffer)
        chunk = bytes(memoryview(buffer)[:count])
        self.seen += count
        if self.seen > MAX_FILE_BYTES:
            raise InputError(f"{self.name} is over {MAX_FILE_BYTES // 2**20} MiB; split it into smaller files")
        if self.text_only and b"\x00" in chunk:
            line = self.lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
            raise InputError(
                f"{self.name}, line {line}: contains NUL bytes, so it is not a CSV text file "
                "(a spreadsheet, PDF or UTF-16 export?); save it as CSV UTF-8"
            )
        self.lines += chunk.count(b"\n")
        return count

    def close(self) -> None:
        self.handle.close()
        super().close()


def _detect(path: Path, name: str, encoding: str | None) -> str:
    """The encoding the whole file decodes in, found in one streaming pass per candidate."""
    for candidate in [_canonical(encoding)] if encoding else ["utf-8", "gb18030"]:
        decoder = codecs.getincrementaldecoder(candidate)()
        with _Bounded(path, name, text_only=encoding is None) as raw:
            try:
                while chunk := raw.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
        return candidate
    decode(Path(path).read_bytes(), name, encoding)  # under the size limit; raises the precise message
    raise AssertionError("unreachable")  # pragma: no cover


def _lines(path: Path, name: str, encoding: str, *, text_only: bool) -> Iterator[str]:
    """The file's lines (line ends kept, as the csv module wants them), streamed."""
    raw = io.BufferedReader(_Bounded(path, name, text_only=text_only), CHUNK)
    with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        first = text.readline()
        yield first.removeprefix("\ufeff")
        yield from text


def stream_table(
    path: Path, name: str, required: Sequence[str], optional: Sequence[str] = (), encoding: str | None = None
) -> Table:
    """Open a CSV file whose first line names its columns; *required* ones must be there.

    The header is checked now; the records stream from ``table.rows`` (one pass), each
    checked against the limits as it is read. :func:`read_table` gives them as a list.
    """
    path = Path(path)
    used = _detect(path, name, encoding)
    reader = csv.reader(_lines(path, name, used, text_only=encoding is None), strict=True)
    expected = ", ".join((*required, *optional))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}, line 1: not valid CSV ({exc})") from None
    if header is None or not any(cell.strip() for cell in header):
        raise InputError(f"{name}, line 1: no header; the first line must name the columns {expected}")
    if len(header) > MAX_COLUMNS or sum(map(len, header)) > MAX_RECORD:
        raise InputError(f"{name}, line 1: over {MAX_COLUMNS} columns or {MAX_RECORD} characters; not a header")
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
    return Table(name, used, columns, _records(reader, name, columns))


def read_table(
    path: Path, name: str, required: Sequence[str], optional: Sequence[str] = (), encoding: str | None = None
) -> Table:
    """:func:`stream_table` with every record read and checked now, into a list."""
    table = stream_table(path, name, required, optional, encoding)
    return Table(table.name, table.encoding, table.columns, list(table.rows))


def _records(reader: Iterator[list[str]], name: str, columns: tuple[str, ...]) -> Iterator[Row]:
    last, count = reader.line_num, 0  # type: ignore[attr-defined]
    try:
        for record in reader:
            line, last = last + 1, reader.line_num  # type: ignore[attr-defined]
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > MAX_ROWS:
                raise InputError(f"{name} has over {MAX_ROWS:,} rows; split it into smaller files")
            if sum(map(len, record)) > MAX_RECORD:
                raise InputError(f"{name}, line {line}: the line is over {MAX_RECORD:,} characters")
            if len(record) > len(columns):
                raise InputError(
                    f"{name}, line {line}, column {len(columns) + 1}: an extra field "
                    f"{record[len(columns)][:40]!r} (the header has {len(columns)} columns); "
                    "quote values that contain commas"
                )
            if len(record) < len(columns):
                raise InputError(
                    f"{name}, line {line}, column {columns[len(record)]}: missing "
                    f"(the line has {len(record)} of {len(columns)} fields)"
                )
            yield Row(line, dict(zip(columns, record)))
    except csv.Error as exc:
        raise InputError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None  # type: ignore[attr-defined]


class Problems:
    """Every bad cell of one file (or of one command line), so the user can fix them all at once.

    Raised as one InputError naming the first problem, its file, line and column.
    """

    def __init__(self, name: str | None = None):
        self.name = name  # None: the values came from command-line options
        self.found: list[str] = []  # the first MAX_PROBLEMS
        self.more = 0  # problems beyond those, counted, not kept

    def value(
        self, line: int | None, column: str, parse: Callable[..., T], *args: object, **kwargs: object
    ) -> T | None:
        """``parse(*args, **kwargs)``, or ``None`` with the problem recorded at this line and column."""
        try:
            return parse(*args, **kwargs)
        except (ValueError, OverflowError, QrpayError) as exc:
            where = f"{self.name}, line {line}, column {column}" if self.name else "--" + column.replace("_", "-")
            if len(self.found) < MAX_PROBLEMS:
                self.found.append(f"{where}: {exc}")
            else:
                self.more += 1
            return None

    def check(self) -> None:
        """Raise the first problem, saying how many more there are; nothing if all was well."""
        if not self.found:
            return
        notes = [f"nothing was recorded from {self.name}"] if self.name else []
        if len(self.found) + self.more > 1:
            notes.append(f"{len(self.found) + self.more - 1} more problem(s)")
        raise InputError(f"{self.found[0]} ({'; '.join(notes)})" if notes else self.found[0])


MAX_PROBLEMS = 1000


def read_cells(problems: Problems, row: Row, parsers: dict[str, Callable[[str], object]]) -> dict | None:
    """Parse the cells of *row* named in *parsers*; ``None`` if any of them is bad."""
    before = len(problems.found) + problems.more
    values = {
        column: problems.value(row.line, column, _parse_cell, parse, row.cells.get(column, ""))
        for column, parse in parsers.items()
    }
    return values if len(problems.found) + problems.more == before else None


def _parse_cell(parse: Callable[[str], object], cell: str) -> object:
    if len(cell) > MAX_CELL:
        raise ValueError(f"is {len(cell)} characters long; at most {MAX_CELL}")
    return parse(cell)


# -- writing -------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """*value* as a CSV cell no spreadsheet runs as a formula: text that starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP), except a
    plain number such as ``-12.50``."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_bytes(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False, line_end: str = "\r\n"
) -> Iterator[bytes]:
    """The header and *rows* as UTF-8 CSV, every cell neutralised, in chunks of about 1 MiB."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow([safe_cell(column) for column in columns])
    first = True
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode("utf-8-sig" if bom and first else "utf-8")
            buffer.seek(0)
            buffer.truncate()
            first = False
    yield buffer.getvalue().encode("utf-8-sig" if bom and first else "utf-8")


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> None:
    """Write *rows* under *columns* to *path* atomically, formula-safe (see :func:`safe_cell`)."""
    with atomic_file(path) as handle:
        for data in csv_bytes(columns, rows, bom=bom):
            handle.write(data)
