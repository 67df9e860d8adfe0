"""Fitting text into a template block: shrink to the block's width, then wrap, within its line limit.

Chinese breaks between any two characters; Latin words stay whole; closing punctuation never
starts a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import RenderError
from .templates import Text
from .units import mm_to_pt

SHRINK_STEP_PT = 0.5
_TOKEN = re.compile(r"[0-9A-Za-z_.,:;!?@#%&*+=/\\'\"()\[\]-]+ *| +|.")
_NO_LINE_START = set("，。、；：？！）」』》〉】,.;:!?)")

Measure = Callable[[str, float], float]  # (text, size in pt) -> width in pt


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if tokens and token[0] in _NO_LINE_START:
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def wrap(text: str, width_pt: float | None, size: float, measure: Measure) -> list[str]:
    """Lines of *text* no wider than *width_pt* at *size* (a word wider than that gets a line of its own)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if width_pt is None:
            lines.append(paragraph.strip())
            continue
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if line and measure(candidate.rstrip(), size) > width_pt:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def fit(block: Text, text: str, measure: Measure, where: str) -> tuple[list[str], float]:
    """The lines and size (pt) *text* takes in *block*; RenderError if it cannot fit."""
    width = mm_to_pt(block.width) if block.width else None
    size = block.size
    while True:
        lines = wrap(text, width, size, measure)
        too_wide = width is not None and any(measure(line, size) > width + 1e-6 for line in lines)
        if len(lines) <= block.max_lines and not too_wide:
            return lines, size
        if size <= block.min_size:
            raise RenderError(
                f"{where} is too long for its place: {text!r} needs {len(lines)} line(s) of {block.width:g} mm "
                f"at {size:g} pt, the template allows {block.max_lines}; shorten it or edit the template"
            )
        size = max(block.min_size, size - SHRINK_STEP_PT)
