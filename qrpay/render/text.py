"""Fitting text into a template block: shrink to the block's width, then wrap, within its line limit.

Chinese breaks between any two characters; Latin words stay whole; closing punctuation never
starts a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

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


def _sizes(block: Text) -> Iterator[float]:
    size = block.size
    while size > block.min_size:
        yield size
        size -= SHRINK_STEP_PT
    yield block.min_size


def fit(block: Text, text: str, measure: Measure, where: str) -> tuple[list[str], float]:
    """The lines and size (pt) *text* takes in *block*; RenderError if it cannot fit.

    Shrinking comes first, so a heading stays on one line while it can; only text that will not
    fit on its own lines even at the smallest size is wrapped, at the largest size that fits.
    """
    width = mm_to_pt(block.width) if block.width else None
    paragraphs = [line.strip() for line in text.split("\n")]
    if len(paragraphs) <= block.max_lines:
        for size in _sizes(block):
            if width is None or all(measure(line, size) <= width + 1e-6 for line in paragraphs):
                return paragraphs, size
    for size in _sizes(block):
        lines = wrap(text, width, size, measure)
        if len(lines) <= block.max_lines and (
            width is None or all(measure(line, size) <= width + 1e-6 for line in lines)
        ):
            return lines, size
    across = f" of {block.width:g} mm" if block.width else ""
    raise RenderError(
        f"{where} is too long for its place: {text!r} needs {len(lines)} line(s){across} "
        f"at {block.min_size:g} pt, the template allows {block.max_lines}; shorten it or edit the template"
    )
