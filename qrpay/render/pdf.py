"""Print templates as PDF: vector QR symbols at exact millimetre sizes, embedded subset CJK font.

The QR symbol is one filled path of rectangles, one per horizontal run of dark modules, drawn
in a coordinate system scaled to one unit per module so every edge falls on an exact module
boundary. reportlab's invariant mode leaves out timestamps and random ids: the same inputs give
the same bytes.
"""

from __future__ import annotations

import io
import itertools
import math
import string
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..errors import RenderError
from .emblem import Emblem, fit_box
from .fonts import Font
from .layout import Box, Line, Place, Template, Text
from .model import CodeView, Drawn, Options
from .sample import SAMPLE_MARK, SAMPLE_MARK_EN
from .symbol import Placed, dark_runs, place
from .text import continued, drawn_width, fit, kerning
from .units import dpi_for, mm_to_pt

if TYPE_CHECKING:  # reportlab ships no types: these name what is passed, and are Any to mypy
    from reportlab.lib.colors import Color
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.pdfgen.textobject import PDFTextObject

PX_PER_MODULE_CHECK = 6  # pixels per module the self-check rasterises at
SAMPLE_COLOR, SAMPLE_ALPHA = "#c8102e", 0.25  # light enough over a module to leave it dark
SAMPLE_CLEAR_MM = 8.0  # the sample mark keeps this far from the edges of its cell


def _pages(template: Template, views: Iterable[CodeView]) -> Iterator[list[CodeView]]:
    """The codes of each page: one code in every cell, or the next code in each cell."""
    if template.fill == "same":
        for view in views:
            yield [view] * template.cells_per_page
        return
    iterator = iter(views)
    while page := list(itertools.islice(iterator, template.cells_per_page)):
        yield page


def layout_text(
    template: Template, font: Font, block: Text, view: CodeView, who: str | None = None
) -> tuple[list[str], float] | None:
    """The lines and size of *block* for *view*, or ``None`` when it names only fields this code lacks.

    Raises RenderError for a character the font lacks or text too long for its place; *who*
    names the code in that message (default: its id).
    """
    who = who or view.id
    values = {**template.values, **view.fields()}
    text = block.text.format_map(values)
    names = [name for _, name, _, _ in string.Formatter().parse(block.text) if name]
    if names and not any(values[name] for name in names):
        return None  # a block about something this code does not have, e.g. a scene
    face = font.weight(block.bold)
    for name in names:
        face.check(values[name], f"the {name} of {who}" if name in view.fields() else f"values.{name}")
    face.check(text, f"template {template.name} ({block.text!r})")
    where = f"the {' / '.join(names)} of {who}" if names else f"template text {block.text!r}"
    return fit(block, text, face.width_pt, where)


def preflight(
    template: Template, view: CodeView, font: Font, who: str | None = None, passed: set | None = None
) -> None:
    """Raise RenderError if the text of *view* cannot be printed with *template*, without drawing.

    Lets a batch refuse a bad row before any code is minted. *passed* remembers the texts that
    fit already, so thousands of codes sharing a department or item name are measured once.
    """
    values = {**template.values, **view.fields()}
    for block in (*template.page_texts, *template.texts):
        key = (block, block.text.format_map(values))
        if passed is None or key not in passed:
            layout_text(template, font, block, view, who)
            if passed is not None:
                passed.add(key)


