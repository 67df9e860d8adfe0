"""Declarative layout templates: TOML files the finance bureau can edit without code.

A template describes one *cell* (what is drawn for one code: boxes, lines, text and the QR
symbol, in millimetres from the cell's top-left corner) and where cells sit on a page. A poster
has one cell filling the page, a table tent two (one turned upside down), a label sheet a grid.
``fill = "same"`` draws the page's code in every cell; ``fill = "each"`` gives each cell the next
code, which is how many codes share a sheet.

Shipped templates live in ``qrpay.templates``; a file of the same name in the user's templates
folder replaces the shipped one. Every field is checked on loading by type and range, and a
message names the file, the field, what was expected and the value found. The parsed values
are the plain dataclasses of :mod:`.layout`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import lru_cache, partial
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import InputError, NotFoundError
from ..tomltable import Table, read_toml
from .layout import (
    ALIGNS,
    BILL,
    ERROR_LEVELS,
    FORMATS,
    KINDS,
    MAX_EMBLEM_AREA,
    MAX_PAGE_MM,
    MIN_QUIET_ZONE,
    SAFE_MARGIN_MM,
    Box,
    Line,
    Place,
    QrSpec,
    Template,
    Text,
    WebSpec,
)
from .model import FIELDS

GUIDE_CLEAR_MM = 1.0  # cut guides stop this far inside the safe margin
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")

__all__ = ["Box", "Line", "Place", "QrSpec", "Template", "Text", "WebSpec", "load_template", "parse_template"]


def _placeholders(table: Table, key: str, text: str, known: Iterable[str]) -> str:
    known = set(known)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise table.fail(key, "text with {field} placeholders (write {{ for a brace)", text) from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in known or spec or conversion:
            raise InputError(
                f"{table.source}: {table.name(key)} names {{{name}}}, which is not a field; "
                f"known: {', '.join('{' + k + '}' for k in sorted(known))}"
            )
    return text


def _text(table: Table, width: float, height: float, known: Iterable[str]) -> Text:
    size = table.number("size_pt", 4, 200, unit=" pt")
    block = Text(
        text=_placeholders(table, "text", table.text("text"), known),
        x=table.number("x_mm", 0, width, unit=" mm"),
        y=table.number("y_mm", 0, height, unit=" mm"),
        size=size,
        min_size=table.number("min_size_pt", 4, size, default=size, unit=" pt"),
        width=table.number("width_mm", 1, width, default=None, unit=" mm"),
        align=table.choice("align", ALIGNS, default="left"),
        color=table.color("color", default="#000000"),
        bold=table.flag("bold"),
        max_lines=table.integer("max_lines", 1, 40, default=1),
        leading=table.number("leading", 1.0, 3.0, default=1.3),
        indent=table.number("indent_mm", 0, width, default=0, unit=" mm"),
    )
    table.done()
    return block


def _box(table: Table, width: float, height: float) -> Box:
    box = Box(
        x=table.number("x_mm", 0, width, unit=" mm"),
        y=table.number("y_mm", 0, height, unit=" mm"),
        width=table.number("width_mm", 0.1, width, unit=" mm"),
        height=table.number("height_mm", 0.1, height, unit=" mm"),
        fill=table.color("fill", default=None),
        stroke=table.color("stroke", default=None),
        line_pt=table.number("line_pt", 0.1, 20, default=0.5, unit=" pt"),
        radius=table.number("radius_mm", 0, 50, default=0, unit=" mm"),
    )
    table.done()
    if box.x + box.width > width + 1e-6 or box.y + box.height > height + 1e-6:
        raise table.fail(
            "width_mm", f"inside the {width:g} x {height:g} mm area", (box.x, box.y, box.width, box.height)
        )
    return box


def _line(table: Table, width: float, height: float) -> Line:
    line = Line(
        x1=table.number("x1_mm", 0, width, unit=" mm"),
        y1=table.number("y1_mm", 0, height, unit=" mm"),
        x2=table.number("x2_mm", 0, width, unit=" mm"),
        y2=table.number("y2_mm", 0, height, unit=" mm"),
        color=table.color("color", default="#000000"),
        line_pt=table.number("line_pt", 0.1, 20, default=0.5, unit=" pt"),
        dash_mm=table.number("dash_mm", 0, 20, default=0, unit=" mm"),
    )
    table.done()
    return line


def _qr(table: Table, width: float | None, height: float | None) -> QrSpec:
    x = y = size = 0.0  # a web symbol has no cell to sit in
    if width is not None and height is not None:
        x = table.number("x_mm", 0, width, unit=" mm")
        y = table.number("y_mm", 0, height, unit=" mm")
        size = table.number("size_mm", 5, min(width, height), unit=" mm")
    spec = QrSpec(
        x=x,
        y=y,
        size=size,
        min_module=table.number("min_module_mm", 0.1, 20, unit=" mm"),
        quiet_zone=table.integer("quiet_zone_modules", MIN_QUIET_ZONE, 20, default=MIN_QUIET_ZONE),
        error=table.choice("error", ERROR_LEVELS, default="M"),
        emblem_max_area=table.number("emblem_max_area", 0.01, MAX_EMBLEM_AREA, default=MAX_EMBLEM_AREA),
    )
    table.done()
    if (
        width is not None
        and height is not None
        and (spec.x + spec.size > width + 1e-6 or spec.y + spec.size > height + 1e-6)
    ):
        raise table.fail(
            "size_mm",
            f"small enough to stay inside the {width:g} x {height:g} mm cell from x_mm {spec.x:g}, y_mm {spec.y:g}",
            spec.size,
        )
    return spec


def _grid(
    table: Table,
    template: Table,
    cell_w: float,
    cell_h: float,
    page_w: float,
    page_h: float,
) -> tuple[tuple[Place, ...], tuple[Line, ...]]:
    columns = table.integer("columns", 1, 50)
    rows = table.integer("rows", 1, 50)
    left = table.number("x_mm", 0, page_w, unit=" mm")
    top = table.number("y_mm", 0, page_h, unit=" mm")
    gap_x = table.number("gap_x_mm", 0, page_w, default=0, unit=" mm")
    gap_y = table.number("gap_y_mm", 0, page_h, default=0, unit=" mm")
    guides = table.flag("cut_guides")
    guide_color = table.color("guide_color", default="#b0b0b0")
    table.done()
    right = left + columns * cell_w + (columns - 1) * gap_x
    bottom = top + rows * cell_h + (rows - 1) * gap_y
    if right > page_w + 1e-6 or bottom > page_h + 1e-6:
        raise InputError(
            f"{template.source}: grid of {columns} x {rows} cells of {cell_w:g} x {cell_h:g} mm "
            f"ends at {right:g} x {bottom:g} mm, outside the {page_w:g} x {page_h:g} mm page"
        )
    places = tuple(
        Place(left + c * (cell_w + gap_x), top + r * (cell_h + gap_y), 0) for r in range(rows) for c in range(columns)
    )
    lines: list[Line] = []
    if guides:  # along the cuts between cells, kept inside the margin no printer can reach
        inset = SAFE_MARGIN_MM + GUIDE_CLEAR_MM
        low_x, high_x, low_y, high_y = inset, page_w - inset, inset, page_h - inset
        xs = sorted({p.x for p in places} | {p.x + cell_w for p in places})
        ys = sorted({p.y for p in places} | {p.y + cell_h for p in places})
        lines += [Line(x, low_y, x, high_y, guide_color, 0.3, 1.5) for x in xs if low_x <= x <= high_x]
        lines += [Line(low_x, y, high_x, y, guide_color, 0.3, 1.5) for y in ys if low_y <= y <= high_y]
    return places, tuple(lines)


def _places(template: Table, cell_w: float, cell_h: float, page_w: float, page_h: float) -> tuple[Place, ...]:
    places = []
    for table in template.tables("place"):
        place = Place(
            table.number("x_mm", 0, page_w, unit=" mm"),
            table.number("y_mm", 0, page_h, unit=" mm"),
            table.choice("rotate", (0, 180), default=0),
        )
        table.done()
        if place.x + cell_w > page_w + 1e-6 or place.y + cell_h > page_h + 1e-6:
            raise table.fail(
                "x_mm", f"a place where the {cell_w:g} x {cell_h:g} mm cell fits on the page", (place.x, place.y)
            )
        places.append(place)
    return tuple(places) or (Place(0.0, 0.0, 0),)


def _web(table: Table, known: Iterable[str]) -> WebSpec:
    spec = WebSpec(
        module_px=table.integer("module_px", 1, 100),
        dpi=table.integer("dpi", 36, 2400, default=96),
        svg_mm=table.flag("svg_mm", True),
        alt=_placeholders(table, "alt", table.text("alt"), known),
        caption=_placeholders(table, "caption", table.text("caption"), known),
        link_text=_placeholders(table, "link_text", table.text("link_text"), known),
    )
    table.done()
    return spec


def parse_template(name: str, source: str, text: str) -> Template:
    """A template from TOML *text*; *source* names the file in messages."""
    top = Table(source, "", read_toml(source, text))
    fmt = top.choice("format", FORMATS)
    values_table = top.table("values", required=False)
    values = {}
    if values_table is not None:
        values = {key: values_table.text(key) for key in list(values_table.data)}
        values_table.done()
        clash = sorted(set(values) & set(FIELDS))
        if clash:
            raise InputError(f"{source}: values.{clash[0]} would hide the code's own field {{{clash[0]}}}; rename it")
    known = (*FIELDS, *values)
    kinds = top.texts("kinds", [kind for kind in KINDS if kind != BILL])
    if not kinds or not set(kinds) <= set(KINDS):
        raise top.fail("kinds", f"a list drawn from {', '.join(KINDS)}", list(kinds))
    if BILL in kinds and len(kinds) > 1 and fmt != "web":  # a web image shows any code; paper says how to pay
        raise top.fail(
            "kinds", f'["{BILL}"] alone (a notice prints bills, and only bills), or other kinds', list(kinds)
        )
    template_of = partial(
        Template,
        name=name,
        source=source,
        title=top.text("title"),
        description=top.text("description", ""),
        format=fmt,
        kinds=tuple(kinds),
        values=values,
    )
    if fmt == "web":
        template = template_of(qr=_qr(top.table("qr"), None, None), web=_web(top.table("web"), known))
        top.done()
        return template

    page = top.table("page")
    page_w = page.number("width_mm", 20, MAX_PAGE_MM, unit=" mm")
    page_h = page.number("height_mm", 20, MAX_PAGE_MM, unit=" mm")
    page_lines = tuple(_line(t, page_w, page_h) for t in page.tables("line"))
    page_texts = tuple(_text(t, page_w, page_h, known) for t in page.tables("text"))
    page.done()
    cell = top.table("cell", required=False)
    cell_w, cell_h = page_w, page_h
    if cell is not None:
        cell_w = cell.number("width_mm", 5, page_w, unit=" mm")
        cell_h = cell.number("height_mm", 5, page_h, unit=" mm")
        cell.done()
    grid = top.table("grid", required=False)
    if grid is not None:
        places, guides = _grid(grid, top, cell_w, cell_h, page_w, page_h)
        page_lines += guides
    else:
        places = _places(top, cell_w, cell_h, page_w, page_h)
    template = template_of(
        qr=_qr(top.table("qr"), cell_w, cell_h),
        page_width=page_w,
        page_height=page_h,
        cell_width=cell_w,
        cell_height=cell_h,
        fill=top.choice("fill", ("same", "each"), default="same"),
        places=places,
        boxes=tuple(_box(t, cell_w, cell_h) for t in top.tables("box")),
        lines=tuple(_line(t, cell_w, cell_h) for t in top.tables("line")),
        texts=tuple(_text(t, cell_w, cell_h, known) for t in top.tables("text")),
        page_lines=page_lines,
        page_texts=page_texts,
    )
    top.done()
    return template


# -- finding templates --------------------------------------------------------------------


def _shipped() -> dict[str, Traversable]:
    try:
        folder = resources.files("qrpay.templates")
    except ModuleNotFoundError:  # run from a source checkout: the wheel's qrpay/templates is ./templates
        folder = Path(__file__).resolve().parents[2] / "templates"
    return {entry.name[:-5]: entry for entry in folder.iterdir() if entry.name.endswith(".toml")}


def _user(user_dir: Path | None) -> dict[str, Path]:
    if user_dir is None or not user_dir.is_dir():
        return {}
    return {path.stem: path for path in user_dir.glob("*.toml") if _NAME.match(path.stem)}


def template_names(user_dir: Path | None = None) -> list[str]:
    return sorted(set(_shipped()) | set(_user(user_dir)))


@lru_cache(maxsize=64)
def _parsed(name: str, source: str, text: str) -> Template:
    """:func:`parse_template`, kept by its exact inputs: a template is a frozen value, and parsing the
    shipped ones costs about 2 ms each, on every desk page and download otherwise. The file is still
    read every time, so an edited template is seen at once."""
    return parse_template(name, source, text)


def load_template(name: str, user_dir: Path | None = None) -> Template:
    """The template called *name*: the user's file if there is one, else the shipped one."""
    if not _NAME.match(name):
        raise InputError(f"template name {name!r} must be lowercase letters, digits and '-', e.g. poster-a4")
    user = _user(user_dir)
    if name in user:
        path = user[name]
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read template as UTF-8 text ({exc})") from None
        return _parsed(name, str(path), text)
    shipped = _shipped()
    if name not in shipped:
        known = ", ".join(template_names(user_dir))
        raise NotFoundError(f"unknown template {name!r}; choose one of: {known} (see 'qrpay templates')")
    return _parsed(name, f"{name}.toml (shipped)", shipped[name].read_text("utf-8"))


def list_templates(user_dir: Path | None = None) -> list[Template]:
    return [load_template(name, user_dir) for name in template_names(user_dir)]
