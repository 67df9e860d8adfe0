"""What a template says, as plain values: boxes, lines, text blocks, the symbol and the page.

Parsed and checked by :mod:`.templates`; drawn by :mod:`.pdf` and :mod:`.web`. Positions are
millimetres from the top-left corner of a cell (or of the page for page marks), sizes points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import RenderError

KINDS = ("unified", "scene", "open", "bill")
BILL = "bill"  # a bill template (a notice) prints bills only, and only a bill template prints them
FORMATS = ("pdf", "web")
ERROR_LEVELS = ("L", "M", "Q", "H")
ALIGNS = ("left", "center", "right")
MIN_QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for
MAX_EMBLEM_AREA = 0.20  # share of the symbol an emblem may cover
MAX_PAGE_MM = 1200.0
SAFE_MARGIN_MM = 5.0  # nothing is drawn closer to a page edge: most printers cannot print there


@dataclass(frozen=True)
class Text:
    """A line (or a few wrapped lines) of text; ``x`` is the left edge, centre or right edge per ``align``."""

    text: str
    x: float
    y: float  # baseline of the first line
    size: float  # points
    min_size: float  # points: the text may shrink this far to fit ``width``
    width: float | None
    align: str
    color: str
    bold: bool
    max_lines: int
    leading: float  # line height as a multiple of the size
    indent: float = 0.0  # mm by which lines after the first of a paragraph hang in


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str | None
    stroke: str | None
    line_pt: float
    radius: float


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str
    line_pt: float
    dash_mm: float  # 0 for a solid line


@dataclass(frozen=True)
class QrSpec:
    """Where the symbol goes and how small its modules may get.

    ``size`` is the symbol without its quiet zone (ISO's "symbol"); the quiet zone of
    ``quiet_zone`` modules is added around it, so the module size is ``size`` divided by the
    modules per side of the symbol alone.
    """

    x: float
    y: float
    size: float
    min_module: float
    quiet_zone: int
    error: str
    emblem_max_area: float


@dataclass(frozen=True)
class Place:
    x: float
    y: float
    rotate: int  # 0 or 180 degrees


@dataclass(frozen=True)
class WebSpec:
    module_px: int  # CSS pixels per module at --scale 1
    dpi: int  # PNG resolution metadata at --scale 1
    svg_mm: bool  # give the SVG a width and height in millimetres
    alt: str
    caption: str
    link_text: str


@dataclass(frozen=True)
class Template:
    name: str
    source: str
    title: str
    description: str
    format: str
    kinds: tuple[str, ...]
    qr: QrSpec
    values: dict[str, str] = field(default_factory=dict)
    page_width: float = 0.0
    page_height: float = 0.0
    cell_width: float = 0.0
    cell_height: float = 0.0
    fill: str = "same"
    places: tuple[Place, ...] = ()
    boxes: tuple[Box, ...] = ()
    lines: tuple[Line, ...] = ()
    texts: tuple[Text, ...] = ()
    page_lines: tuple[Line, ...] = ()
    page_texts: tuple[Text, ...] = ()
    web: WebSpec | None = None

    @property
    def cells_per_page(self) -> int:
        return len(self.places)

    @property
    def web_spec(self) -> WebSpec:
        """The image settings of a web template (``format = "web"``)."""
        if self.web is None:
            raise RenderError(f"template {self.name} is a print template; it makes no web images")
        return self.web

    @property
    def extension(self) -> str:
        """The file extension written when the user names no output file."""
        return ".pdf" if self.format == "pdf" else ".png"

    def to_dict(self) -> dict:
        data = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "format": self.format,
            "kinds": list(self.kinds),
            "source": self.source,
            "error": self.qr.error,
            "min_module_mm": self.qr.min_module,
        }
        if self.format == "pdf":
            data.update(
                page_mm=[self.page_width, self.page_height],
                qr_size_mm=self.qr.size,
                cells_per_page=self.cells_per_page,
                fill=self.fill,
            )
        else:
            data.update(module_px=self.web_spec.module_px, dpi=self.web_spec.dpi, outputs=[".png", ".svg", ".html"])
        return data
