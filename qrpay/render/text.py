"""Fitting text into a template block: shrink to the block's width, then wrap, within its line limit.

Lines break where the Unicode line breaking algorithm (UAX #14, by the ``uniseg`` library)
allows: between two Chinese characters, never inside a Latin word or number, never before a
closing mark (，。）》 …) nor after an opening one (（《 …) — the kinsoku rules of Chinese
typesetting. Two full-width marks in a row (such as ）。) are set closer, as GB/T 15834 and the
W3C's Chinese layout requirements ask, so brackets do not open a gap. Lines after the first of
a paragraph may hang in by an indent, for numbered steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from uniseg.linebreak import line_break_units

from ..errors import RenderError
from .layout import Text
from .units import mm_to_pt

SHRINK_STEP_PT = 0.5
#: Full-width marks whose glyph fills only half its em box: the other half is blank.
_OPENING = frozenset("（〔［｛〈《「『【")
_CLOSING = frozenset("，。、；：？！）〕］｝〉》」』】")

Measure = Callable[[str, float], float]  # (text, size in pt) -> width in pt


def kerning(text: str) -> list[float]:
    """For each character of *text*, how many ems to pull the next one closer.

    A closing mark followed by another mark, or a mark followed by an opening one, loses the
    blank half of its em (clreq's 标点挤压, "punctuation compression").
    """
    pulls = [0.0] * len(text)
    for index, (here, after) in enumerate(zip(text, text[1:])):
        if (here in _CLOSING and (after in _CLOSING or after in _OPENING)) or (here in _OPENING and after in _OPENING):
            pulls[index] = 0.5
    return pulls


def drawn_width(text: str, size: float, measure: Measure) -> float:
    """The width of *text* at *size* as drawn, punctuation compression included."""
    return measure(text, size) - sum(kerning(text)) * size


def wrap(text: str, width_pt: float | None, size: float, measure: Measure, indent_pt: float = 0.0) -> list[str]:
    """Lines of *text* no wider than *width_pt* at *size* (lines after a paragraph's first *indent_pt* narrower).

    A unit (a word, or a character with the marks that cling to it) wider than a line gets a line of its own.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if width_pt is None:
            lines.append(paragraph.strip())
            continue
        line, room = "", width_pt
        for unit in line_break_units(paragraph):
            candidate = line + unit
            if line.strip() and drawn_width(candidate.rstrip(), size, measure) > room:
                lines.append(line.rstrip())
                line, room = unit.lstrip(), width_pt - indent_pt
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def continued(text: str, lines: list[str]) -> list[bool]:
    """For each of the *lines* wrapped from *text*: does it continue a paragraph (and so hang in)?"""
    paragraphs = iter(line.strip() for line in text.split("\n"))
    paragraph, at, flags = next(paragraphs, ""), 0, []
    for line in lines:
        while at >= len(paragraph) and at:
            paragraph, at = next(paragraphs, ""), 0
        flags.append(at > 0)
        found = paragraph.find(line, at)
        at = (found if found >= 0 else at) + len(line)
        if not line:  # an empty paragraph
            paragraph, at = next(paragraphs, ""), 0
    return flags


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
    room = mm_to_pt(block.width) if block.width else None
    indent = mm_to_pt(block.indent)
    paragraphs = [line.strip() for line in text.split("\n")]
    if len(paragraphs) <= block.max_lines:
        for size in _sizes(block):
            if room is None or all(drawn_width(line, size, measure) <= room + 1e-6 for line in paragraphs):
                return paragraphs, size
    lines: list[str] = []
    for size in _sizes(block):
        lines = wrap(text, room, size, measure, indent)
        if len(lines) <= block.max_lines and (
            room is None or all(drawn_width(line, size, measure) <= room + 1e-6 for line in lines)
        ):
            return lines, size
    across = f" of {block.width:g} mm" if block.width else ""
    raise RenderError(
        f"{where} is too long for its place: {text!r} needs {len(lines)} line(s){across} "
        f"at {block.min_size:g} pt, the template allows {block.max_lines}; shorten it or edit the template"
    )
