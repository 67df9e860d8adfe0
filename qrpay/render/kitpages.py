"""The pages of an emergency kit that carry no QR code: the cover and the staff log sheets.

Drawn with reportlab on A4, addressed in millimetres from the top-left corner. Text is set by
the same rules as the templates (:mod:`.text`): lines break by UAX #14 with the Chinese kinsoku
rules, numbered steps hang in, and each table column has one text size for all its rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .fonts import Font
from .model import CodeView
from .pdf import describe, draw_line
from .text import continued, drawn_width, wrap
from .units import mm_to_pt

if TYPE_CHECKING:  # reportlab ships no types: this names what is passed, and is Any to mypy
    from reportlab.pdfgen.canvas import Canvas

PAGE_MM = (210.0, 297.0)
SHEET_ROWS = 20
RED, BLUE, INK, GREY = "#c8102e", "#1d4f91", "#1a1a1a", "#555555"
MIN_CELL_PT = 7.0  # a table column shrinks no further; wider text is refused by the font check's caller
#: Log sheet columns: Chinese heading, English heading, width in mm (180 mm in all).
SHEET_COLUMNS = (
    ("序号", "No.", 10),
    ("付款时间", "Time", 24),
    ("业务编号", "Reference", 40),
    ("付款人", "Payer", 34),
    ("金额（元）", "Amount", 24),
    ("付款渠道", "Channel", 24),
    ("经办人", "Staff initials", 24),
)
#: Cover table columns: heading, width in mm, text size in pt (before fitting the column).
COVER_COLUMNS = (
    ("项目", 10, 10),
    ("部门", 14, 10),
    ("收费项目", 52, 10),
    ("编号 ID", 22, 10),
    ("付款码 Payment code", 38, 11),
    ("有效期", 32, 10),
    ("页码", 12, 10),
)
STEPS = (
    ("停机前 Before", "1. 打印本包；海报贴在收费窗口，登记表放在窗口备用。每页一个项目，请核对编号与付款码。"),
    (
        "停机时 During",
        "2. 付款人扫码（或在 App 输入付款码）并输入金额和业务编号；工作人员核对付款成功页面后在登记表逐笔登记。",
    ),
    (
        "恢复后 After",
        "3. 把登记表录成 CSV：qrpay emergency log import 登记表.csv（列 code, amount, reference, payer, at）\n"
        "4. 取得平台或银行对账单后：qrpay reconcile 对账单.csv -o 对账结果.csv，逐笔处理差异。",
    ),
)
STEP_INDENT_MM = 4.0


def column_size(font: Font, texts: Sequence[str], width_mm: float, size: float) -> float:
    """The one text size for a table column: *size*, or smaller until its widest cell fits."""
    widest = max((drawn_width(text, size, font.width_pt) for text in texts), default=0.0)
    if widest <= mm_to_pt(width_mm):
        return size
    return max(MIN_CELL_PT, size * mm_to_pt(width_mm) / widest)


class _Page:
    """One A4 page on a reportlab canvas, addressed in millimetres from the top-left corner."""

    def __init__(self, canvas: Canvas, font: Font):
        self.c, self.font = canvas, font

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        *,
        align: str = "left",
        color: str = INK,
        width: float | None = None,
        bold: bool = False,
    ) -> None:
        """Draw *text* with its baseline at *y*, shrunk to fit *width* mm if given."""
        from reportlab.lib.colors import HexColor

        face = self.font.weight(bold)
        face.check(text, "the emergency kit")
        measured = drawn_width(text, size, face.width_pt)
        if width and measured > mm_to_pt(width):
            size *= mm_to_pt(width) / measured
            measured = drawn_width(text, size, face.width_pt)
        left = mm_to_pt(x) - {"left": 0.0, "center": measured / 2, "right": measured}[align]
        writer = self.c.beginText()
        writer.setFont(face.name, size)
        writer.setFillColor(HexColor(color))
        draw_line(writer, face, text, size, left, mm_to_pt(PAGE_MM[1] - y))
        self.c.drawText(writer)

    def paragraph(self, x: float, y: float, text: str, size: float, width: float, leading_mm: float) -> float:
        """Wrap *text* into *width* mm from *y*, numbered steps hanging in; the y below its last line."""
        self.font.check(text, "the emergency kit")
        lines = wrap(text, mm_to_pt(width), size, self.font.width_pt, mm_to_pt(STEP_INDENT_MM))
        for line, hangs in zip(lines, continued(text, lines)):
            self.text(x + (STEP_INDENT_MM if hangs else 0.0), y, line, size)
            y += leading_mm
        return y

    def box(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        fill: str | None = None,
        stroke: str | None = INK,
        line_pt: float = 0.6,
    ) -> None:
        from reportlab.lib.colors import HexColor

        if fill:
            self.c.setFillColor(HexColor(fill))
        if stroke:
            self.c.setStrokeColor(HexColor(stroke))
        self.c.setLineWidth(line_pt)
        self.c.rect(
            mm_to_pt(x),
            mm_to_pt(PAGE_MM[1] - y - height),
            mm_to_pt(width),
            mm_to_pt(height),
            stroke=int(bool(stroke)),
            fill=int(bool(fill)),
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, *, color: str = INK, line_pt: float = 0.5) -> None:
        from reportlab.lib.colors import HexColor

        self.c.setStrokeColor(HexColor(color))
        self.c.setLineWidth(line_pt)
        self.c.line(mm_to_pt(x1), mm_to_pt(PAGE_MM[1] - y1), mm_to_pt(x2), mm_to_pt(PAGE_MM[1] - y2))


def _document(font: Font, title: str, draw: Callable[[_Page], None]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=tuple(mm_to_pt(v) for v in PAGE_MM),
        invariant=1,
        pageCompression=1,
        initialFontName=font.name,
        lang="zh-CN",
    )
    describe(canvas, title)
    draw(_Page(canvas, font))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def cover(views: list[CodeView], values: dict[str, str], font: Font, title: str) -> bytes:
    """The first page: what the kit holds, where each code's pages are, and what to do when."""
    platform, authority = values.get("platform", ""), values.get("authority", "")

    def draw(page: _Page) -> None:
        page.box(8, 8, 194, 30, fill=RED, stroke=None)
        page.text(105, 24, "应急缴款包", 34, align="center", color="#ffffff", bold=True)
        page.text(105, 33, f"EMERGENCY PAYMENT KIT · {platform}", 10, align="center", color="#ffe3e6", width=180)
        page.text(
            105, 46, f"{authority} · 开放式缴款码（一费一码）· 共 {len(views)} 个缴款码", 13, align="center", width=180
        )
        page.text(
            105,
            54,
            "本页仅供工作人员使用，不含二维码，请勿张贴 · Staff only: do not post this page",
            9,
            align="center",
            color=RED,
            width=180,
        )
        rows = [
            (
                view.item,
                view.department,
                view.name,
                view.id,
                view.payment_code,
                view.validity.removeprefix("有效期 "),
                f"{2 + 2 * index}–{3 + 2 * index}",
            )
            for index, view in enumerate(views)
        ]
        sizes = [
            column_size(font, [row[column] for row in rows], width - 3, size)
            for column, (_, width, size) in enumerate(COVER_COLUMNS)
        ]
        top, row_mm = 62.0, 11.0
        page.box(15, top, 180, row_mm, fill="#f2f2f2")
        x = 15.0
        for heading, width, _ in COVER_COLUMNS:
            page.text(x + 2, top + 7, heading, 9, color=GREY, width=width - 3)
            x += width
        for index, cells in enumerate(rows):
            y = top + row_mm * (index + 1)
            page.box(15, y, 180, row_mm, stroke="#999999", line_pt=0.4)
            x = 15.0
            for (_, width, _), cell, size in zip(COVER_COLUMNS, cells, sizes):
                page.text(x + 2, y + 7.2, cell, size, bold=cell == cells[4])
                x += width
        y = top + row_mm * (len(views) + 1) + 14
        for heading, text in STEPS:
            page.text(15, y, heading, 12, color=BLUE, bold=True)
            y = page.paragraph(50, y, text, 10, 145, 6) + 3
        page.line(15, 282, 195, 282, color=RED)
        page.text(105, 287, f"{authority} 监制 · {platform}", 9, align="center", color=GREY, width=180)

    return _document(font, title, draw)


