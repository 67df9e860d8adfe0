"""Plain-text tables for the terminal, measured by rich: aligned even when cells hold Chinese
(double-width) text, amounts right-aligned, long cells cut with an ellipsis, and long tables
printed line by line in two passes, never held whole."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from rich.cells import cell_len, set_cell_size

MAX_WIDTH = 48  # columns, for every cell but the last column's


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Collection[str] = ()) -> str:
    """Rows under headers, columns padded to their widest cell and two spaces apart; the columns
    named in *right* are right-aligned; all but the last are cut at MAX_WIDTH."""
    return "\n".join(table_lines(headers, lambda: rows, right=right))


def table_lines(
    headers: Sequence[str], rows: Callable[[], Iterable[Sequence[object]]], *, right: Collection[str] = ()
) -> Iterator[str]:
    """The lines of :func:`text_table`, in two passes over ``rows()`` (widths, then lines)."""
    widths = [cell_len(header) for header in headers]
    for cells in _cells(len(headers), rows()):
        widths = [max(size, cell_len(text)) for size, text in zip(widths, cells)]
    flush_right = [header in right for header in headers]
    for cells in itertools.chain([list(headers)], _cells(len(headers), rows())):
        padded = (
            " " * (size - cell_len(text)) + text if at_right else text + " " * (size - cell_len(text))
            for text, size, at_right in zip(cells, widths, flush_right)
        )
        yield "  ".join(padded).rstrip()


def _cells(count: int, rows: Iterable[Sequence[object]]) -> Iterator[list[str]]:
    last = count - 1
    for row in rows:
        yield [_fit("-" if value is None else str(value), index < last) for index, value in enumerate(row)]


def _fit(text: str, limited: bool) -> str:
    if not limited or cell_len(text) <= MAX_WIDTH:
        return text
    return set_cell_size(text, MAX_WIDTH - 1).rstrip() + "…"
