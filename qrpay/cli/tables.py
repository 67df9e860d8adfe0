"""Plain-text tables for the terminal, aligned even when cells hold Chinese (double-width) text."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence

MAX_WIDTH = 48


def width(text: str) -> int:
    """Terminal columns *text* takes: wide and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, limit: int) -> str:
    if width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows under headers, columns padded to their widest cell; all but the last cut at MAX_WIDTH."""
    return "\n".join(table_lines(headers, lambda: rows))


def table_lines(headers: Sequence[str], rows: Callable[[], Iterable[Sequence[object]]]) -> Iterator[str]:
    """The lines of :func:`text_table`, in two passes over ``rows()`` (widths, then lines), so a
    table of any length is printed without being held."""
    widths = [width(header) for header in headers]
    for cells in _cells(len(headers), rows()):
        widths = [max(size, width(text)) for size, text in zip(widths, cells)]
    for cells in itertools.chain([list(headers)], _cells(len(headers), rows())):
        yield "  ".join(text + " " * (size - width(text)) for text, size in zip(cells, widths)).rstrip()


def _cells(count: int, rows: Iterable[Sequence[object]]) -> Iterator[list[str]]:
    last = count - 1
    for row in rows:
        yield [
            _fit("-" if value is None else str(value), MAX_WIDTH if index < last else 10**6)
            for index, value in enumerate(row)
        ]
