"""Emergency kits, printed before an outage: a cover page listing every open code and payment
code, then for each emergency-eligible item its ``emergency-a4`` poster and a staff log sheet.

The posters are drawn by the render layer (the same template ``qrpay render`` uses); the cover
and log sheets have no QR code, so nobody scans the wrong page. The parts are joined into one
PDF, read back with a real decoder (every poster must read as its payload, every other page as
nothing) and only then renamed into place.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..api import Qrpay
from ..codes.record import Code
from ..errors import InputError
from ..fileio import atomic_path, check_writable_target
from ..render import check
from ..render.fonts import Font, load_font
from ..render.model import CodeView, Options
from ..render.pdf import write_pdf
from ..render.pdfjoin import join
from ..render.templates import load_template
from ..render.text import wrap
from ..render.units import mm_to_pt

TEMPLATE = "emergency-a4"
RENDER_NAME = "emergency-kit"  # how the kit appears among a code's renders ('qrpay show')
PAGE_MM = (210.0, 297.0)
SHEET_ROWS = 20
RED, BLUE, INK, GREY = "#c8102e", "#1d4f91", "#1a1a1a", "#555555"
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


@dataclass(frozen=True)
class Kit:
    """A kit written and read back: where, which codes, how many pages, its digest."""

    path: Path
    codes: tuple[Code, ...]
    minted: tuple[str, ...]  # ids of the codes minted for this kit; the others were reused
    pages: int
    sha256: str

    def to_dict(self) -> dict:
        codes = [
            {
                "id": code.id,
                "item": f"{code.number:02d}",
                "payload": code.payload,
                "payment_code": code.payment_code,
                "valid_from": window["valid_from"],
                "valid_until": window["valid_until"],
                "new": code.id in self.minted,
            }
            for code in self.codes
            for window in [code.to_dict()]
        ]
        return {
            "path": str(self.path),
            "pages": self.pages,
            "sha256": self.sha256,
            "self_check": "passed",
            "codes": codes,
        }


def make_kit(
    qrpay: Qrpay,
    path: Path | str | None = None,
    *,
    items: Sequence[str] | None = None,
    valid_from: str | None = None,
    valid_until: str | None = None,
    font: Path | str | None = None,
) -> Kit:
    """Mint (or reuse) the open code of each item and write the kit PDF to *path*.

    Without *path* the kit goes to ``output/emergency-kit-<today>.pdf``; a file already there
    is replaced only if qrpay wrote it as a kit.
    """
    path = (
        check_writable_target(Path(path), example="emergency-kit.pdf") if path is not None else _default_output(qrpay)
    )
    if path.suffix.lower() != ".pdf":
        raise InputError(f"a kit is a PDF; name the output file .pdf, got {path.name!r}")
    template = load_template(TEMPLATE, qrpay.settings.user_templates_dir)
    face = load_font(font or qrpay.settings.font)
    minted = [qrpay.mint_open(item, valid_from, valid_until) for item in _items(qrpay, items)]
    codes = [code for code, _ in minted]
    views = [qrpay.view(code) for code in codes]
    values = template.values
    parts, expected, dpi = [_cover(views, values, face)], [[]], check.MIN_DPI
    for index, view in enumerate(views):
        drawn = write_pdf(template, [view], Options(font=face))
        parts += [drawn.data, _sheet(view, values, face, poster_page=2 + 2 * index)]
        expected += [*drawn.pages, []]
        dpi = max(dpi, drawn.check_dpi)
    with atomic_path(path) as tmp:
        join(parts, tmp)
        data = tmp.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        check.run(check.read_pdf, data, dpi, expected, path.name)
        qrpay.record_renders(RENDER_NAME, [(code, path, sha256) for code in codes])
    return Kit(path, tuple(codes), tuple(code.id for code, new in minted if new), len(expected), sha256)


def _items(qrpay: Qrpay, items: Sequence[str] | None) -> list[str]:
    """The item codes of the kit, all checked before anything is minted."""
    if not items:
        eligible = [item.code for item in qrpay.catalog.emergency_items()]
        if not eligible:
            raise InputError("no catalog item is emergency-eligible; mark items emergency = true in the catalog")
        return eligible
    chosen = [qrpay.catalog.item(item) for item in items]
    refused = [item.code for item in chosen if not item.emergency]
    if refused:
        eligible = ", ".join(item.code for item in qrpay.catalog.emergency_items())
        raise InputError(
            f"item(s) {', '.join(refused)} are not emergency-eligible; a kit holds open codes for "
            f"items marked emergency = true in the catalog (now: {eligible})"
        )
    return list(dict.fromkeys(item.code for item in chosen))


def _default_output(qrpay: Qrpay) -> Path:
    path = Path("output") / f"emergency-kit-{qrpay.today()}.pdf"
    ours = {
        render["path"]
        for code in qrpay.list_codes(kind="open")
        for render in qrpay.renders(code)
        if render["template"] == RENDER_NAME
    }
    if path.exists() and str(path.resolve()) not in ours:
        raise InputError(f"{path} exists and qrpay did not write it as a kit; name the output with -o to replace it")
    return check_writable_target(path)


# -- drawing the cover and log sheets ------------------------------------------------------


class _Page:
    """One A4 page on a reportlab canvas, addressed in millimetres from the top-left corner."""

    def __init__(self, canvas: object, font: Font):
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
    ) -> None:
        """Draw *text* with its baseline at *y*, shrunk to fit *width* mm if given."""
        from reportlab.lib.colors import HexColor

        self.font.check(text, "the emergency kit")
        measured = self.font.width_pt(text, size)
        if width and measured > mm_to_pt(width):
            size *= mm_to_pt(width) / measured
            measured = self.font.width_pt(text, size)
        left = mm_to_pt(x) - {"left": 0.0, "center": measured / 2, "right": measured}[align]
        self.c.setFillColor(HexColor(color))
        self.c.setFont(self.font.name, size)
        self.c.drawString(left, mm_to_pt(PAGE_MM[1] - y), text)

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


def _document(font: Font, title: str, draw: object) -> bytes:
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
    canvas.setCreator("qrpay")
    canvas.setTitle(title)
    draw(_Page(canvas, font))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cover(views: list[CodeView], values: dict[str, str], font: Font) -> bytes:
    """The first page: what the kit holds, where each code's pages are, and what to do when."""
    platform, authority = values.get("platform", ""), values.get("authority", "")

    def draw(page: _Page) -> None:
        page.box(0, 0, 210, 34, fill=RED, stroke=None)
        page.text(105, 19, "应急缴款包", 36, align="center", color="#ffffff")
        page.text(105, 28, f"EMERGENCY PAYMENT KIT · {platform}", 10, align="center", color="#ffe3e6", width=190)
        page.text(
            105, 46, f"{authority} · 开放式缴款码（一费一码）· 共 {len(views)} 个缴款码", 13, align="center", width=190
        )
        page.text(
            105,
            54,
            "本页仅供工作人员使用，不含二维码，请勿张贴 · Staff only: do not post this page",
            9,
            align="center",
            color=RED,
            width=190,
        )
        columns = (
            ("项目", 12),
            ("部门", 16),
            ("收费项目", 44),
            ("编号 ID", 24),
            ("付款码 Payment code", 38),
            ("有效期", 32),
            ("页码", 14),
        )
        top, row = 62.0, 11.0
        page.box(15, top, 180, row, fill="#f2f2f2")
        x = 15.0
        for heading, width in columns:
            page.text(x + 2, top + 7, heading, 9, color=GREY, width=width - 3)
            x += width
        for index, view in enumerate(views):
            y = top + row * (index + 1)
            page.box(15, y, 180, row, stroke="#999999", line_pt=0.4)
            cells = (
                view.item,
                view.department,
                view.name,
                view.id,
                view.payment_code,
                view.validity.removeprefix("有效期 "),
                f"{2 + 2 * index}–{3 + 2 * index}",
            )
            x = 15.0
            for (_, width), cell in zip(columns, cells):
                page.text(x + 2, y + 7.2, cell, 11 if cell == view.payment_code else 10, width=width - 3)
                x += width
        y = top + row * (len(views) + 1) + 14
        steps = (
            ("停机前 Before", "打印本包；海报贴在收费窗口，登记表放在窗口备用。每页一个项目，请核对编号与付款码。"),
            (
                "停机时 During",
                "付款人扫码（或在 App 输入付款码）并输入金额和业务编号；工作人员核对付款成功页面后在登记表逐笔登记。",
            ),
            (
                "恢复后 After",
                "把登记表录成 CSV：qrpay emergency log import 登记表.csv（列 code, amount, reference, payer, at）",
            ),
            ("", "取得平台或银行对账单后：qrpay reconcile 对账单.csv -o 对账结果.csv，逐笔处理差异。"),
        )
        for heading, text in steps:
            if heading:
                page.text(15, y, heading, 12, color=BLUE)
            for line in wrap(text, mm_to_pt(145), 10, font.width_pt):
                page.text(50, y, line, 10)
                y += 6
            y += 3
        page.line(15, 282, 195, 282, color=RED)
        page.text(105, 289, f"{authority} 监制 · {platform}", 9, align="center", color=GREY, width=190)

    return _document(font, "应急缴款包", draw)


def _sheet(view: CodeView, values: dict[str, str], font: Font, *, poster_page: int) -> bytes:
    """The staff log sheet for one code: a ruled table to write every collection into."""
    authority = values.get("authority", "")

    def draw(page: _Page) -> None:
        page.text(105, 17, "应急缴款登记表", 22, align="center")
        page.text(
            105,
            24,
            "Emergency collection log · 每笔应急缴款逐笔登记，付款时间精确到分",
            9.5,
            align="center",
            color=GREY,
            width=190,
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
        page.text(105, 291, f"{authority} 监制", 9, align="center", color=GREY)

    return _document(font, f"应急缴款登记表 {view.id}", draw)
