"""Plain-text tables for the terminal, drawn by rich: aligned even when cells hold Chinese
(double-width) text, amounts right-aligned, long cells cut with an ellipsis."""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence

from rich.console import Console
from rich.table import Table

MAX_WIDTH = 48  # columns, for every cell but the last column's
WIDE = 10_000  # a console wide enough that rich never wraps a row


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Collection[str] = ()) -> str:
    """Rows under headers, columns padded to their widest cell and two spaces apart; the columns
    named in *right* are right-aligned; all but the last are cut at MAX_WIDTH."""
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, show_edge=False, header_style=None)
    last = len(headers) - 1
    for index, header in enumerate(headers):
        table.add_column(
            header,
            justify="right" if header in right else "left",
            max_width=MAX_WIDTH if index < last else None,
            overflow="ellipsis",
            no_wrap=True,
        )
    for row in rows:
        table.add_row(*("-" if value is None else str(value) for value in row))
    out = io.StringIO()
    Console(file=out, width=WIDE, color_system=None, highlight=False, markup=False, emoji=False).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())
