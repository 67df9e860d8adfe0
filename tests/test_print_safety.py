"""Print safety: every PDF prints at actual size with qrpay's title and producer, nothing is drawn
within 5 mm of the paper's edge, the poster carries real Regular and Bold fonts, and Chinese
lines never begin with a closing mark. Checked on the files as written, rasterised."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
import pytest
from PIL import ImageOps

from qrpay import Qrpay, Settings
from qrpay.emergency.kit import make_kit
from qrpay.render.fonts import load_font
from qrpay.render.layout import SAFE_MARGIN_MM
from qrpay.render.text import _CLOSING, _OPENING, wrap

PRINT_TEMPLATES = ("poster-a4", "tent-a6", "labels-a4", "emergency-a4")
DPI = 100
LONG_SCENE = "出入境接待大厅二楼东侧自助服务区（靠近电梯口，周一至周五开放），外国人签证业务专用窗口"


def _sample_desk(home: Path) -> Qrpay:
    from qrpay.config import DEFAULT_BASE_URL
    from qrpay.keys import Keyring

    Keyring.init(home / "keyring.json")
    return Qrpay(Settings.load(home=home, base_url=DEFAULT_BASE_URL))


@pytest.fixture(params=["real", "sample"])
def any_desk(request, desk, tmp_path):
    """The desk on a real base URL, and one on the placeholder (whose codes print as samples)."""
    if request.param == "real":
        yield desk
        return
    sample = _sample_desk(tmp_path / "sample-home")
    yield sample
    sample.close()


def _code_for(qrpay: Qrpay, template: str):
    if template == "emergency-a4":
        return qrpay.mint_open("05")[0]  # an item with English lines too
    return qrpay.mint_scene("07", "出入境大厅（2 号窗口）" if template == "labels-a4" else LONG_SCENE)[0]


def _margins_mm(path: Path) -> list[tuple[float, float, float, float]]:
    """For each page: how far (mm) the nearest non-white pixel is from the left, top, right, bottom edge."""
    document = pypdfium2.PdfDocument(str(path))
    found = []
    for page in document:
        image = page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        box = ImageOps.invert(image).point(lambda v: 255 if v > 8 else 0).getbbox()
        mm = 25.4 / DPI
        found.append((box[0] * mm, box[1] * mm, (image.width - box[2]) * mm, (image.height - box[3]) * mm))
    document.close()
    return found


def _metadata(path: Path) -> dict:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document.get_metadata_dict()
    finally:
        document.close()


def _says_print_at_actual_size(data: bytes) -> bool:
    return re.search(rb"/PrintScaling\s*/None", data) is not None


@pytest.mark.parametrize("template", PRINT_TEMPLATES)
def test_nothing_is_drawn_within_5_mm_of_the_paper_edge(any_desk, tmp_path, template):
    code = _code_for(any_desk, template)
    out = tmp_path / f"{template}.pdf"
    any_desk.render(code.id, template, out)
    for page, margins in enumerate(_margins_mm(out)):
        assert min(margins) >= SAFE_MARGIN_MM, (template, page, margins)


@pytest.mark.parametrize("template", PRINT_TEMPLATES)
def test_every_pdf_prints_at_actual_size_with_a_title_and_qrpay_as_producer(desk, tmp_path, template):
    code = _code_for(desk, template)
    out = tmp_path / f"{template}.pdf"
    desk.render(code.id, template, out)
    meta = _metadata(out)
    assert meta["Producer"] == "qrpay" and meta["Creator"] == "qrpay"
    assert meta["Title"] == desk.templates()[[t.name for t in desk.templates()].index(template)].title
    assert _says_print_at_actual_size(out.read_bytes())


def test_a_joined_kit_keeps_title_producer_and_viewer_preference(desk, tmp_path):
    kit = make_kit(desk, tmp_path / "kit.pdf", items=["05", "06"])
    meta = _metadata(kit.path)
    assert meta["Producer"] == "qrpay"
    assert meta["Title"].startswith("应急缴款包")
    assert _says_print_at_actual_size(kit.path.read_bytes())
    assert all(min(margins) >= SAFE_MARGIN_MM for margins in _margins_mm(kit.path))


def test_a_joined_batch_sheet_keeps_title_producer_and_viewer_preference(desk, tmp_path, monkeypatch):
    from qrpay.render import load_template, sheets

    monkeypatch.setattr(sheets, "CHUNK_CODES", 24)  # two drawings joined
    views = [desk.view(desk.mint_scene("09", f"window {n}")[0]) for n in range(30)]
    result = sheets.render_sheets(load_template("labels-a4"), views, tmp_path / "sheet.pdf", workers=1)
    meta = _metadata(result.path)
    assert result.pages == 2
    assert meta["Producer"] == "qrpay" and meta["Title"] == load_template("labels-a4").title
    assert _says_print_at_actual_size(result.path.read_bytes())


def test_a_poster_embeds_two_font_programs_a_regular_and_a_real_bold(desk, tmp_path):
    code = desk.mint_scene("09", "window 3")[0]
    out = tmp_path / "poster.pdf"
    desk.render(code.id, "poster-a4", out)
    data = out.read_bytes()
    assert data.count(b"/FontFile2") == 2
    names = set(re.findall(rb"/BaseFont\s*/([A-Z]{6}\+[\w-]+)", data))
    assert {name.split(b"+")[1] for name in names} == {b"NotoSansSC-qrpay-Regular", b"NotoSansSC-qrpay-Bold"}
    assert b" 2 Tr" not in data and b"\n2 Tr" not in data  # no stroked "bold"


def _text_lines(path: Path, upright_half: bool = False) -> list[str]:
    """The lines of text on every page (with *upright_half*, of the lower half only: a tent's
    upper face is upside down, and text extraction reads it back to front)."""
    document = pypdfium2.PdfDocument(str(path))
    lines = []
    for page in document:
        textpage = page.get_textpage()
        text = textpage.get_text_bounded(top=page.get_height() / 2) if upright_half else textpage.get_text_range()
        lines += [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    document.close()
    return lines


@pytest.mark.parametrize("template", PRINT_TEMPLATES)
def test_no_line_of_rendered_chinese_begins_with_a_closing_mark(desk, tmp_path, template):
    code = _code_for(desk, template)
    out = tmp_path / f"{template}.pdf"
    desk.render(code.id, template, out)
    lines = _text_lines(out, upright_half=template == "tent-a6")
    assert len(lines) > 5
    assert [line for line in lines if line[0] in _CLOSING] == []
    assert [line for line in lines if line[-1] in _OPENING] == []


def test_kit_lines_neither_begin_with_a_closing_mark_nor_end_with_an_opening_one(desk, tmp_path):
    kit = make_kit(desk, tmp_path / "kit.pdf", items=["05"])
    lines = _text_lines(kit.path)
    assert [line for line in lines if line[0] in _CLOSING or line[-1] in _OPENING] == []


def test_wrapping_moves_a_closing_mark_back_and_an_opening_mark_forward():
    def measure(text: str, size: float) -> float:
        return len(text) * size  # one em a character

    # six characters a line: a plain break would start line two with "，" and end line one with "（"
    assert wrap("一二三四五六，七八", 6, 1, measure) == ["一二三四五", "六，七八"]
    assert wrap("一二三四五（六）七", 6, 1, measure) == ["一二三四五", "（六）七"]
    assert wrap("打开 App 扫码", 4, 1, measure)[1].startswith("App")  # a Latin word stays whole


def test_numbered_steps_hang_in_after_their_first_line(desk):
    """The emergency poster's staff steps: a step that wraps continues under its text, not its number."""
    from qrpay.render import load_template
    from qrpay.render.pdf import layout_text
    from qrpay.render.text import continued

    template = load_template("emergency-a4")
    block = next(block for block in template.texts if block.text == "{staff_steps}")
    view = desk.view(desk.mint_open("06")[0])
    lines, _ = layout_text(template, load_font(), block, view)
    flags = continued(template.values["staff_steps"], lines)
    assert block.indent > 0
    assert [line[:2] for line, hangs in zip(lines, flags) if not hangs] == ["1.", "2.", "3.", "4."]
    assert any(flags)  # at least one step wraps, and its second line hangs in
