"""Excel workbooks (.xlsx) in: the first worksheet as the same bounded :class:`~.csvfile.Table` a CSV gives.

The header is the sheet's first non-blank row; below it every non-blank row is a
:class:`~.csvfile.Row` whose ``line`` is the sheet's row number, so a message points at the row
Excel shows. Cells become the text a user sees: numbers as their exact decimal text at Excel's
15 significant digits (``200`` not ``200.0``, ``200.5``, ``0.3`` for a sum stored as
0.30000000000000004), dates as ISO ``2026-12-31``, date-times as ``2026-12-31 09:30:00``, a
formula as the value Excel last computed. Before openpyxl reads anything, the zip archive is
checked: its size, the number of its parts and what they unpack to (declared sizes, which
Python's zipfile holds each part to), so a zip bomb is refused unread; XML is parsed with
defusedxml (no entities, no DTDs). :func:`stream_file` and :func:`read_file` open either kind by
its suffix, for callers that take both.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Generator, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .csvfile import MAX_COLUMNS, MAX_RECORD, MAX_ROWS, Row, Table, read_table, stream_table
from .errors import InputError

MAX_FILE_BYTES = 64 * 1024 * 1024  # compressed, as stored
MAX_UNPACKED = 512 * 1024 * 1024  # all parts, unpacked: about a million statement lines
MAX_PARTS = 10_000
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit: a sheet claiming rows past it is not from Excel
EXCEL_DIGITS = 15  # significant digits Excel keeps and shows of a number
SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"


def is_workbook(path: Path) -> bool:
    """Whether *path* names an Excel workbook: by its suffix, or by the zip signature of a file
    saved as a workbook under another name."""
    if Path(path).suffix.lower() in SUFFIXES:
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == _ZIP_MAGIC
    except OSError:
        return False  # the CSV reader says what is wrong with it


def cell_text(value: object) -> str:
    """A cell's value as the text a user sees in Excel (see the module's rule)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        return format(Decimal(f"{value:.{EXCEL_DIGITS}g}").normalize(), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _check_archive(handle: IO[bytes], name: str) -> None:
    """Refuse what is not a workbook, or would unpack to too much, before parsing any of it."""
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    if size > MAX_FILE_BYTES:
        raise InputError(f"{name} is over {MAX_FILE_BYTES // 2**20} MiB; split it into smaller workbooks")
    if handle.read(4) != _ZIP_MAGIC:
        raise InputError(
            f"{name} is not an .xlsx workbook (an Excel 97-2003 .xls, or another file renamed?); "
            "save it in Excel as .xlsx or as CSV UTF-8"
        )
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"{name} is not a readable .xlsx workbook ({exc}); save it again in Excel") from None
    if len(parts) > MAX_PARTS:
        raise InputError(f"{name} holds {len(parts):,} parts; an .xlsx workbook has a few dozen")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED:
        raise InputError(
            f"{name} would unpack to {unpacked // 2**20:,} MiB (over {MAX_UNPACKED // 2**20} MiB); "
            "split it into smaller workbooks"
        )
    if not any(part.filename == "xl/workbook.xml" for part in parts):
        raise InputError(f"{name} is a zip file but not an .xlsx workbook (no xl/workbook.xml)")
    handle.seek(0)


def _unreadable(name: str, exc: Exception) -> InputError:
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return InputError(f"{name} is not a readable .xlsx workbook ({detail}); save it again in Excel as .xlsx")


