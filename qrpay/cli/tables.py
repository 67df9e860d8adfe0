"""Plain-text tables for the terminal, aligned even when cells hold Chinese (double-width) text."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

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
    last = len(headers) - 1
    cells = [
        [
            _fit("-" if value is None else str(value), MAX_WIDTH if index < last else 10**6)
            for index, value in enumerate(row)
        ]
        for row in rows
    ]
    widths = [max(width(text) for text in column) for column in zip(headers, *cells)]
    lines = []
    for row in [list(headers), *cells]:
        padded = [text + " " * (size - width(text)) for text, size in zip(row, widths)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)
