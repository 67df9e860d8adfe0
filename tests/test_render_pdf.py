"""Print templates: every PDF reads back with zxing-cpp, at exact millimetres, with embedded Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from helpers import in_months, page_texts
from PIL import Image, ImageOps

from qrpay import RenderError
from qrpay.qr.decode import read_file
from qrpay.qr.encode import encode
from qrpay.render import load_template, render
from qrpay.render.model import CodeView
from qrpay.render.units import mm_to_px

MEASURE_DPI = 600


@pytest.fixture
def codes(desk):
    return {
        "unified": desk.mint_unified("traffic-fine")[0],
        "scene": desk.mint_scene("09", "window 3")[0],
        "open": desk.mint_open("06", valid_until=in_months(12))[0],
    }


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An empty folder for output, apart from the qrpay home."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def page_image(path: Path, dpi: int = MEASURE_DPI, index: int = 0) -> Image.Image:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def measure(
    image: Image.Image, left_mm: float, top_mm: float, size_mm: float, modules: int
) -> tuple[float, float, float]:
    """(left, top, size) in mm of the dark area around the expected symbol, after checking its quiet zone is white."""
    module = size_mm / modules
    margin = 4 * module
    box = tuple(
        round(mm_to_px(v, MEASURE_DPI))
        for v in (left_mm - margin, top_mm - margin, left_mm + size_mm + margin, top_mm + size_mm + margin)
    )
    crop = image.crop(box)
    dark = ImageOps.invert(crop).point(lambda v: 255 if v > 127 else 0)
    found = dark.getbbox()
    assert found is not None, "no symbol where the template puts it"
    x0, y0, x1, y1 = found
    to_mm = 25.4 / MEASURE_DPI
    return (box[0] + x0) * to_mm, (box[1] + y0) * to_mm, (x1 - x0) * to_mm


@pytest.mark.parametrize(
    ("template", "kind", "codes_per_page", "origin"),
    [
        ("poster-a4", "scene", 1, (0, 0)),
        ("tent-a6", "unified", 2, (31, 148.5)),  # the upright front face
        ("labels-a4", "scene", 24, (0, 0.5)),  # the first label
        ("emergency-a4", "open", 1, (0, 0)),
    ],
)
def test_print_template_reads_back_at_exact_size_with_white_quiet_zone(
    desk, codes, tmp_path, template, kind, codes_per_page, origin
):
    code = codes[kind]
    result = desk.render(code.id, template, tmp_path / "out.pdf")
    assert read_file(result.path) == [code.payload] * codes_per_page

    spec = load_template(template).qr
    modules = encode(code.payload, error=spec.error).size
    left, top, size = measure(page_image(result.path), origin[0] + spec.x, origin[1] + spec.y, spec.size, modules)
    pixel = 25.4 / MEASURE_DPI
    assert abs(size - spec.size) <= 2 * pixel
    assert abs(left - (origin[0] + spec.x)) <= 2 * pixel and abs(top - (origin[1] + spec.y)) <= 2 * pixel
    assert spec.size / modules >= spec.min_module


def test_qr_is_one_vector_path_of_merged_runs_not_an_image(desk, codes, tmp_path):
    result = desk.render(codes["scene"].id, "poster-a4", tmp_path / "poster.pdf")
    document = pypdfium2.PdfDocument(str(result.path))
    objects = list(document[0].get_objects())
    assert not [obj for obj in objects if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
    spec = load_template("poster-a4").qr
    bounds = [
        tuple(round(v * 25.4 / 72, 3) for v in obj.get_bounds())
        for obj in objects
        if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_PATH
    ]
    # PDF bounds are (left, bottom, right, top) from the bottom-left corner of the A4 page
    assert (spec.x, 297 - spec.y - spec.size, spec.x + spec.size, 297 - spec.y) in bounds
    document.close()
    symbol = encode(codes["scene"].payload)
    runs = sum(len(re.findall(rb"\x01+", row)) for row in symbol.matrix)
    dark = sum(sum(row) for row in symbol.matrix)
    assert runs < dark  # merging runs draws fewer rectangles than there are dark modules


def test_pdf_embeds_a_subset_truetype_cjk_font_and_nothing_else(desk, codes, tmp_path):
    data = desk.render(codes["open"].id, "emergency-a4", tmp_path / "e.pdf").path.read_bytes()
    fonts = re.findall(rb"/BaseFont /(\S+)", data)
    assert fonts and all(re.match(rb"^[A-Z]{6}\+NotoSansSC-qrpay-(Regular|Bold)$", name) for name in fonts)
    assert data.count(b"/FontFile2") == len(set(fonts))  # every font program is embedded
    assert b"/Type1" not in data and b"STSong" not in data


def test_chinese_text_can_be_extracted_from_the_poster(desk, codes, tmp_path):
    text = "".join(page_texts(desk.render(codes["scene"].id, "poster-a4", tmp_path / "p.pdf").path))
    for words in (
        "不动产登记费",
        "国土",
        "扫码缴费",
        "浙里办",
        "支付宝",
        "微信",
        "云闪付",
        "手机银行",
        "杭州市财政局",
        "window 3",
        codes["scene"].payment_code,
        codes["scene"].id,
        "长期有效",
    ):
        assert words in text


def test_emergency_poster_has_banner_instructions_and_validity(desk, codes, tmp_path):
    text = "".join(page_texts(desk.render(codes["open"].id, "emergency-a4", tmp_path / "e.pdf").path))
    for words in (
        "应急缴款",
        "付款人请按以下步骤缴款",
        "工作人员",
        "业务编号",
        "缴款金额",
        "付款时间",
        f"有效期至 {in_months(12)}",
        "公民出入境证件费",
    ):
        assert words in text


def test_emergency_banner_is_red(desk, codes, tmp_path):
    path = desk.render(codes["open"].id, "emergency-a4", tmp_path / "e.pdf").path
    document = pypdfium2.PdfDocument(str(path))
    image = document[0].render(scale=50 / 72).to_pil().convert("RGB")
    document.close()
    red, green, blue = image.getpixel((30, 30))  # the banner keeps 8 mm clear of the paper's edge
    assert red > 150 and green < 60 and blue < 80


def test_same_inputs_give_identical_bytes_without_timestamps(desk, codes, tmp_path):
    first = desk.render(codes["scene"].id, "poster-a4", tmp_path / "a.pdf")
    second = desk.render(codes["scene"].id, "poster-a4", tmp_path / "sub" / "b.pdf")
    data = first.path.read_bytes()
    assert data == second.path.read_bytes() and first.sha256 == second.sha256
    year = str(desk.today().year).encode()
    assert not re.search(rb"/CreationDate \(D:" + year, data)
    assert b"D:20000101000000" in data  # reportlab's invariant date


def test_emblem_raises_error_correction_to_h_and_still_reads_back(desk, codes, tmp_path):
    emblem = tmp_path / "emblem.png"
    Image.new("RGB", (120, 80), (200, 16, 46)).save(emblem)
    result = desk.render(codes["scene"].id, "poster-a4", tmp_path / "e.pdf", emblem=emblem)
    assert result.decoded == (codes["scene"].payload,)
    image = page_image(result.path, dpi=200)
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.ec_level for b in found] == ["H"]
    document = pypdfium2.PdfDocument(str(result.path))
    assert any(obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE for obj in document[0].get_objects())
    document.close()


def test_emblem_knockout_covers_at_most_a_fifth_of_the_symbol(desk, codes):
    from qrpay.render.symbol import place

    view = desk.view(codes["scene"])
    placed = place(load_template("poster-a4"), view, emblem=True)
    assert placed.symbol.error == "H"
    assert 0 < placed.knockout**2 <= 0.20 * placed.size**2
    assert placed.knockout % 2 == 1  # centred on the middle module


def test_refuses_below_the_minimum_module_size_naming_the_size_needed(desk, codes, outdir):
    folder = desk.settings.user_templates_dir
    folder.mkdir(parents=True)
    text = (Path(__file__).parents[1] / "templates" / "poster-a4.toml").read_text("utf-8")
    (folder / "poster-a4.toml").write_text(text.replace("size_mm = 80 ", "size_mm = 30 "), "utf-8")
    out = outdir / "small.pdf"
    with pytest.raises(
        RenderError,
        match=r"0\.91 mm per module \(33 modules.*minimum of 1\.2 mm; it needs a symbol of at least 39\.6 mm",
    ):
        desk.render(codes["scene"].id, "poster-a4", out)
    assert list(outdir.iterdir()) == []
    assert desk.register.renders(codes["scene"].serial) == []


def test_missing_glyphs_are_named_and_nothing_is_written(desk, outdir):
    code, _ = desk.mint_scene("09", "窗口𠮷")
    with pytest.raises(
        RenderError, match=r"no glyph for 𠮷 \(U\+20BB7\) in the scene of C0000001; give a TrueType font"
    ):
        desk.render(code.id, "poster-a4", outdir / "p.pdf")
    assert list(outdir.iterdir()) == []


def test_label_sheet_takes_many_codes_page_after_page(desk, tmp_path):
    views = [desk.view(desk.mint_scene("09", f"window {n}")[0]) for n in range(30)]
    template = load_template("labels-a4")
    result = render(template, iter(views), tmp_path / "sheet.pdf")
    assert result.pages == 2 and result.ids == tuple(view.id for view in views)
    document = pypdfium2.PdfDocument(str(result.path))
    per_page = [
        sorted(b.text for b in zxingcpp.read_barcodes(page.render(scale=250 / 72, grayscale=True).to_pil()))
        for page in document
    ]
    document.close()
    assert per_page == [sorted(v.payload for v in views[:24]), sorted(v.payload for v in views[24:])]


def test_a_failed_self_check_leaves_no_file_and_no_record(desk, codes, outdir, monkeypatch):
    import qrpay.render as rendering

    broken = rendering.Format(rendering.write_pdf, lambda data, dpi: [[]], needs_font=True)
    monkeypatch.setitem(rendering.FORMATS, ("pdf", ".pdf"), broken)
    out = outdir / "poster.pdf"
    with pytest.raises(RenderError, match="self-check failed: page 1 of poster.pdf should read 1 code"):
        desk.render(codes["scene"].id, "poster-a4", out)
    assert list(outdir.iterdir()) == []
    assert desk.register.renders(codes["scene"].serial) == []


def test_overlong_text_is_refused_rather_than_cut(outdir):
    view = CodeView("C0000001", "scene", "https://pay.hz.gov.cn/q/x", "2090 0000 0101", "费" * 60, "国土")
    with pytest.raises(RenderError, match=r"the name of C0000001 is too long for its place"):
        render(load_template("poster-a4"), [view], outdir / "p.pdf")
    assert list(outdir.iterdir()) == []


def test_font_option_replaces_the_default_and_a_non_font_is_refused(desk, codes, tmp_path):
    from qrpay import InputError
    from qrpay.render.fonts import default_font_path

    result = desk.render(codes["scene"].id, "poster-a4", tmp_path / "p.pdf", font=default_font_path())
    assert result.decoded == (codes["scene"].payload,)
    fake = tmp_path / "font.ttf"
    fake.write_bytes(b"not a font at all")
    with pytest.raises(InputError, match="font .*font.ttf"):
        desk.render(codes["scene"].id, "poster-a4", tmp_path / "q.pdf", font=fake)
    assert not (tmp_path / "q.pdf").exists()