def _sheet_rows(handle: IO[bytes], name: str) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
    """(row number, values) of the first worksheet, at most MAX_COLUMNS + 1 values a row; the
    workbook is closed when the rows end or the caller stops."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # styles and extensions openpyxl skips: not the user's problem
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _unreadable(name, exc) from None
    try:
        if not book.worksheets:
            raise InputError(f"{name} has no worksheet; put the table on the first sheet")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a sheet's stated size may be wrong, and is not trusted
        rows = sheet.iter_rows(min_col=1, max_col=MAX_COLUMNS + 1, values_only=True)
        number = 0
        while True:
            try:
                values = next(rows, None)
            except InputError:
                raise
            except Exception as exc:
                raise _unreadable(name, exc) from None
            if values is None:
                return
            number += 1
            if number > MAX_SHEET_ROWS:
                raise InputError(
                    f"{name}: the first sheet has rows past Excel's {MAX_SHEET_ROWS:,}; not an Excel sheet"
                )
            yield number, values
    finally:
        book.close()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _texts(name: str, number: int, values: tuple[Any, ...]) -> list[str]:
    cells = [cell_text(value) for value in values]
    while cells and not cells[-1].strip():
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise InputError(f"{name}, line {number}: over {MAX_COLUMNS} columns; not a table qrpay reads")
    if sum(map(len, cells)) > MAX_RECORD:
        raise InputError(f"{name}, line {number}: the row is over {MAX_RECORD:,} characters")
    return cells


def stream_workbook(path: Path, name: str, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """The first worksheet of the workbook at *path*, whose first non-blank row names its columns;
    *required* ones must be there. The header is checked now; the rows stream from ``table.rows``
    (one pass), each checked as it is read, and the file is closed when they end."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed when the rows end, or below on failure
    except IsADirectoryError:
        raise InputError(f"{name} is a folder; give an .xlsx workbook") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None
    try:
        _check_archive(handle, name)
        rows = _sheet_rows(handle, name)
        header: list[str] = []
        line = 0
        for line, values in rows:
            header = _texts(name, line, values)
            if any(cell.strip() for cell in header):
                break
        expected = ", ".join((*required, *optional))
        if not header:
            raise InputError(f"{name}: the first sheet is empty; its first row must name the columns {expected}")
        columns = tuple(cell.strip().lower() for cell in header)
        for index, column in enumerate(columns):
            if column and column in columns[:index]:
                raise InputError(f"{name}, line {line}, column {column}: named twice in the header")
        missing = [column for column in required if column not in columns]
        if missing:
            raise InputError(
                f"{name}, line {line}, column {missing[0]}: missing from the header "
                f"(it has: {', '.join(columns)}); the first row must name the columns {expected}"
            )
    except BaseException:
        handle.close()
        raise
    return Table(name, "xlsx", columns, _records(handle, rows, name, columns))


def _records(
    handle: IO[bytes], rows: Generator[tuple[int, tuple[Any, ...]], None, None], name: str, columns: tuple[str, ...]
) -> Iterator[Row]:
    count = 0
    try:
        for line, values in rows:
            cells = _texts(name, line, values)
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise InputError(f"{name} has over {MAX_ROWS:,} rows; split it into smaller workbooks")
            if len(cells) > len(columns):
                raise InputError(
                    f"{name}, line {line}, column {_column_letter(len(columns))}: a value {cells[len(columns)][:40]!r} "
                    f"beyond the header's {len(columns)} columns; give the column a name or clear it"
                )
            cells += [""] * (len(columns) - len(cells))
            yield Row(line, dict(zip(columns, cells)))
    finally:
        rows.close()
        handle.close()


def read_workbook(path: Path, name: str, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """:func:`stream_workbook` with every row read and checked now, into a list."""
    table = stream_workbook(path, name, required, optional)
    return Table(table.name, table.encoding, table.columns, list(table.rows))


def stream_file(
    path: Path, name: str, required: Sequence[str], optional: Sequence[str] = (), encoding: str | None = None
) -> Table:
    """A CSV file or an Excel workbook (see :func:`is_workbook`) as one streamed table."""
    if is_workbook(Path(path)):
        if encoding:
            raise InputError(f"--encoding applies to CSV files; {name} is an Excel workbook, leave it out")
        return stream_workbook(Path(path), name, required, optional)
    return stream_table(Path(path), name, required, optional, encoding)


def read_file(
    path: Path, name: str, required: Sequence[str], optional: Sequence[str] = (), encoding: str | None = None
) -> Table:
    """:func:`stream_file` with every row read and checked now, into a list."""
    if is_workbook(Path(path)):
        if encoding:
            raise InputError(f"--encoding applies to CSV files; {name} is an Excel workbook, leave it out")
        return read_workbook(Path(path), name, required, optional)
    return read_table(Path(path), name, required, optional, encoding)