class _Drawer:
    """Draws cells onto one reportlab canvas; coordinates given in mm from a top-left origin."""

    def __init__(self, canvas: Canvas, template: Template, font: Font, emblem: Emblem | None):
        self.canvas, self.template, self.font, self.emblem = canvas, template, font, emblem

    @staticmethod
    def _hex(color: str) -> Color:
        from reportlab.lib.colors import HexColor

        return HexColor(color)

    def box(self, box: Box) -> None:
        c = self.canvas
        c.setLineWidth(box.line_pt)
        if box.fill:
            c.setFillColor(self._hex(box.fill))
        if box.stroke:
            c.setStrokeColor(self._hex(box.stroke))
        args = (mm_to_pt(box.x), -mm_to_pt(box.y + box.height), mm_to_pt(box.width), mm_to_pt(box.height))
        if box.radius:
            c.roundRect(*args, mm_to_pt(box.radius), stroke=int(bool(box.stroke)), fill=int(bool(box.fill)))
        else:
            c.rect(*args, stroke=int(bool(box.stroke)), fill=int(bool(box.fill)))

    def line(self, line: Line) -> None:
        c = self.canvas
        c.setStrokeColor(self._hex(line.color))
        c.setLineWidth(line.line_pt)
        c.setDash([mm_to_pt(line.dash_mm)] * 2 if line.dash_mm else [])
        c.line(mm_to_pt(line.x1), -mm_to_pt(line.y1), mm_to_pt(line.x2), -mm_to_pt(line.y2))
        c.setDash([])

    def text(self, block: Text, view: CodeView) -> None:
        laid = layout_text(self.template, self.font, block, view)
        if laid is None:
            return
        lines, size = laid
        hanging = continued(block.text.format_map({**self.template.values, **view.fields()}), lines)
        face = self.font.weight(block.bold)
        c = self.canvas
        c.saveState()
        writer = c.beginText()
        writer.setFont(face.name, size)
        writer.setFillColor(self._hex(block.color))
        for index, line in enumerate(lines):
            width = drawn_width(line, size, face.width_pt)
            shift = {"left": 0.0, "center": width / 2, "right": width}[block.align]
            indent = mm_to_pt(block.indent) if hanging[index] and block.align == "left" else 0.0
            x = mm_to_pt(block.x) - shift + indent
            y = -mm_to_pt(block.y) - index * size * block.leading
            draw_line(writer, face, line, size, x, y)
        c.drawText(writer)
        c.restoreState()

    def sample(self) -> None:
        """A large diagonal 样张 SAMPLE across the cell, translucent so every code still reads,
        sized to stay clear of the cell's edges (and so of the page's)."""
        c, t = self.canvas, self.template
        face = self.font.weight(True)
        angle = 35 if t.cell_height >= t.cell_width else 20
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        room_w, room_h = t.cell_width - 2 * SAMPLE_CLEAR_MM, t.cell_height - 2 * SAMPLE_CLEAR_MM
        em = min(room_w / (2 * cos + 1.4 * sin), room_h / (2 * sin + 1.4 * cos))  # the mark is 2 x 1.4 em
        c.saveState()
        c.setFillColor(self._hex(SAMPLE_COLOR))
        c.setFillAlpha(SAMPLE_ALPHA)
        c.translate(mm_to_pt(t.cell_width / 2), -mm_to_pt(t.cell_height / 2))
        c.rotate(angle)
        c.setFont(face.name, mm_to_pt(em))
        c.drawCentredString(0, -mm_to_pt(em) * 0.15, SAMPLE_MARK)
        c.setFont(face.name, mm_to_pt(em) * 0.3)
        c.drawCentredString(0, -mm_to_pt(em) * 0.55, SAMPLE_MARK_EN)
        c.restoreState()

    def qr(self, placed: Placed, view: CodeView) -> None:
        spec, c = self.template.qr, self.canvas
        module, quiet = placed.module_mm, placed.quiet_zone * placed.module_mm
        outer = (spec.x - quiet, spec.y - quiet, spec.x + spec.size + quiet, spec.y + spec.size + quiet)
        if (
            outer[0] < -1e-6
            or outer[1] < -1e-6
            or outer[2] > self.template.cell_width + 1e-6
            or outer[3] > self.template.cell_height + 1e-6
        ):
            raise RenderError(
                f"template {self.template.name}: the {placed.quiet_zone}-module quiet zone of {view.id} "
                f"({quiet:.1f} mm at {module:.2f} mm per module) would leave the cell; move qr.x_mm / qr.y_mm "
                f"at least {quiet:.1f} mm from the cell edges"
            )
        c.saveState()
        c.translate(mm_to_pt(spec.x), -mm_to_pt(spec.y + spec.size))
        c.scale(mm_to_pt(module), mm_to_pt(module))
        n, q = placed.size, placed.quiet_zone
        c.setFillColor(self._hex("#ffffff"))
        c.rect(-q, -q, n + 2 * q, n + 2 * q, stroke=0, fill=1)
        c.setFillColor(self._hex("#000000"))
        # the path's operators written out directly: whole numbers need none of the float
        # formatting reportlab's path.rect() does, which made this the slowest step of a sheet
        c.addLiteral(
            " ".join(f"{column} {n - 1 - row} {length} 1 re" for row, column, length in dark_runs(placed.symbol)) + " f"
        )
        if self.emblem is not None:
            k, start = placed.knockout, placed.knockout_start
            c.setFillColor(self._hex("#ffffff"))
            c.rect(start, n - start - k, k, k, stroke=0, fill=1)
            x, y, w, h = fit_box(self.emblem.aspect, k - 1)
            c.drawImage(self._image(self.emblem), start + 0.5 + x, n - start - k + 0.5 + y, w, h)
        c.restoreState()

    @staticmethod
    def _image(emblem: Emblem) -> ImageReader:
        from reportlab.lib.utils import ImageReader

        return ImageReader(emblem.image)

    def cell(self, where: Place, view: CodeView, placed: Placed) -> None:
        c, t = self.canvas, self.template
        c.saveState()
        if where.rotate == 180:
            c.translate(mm_to_pt(where.x + t.cell_width), mm_to_pt(t.page_height - where.y - t.cell_height))
            c.rotate(180)
        else:
            c.translate(mm_to_pt(where.x), mm_to_pt(t.page_height - where.y))
        for box in t.boxes:
            self.box(box)
        for line in t.lines:
            self.line(line)
        for block in t.texts:
            self.text(block, view)
        self.qr(placed, view)
        if view.sample:
            self.sample()
        c.restoreState()

    def page(self, views: list[CodeView], placed: dict[str, Placed]) -> None:
        c, t = self.canvas, self.template
        for where, view in zip(t.places, views):
            self.cell(where, view, placed[view.id])
        c.saveState()  # page marks (fold line, cut guides) go over the cells
        c.translate(0, mm_to_pt(t.page_height))
        for line in t.page_lines:
            self.line(line)
        for block in t.page_texts:
            self.text(block, views[0])
        c.restoreState()
        c.showPage()