def sheet(view: CodeView, values: dict[str, str], font: Font, *, poster_page: int) -> bytes:
    """The staff log sheet for one code: a ruled table to write every collection into."""
    authority = values.get("authority", "")

    def draw(page: _Page) -> None:
        page.text(105, 17, "应急缴款登记表", 22, align="center", bold=True)
        page.text(
            105,
            24,
            "Emergency collection log · 每笔应急缴款逐笔登记，付款时间精确到分",
            9.5,
            align="center",
            color=GREY,
            width=180,
        )
        page.box(15, 29, 180, 27, stroke=BLUE)
        page.text(19, 37, f"{view.department} · {view.item} {view.name}", 12, width=172)
        page.text(
            19, 45, f"缴款码编号 {view.id}    付款码 {view.payment_code}    {view.validity}", 10.5, color=RED, width=172
        )
        page.text(
            19,
            53,
            f"日期 ____________    窗口 / 单位 ______________________    第 ____ 页    （海报见第 {poster_page} 页）",
            10,
            color=GREY,
            width=172,
        )
        top, head, row = 61.0, 11.0, 9.5
        page.box(15, top, 180, head, fill="#f2f2f2")
        x = 15.0
        for chinese, english, width in SHEET_COLUMNS:
            page.text(x + width / 2, top + 5, chinese, 9, align="center", width=width - 2)
            page.text(x + width / 2, top + 9, english, 6.5, align="center", color=GREY, width=width - 2)
            x += width
        bottom = top + head + row * SHEET_ROWS
        for index in range(SHEET_ROWS):
            y = top + head + row * index
            page.line(15, y + row, 195, y + row, line_pt=0.4)
            page.text(15 + 5, y + 6.5, str(index + 1), 8, align="center", color=GREY)
        x = 15.0
        for _, _, width in SHEET_COLUMNS[:-1]:
            x += width
            page.line(x, top, x, bottom, line_pt=0.4)
        page.box(15, top, 180, bottom - top, line_pt=0.8)
        page.text(
            15,
            bottom + 9,
            "登记人 ______________    复核人 ______________    交财务日期 ______________",
            10.5,
            width=180,
        )
        page.text(
            15,
            bottom + 17,
            f"系统恢复后录入：qrpay emergency log import 登记表.csv（列 code, amount, reference, "
            f"payer, at；code 填 {view.id}）",
            8.5,
            color=GREY,
            width=180,
        )
        page.text(
            15,
            bottom + 22,
            "金额保留两位小数；付款渠道（支付宝、微信、云闪付、银行等）仅供核对，不需录入。",
            8.5,
            color=GREY,
            width=180,
        )
        page.text(105, 287, f"{authority} 监制", 9, align="center", color=GREY)

    return _document(font, f"应急缴款登记表 {view.id}", draw)
