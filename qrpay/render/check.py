"""The self-check: read back what was written, with a real decoder, before calling it done.

PDFs are rasterised with pypdfium2, PNGs read as they are, and SVG (also the inline SVG of an
HTML snippet) is painted from its own path data, so a mistake in any writer shows up as a
code that does not read back.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import InputError, RenderError
from ..qr.decode import decode_image, read_image_bytes, read_pdf_pages

if TYPE_CHECKING:
    import PIL.Image

MIN_DPI, MAX_DPI = 150, 600
SVG_PX_PER_UNIT = 8
_PATH_TOKEN = re.compile(r"[MHVZmhvz]|-?\d+(?:\.\d+)?")
_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
_INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def read_pdf(data: bytes, dpi: float) -> list[list[str]]:
    return read_pdf_pages(data, min(MAX_DPI, max(MIN_DPI, dpi)))


def read_png(data: bytes, dpi: float) -> list[list[str]]:
    return [read_image_bytes(data)]


def _polygons(d: str) -> list[list[tuple[float, float]]]:
    """The closed outlines of an SVG path using M, h, v and z, the commands qrpay writes."""
    tokens = _PATH_TOKEN.findall(d)
    shapes, points, x, y, i = [], [], 0.0, 0.0, 0
    while i < len(tokens):
        command = tokens[i]
        if command == "M":
            x, y = float(tokens[i + 1]), float(tokens[i + 2])
            points, i = [(x, y)], i + 3
        elif command in "hv":
            if command == "h":
                x += float(tokens[i + 1])
            else:
                y += float(tokens[i + 1])
            points.append((x, y))
            i += 2
        elif command in "zZ":
            shapes.append(points)
            i += 1
        else:
            raise RenderError(f"self-check cannot read SVG path command {command!r}")
    return shapes


def paint_svg(text: str) -> PIL.Image.Image:
    """A greyscale PIL image of an SVG written by qrpay (rects, one path, an optional image)."""
    from PIL import Image, ImageDraw

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RenderError(f"self-check: the SVG does not parse ({exc})") from None
    _, _, width, height = (float(v) for v in root.get("viewBox", "0 0 0 0").split())
    px = SVG_PX_PER_UNIT
    image = Image.new("L", (round(width * px), round(height * px)), 255)
    draw = ImageDraw.Draw(image)
    for element in root:
        tag = element.tag.rsplit("}", 1)[-1]
        fill = 0 if element.get("fill") in ("#000", "#000000", "black") else 255
        if tag == "rect":
            x, y = float(element.get("x", 0)) * px, float(element.get("y", 0)) * px
            w, h = _length(element, "width") * px, _length(element, "height") * px
            draw.rectangle((x, y, x + w - 1, y + h - 1), fill=fill)
        elif tag == "path":
            for shape in _polygons(element.get("d", "")):
                draw.polygon([(sx * px, sy * px) for sx, sy in shape], fill=fill)
        elif tag == "image":
            href = element.get("href", "")
            picture = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))).convert("L")
            size = (round(_length(element, "width") * px), round(_length(element, "height") * px))
            image.paste(picture.resize(size), (round(_length(element, "x") * px), round(_length(element, "y") * px)))
    return image


def _length(element: ET.Element, name: str) -> float:
    """The number in attribute *name* of *element*, which every shape qrpay writes states."""
    value = element.get(name)
    if value is None:
        raise RenderError(f"self-check: an SVG <{element.tag.rsplit('}', 1)[-1]}> has no {name}")
    return float(value)


def read_svg(data: bytes, dpi: float) -> list[list[str]]:
    return [decode_image(paint_svg(data.decode("utf-8")))]


def read_html(data: bytes, dpi: float) -> list[list[str]]:
    text = data.decode("utf-8")
    embedded = _DATA_PNG.search(text)
    if embedded:
        return [read_image_bytes(base64.b64decode(embedded.group(1)))]
    inline = _INLINE_SVG.search(text)
    if inline is None:
        raise RenderError("self-check: the HTML snippet holds no image")
    return [decode_image(paint_svg(inline.group(0)))]


def compare(expected: list[list[str]], read: list[list[str]], name: str, first_page: int = 1) -> None:
    """Raise RenderError unless every page reads back as exactly the codes drawn on it.

    *first_page* numbers the first of these pages, when they are a part of a longer file.
    """
    if len(read) != len(expected):
        raise RenderError(f"self-check failed: {name} has {len(read)} page(s), {len(expected)} were drawn")
    for number, (want, read_here) in enumerate(zip(expected, read), start=first_page):
        # A stray short text the decoder now and then finds in dense glyphs is no code: only
        # links count, so a missing, changed or extra code always fails.
        got = [text for text in read_here if "://" in text or text in want]
        if Counter(want) != Counter(got):
            missing = sorted((Counter(want) - Counter(got)).elements())
            extra = sorted((Counter(got) - Counter(want)).elements())
            detail = f"; not read: {missing[0]}" if missing else f"; unexpected: {extra[0]}"
            raise RenderError(
                f"self-check failed: page {number} of {name} should read {len(want)} code(s) but "
                f"{len(got)} read back{detail}; nothing was written"
            )


def run(
    reader: Callable[[bytes, float], list[list[str]]], data: bytes, dpi: float, expected: list[list[str]], name: str
) -> list[list[str]]:
    try:
        read = reader(data, dpi)
    except InputError as exc:
        raise RenderError(f"self-check failed: {name} cannot be read back ({exc}); nothing was written") from None
    compare(expected, read, name)
    return read