def describe(canvas: Canvas, title: str, author: str = "") -> None:
    """What every PDF of qrpay says about itself: title, qrpay as creator and producer, and
    that it prints at actual size (viewer preference PrintScaling None)."""
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("qrpay")
    canvas.setProducer("qrpay")
    canvas.setViewerPreference("PrintScaling", "None")
    canvas.setViewerPreference("DisplayDocTitle", "true")


def draw_line(writer: PDFTextObject, face: Font, line: str, size: float, x: float, y: float) -> None:
    """One line of text on a reportlab text object, full-width marks that meet set closer."""
    pulls = kerning(line)
    start = 0
    for index, pull in enumerate(pulls):
        if pull:
            piece = line[start : index + 1]
            writer.setTextOrigin(x, y)
            writer.textOut(piece)
            x += face.width_pt(piece, size) - pull * size
            start = index + 1
    writer.setTextOrigin(x, y)
    writer.textOut(line[start:])


def write_pdf(template: Template, views: Iterable[CodeView], options: Options) -> Drawn:
    """The PDF, the payloads each page shows, and the resolution to read them back at."""
    from reportlab.pdfgen.canvas import Canvas

    font = options.font
    if font is None:
        raise RenderError(f"template {template.name} prints text: it needs a font to draw with")
    buffer = io.BytesIO()
    size = (mm_to_pt(template.page_width), mm_to_pt(template.page_height))
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1, initialFontName=font.name, lang="zh-CN")
    describe(canvas, template.title, template.values.get("authority", ""))
    emblem = options.emblem
    drawer = _Drawer(canvas, template, font, emblem)
    pages: list[list[str]] = []
    smallest, modules = float("inf"), []
    ids: list[str] = []  # the first and last code, for the document's subject
    for views_on_page in _pages(template, views):
        placed = {view.id: place(template, view, emblem=emblem is not None) for view in views_on_page}
        smallest = min([smallest, *(p.module_mm for p in placed.values())])
        modules.append(max(p.module_mm for p in placed.values()))
        drawer.page(views_on_page, placed)
        pages.append([view.payload for view in views_on_page])
        ids = ids or [views_on_page[0].id]
        ids[1:] = [views_on_page[-1].id]
    if not pages:
        raise RenderError(f"nothing to render: no codes were given for template {template.name}")
    canvas.setSubject(ids[0] if ids[0] == ids[-1] else f"{ids[0]} … {ids[-1]}")
    canvas.save()
    return Drawn(buffer.getvalue(), pages, dpi_for(smallest, PX_PER_MODULE_CHECK), modules)
