"""Web images: PNG with DPI at 1x and 2x, SVG with viewBox/title/desc, an HTML snippet with alt text and link."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from qrpay import InputError
from qrpay.qr.encode import encode
from qrpay.render.check import paint_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def code(desk):
    return desk.mint_scene("09", "window 3")[0]


def decode(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


class Snippet(HTMLParser):
    """Collects the tags and attributes of an HTML snippet, and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data

    def first(self, tag: str) -> dict:
        return next(attrs for name, attrs in self.tags if name == tag)


def parse_html(path: Path) -> Snippet:
    snippet = Snippet()
    snippet.feed(path.read_text("utf-8"))
    return snippet


@pytest.mark.parametrize(("scale", "dpi"), [(1, 96), (2, 192)])
def test_png_has_dpi_metadata_and_scale_multiplies_pixels(desk, code, tmp_path, scale, dpi):
    result = desk.render(code.id, "web", tmp_path / "code.png", scale=scale)
    modules = encode(code.payload).size + 8
    with Image.open(result.path) as image:
        assert image.size == (modules * 6 * scale,) * 2
        assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.1)
        assert decode(image.convert("L")) == [code.payload]


def test_svg_has_viewbox_title_desc_and_the_exact_modules(desk, code, tmp_path):
    result = desk.render(code.id, "web", tmp_path / "code.svg")
    root = ET.parse(result.path).getroot()
    symbol = encode(code.payload)
    total = symbol.size + 8
    assert root.get("viewBox") == f"0 0 {total} {total}"
    assert root.get("width").endswith("mm") and root.get("role") == "img"
    assert "不动产登记费" in root.find(f"{SVG}title").text
    assert code.payload in root.find(f"{SVG}desc").text
    painted = set()
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", root.find(f"{SVG}path").get("d")):
        painted |= {(int(y) - 4, int(x) - 4 + i) for i in range(int(length))}
    expected = {(r, c) for r, row in enumerate(symbol.matrix) for c, dark in enumerate(row) if dark}
    assert painted == expected
    assert decode(paint_svg(result.path.read_text("utf-8"))) == [code.payload]


def test_html_snippet_has_inline_image_alt_text_and_a_tappable_link(desk, code, tmp_path):
    result = desk.render(code.id, "web", tmp_path / "code.html")
    snippet = parse_html(result.path)
    assert snippet.first("figure")["class"] == "qrpay-code"
    svg = snippet.first("svg")
    assert svg["role"] == "img" and svg["aria-labelledby"]
    assert snippet.first("a")["href"] == code.payload
    assert "付款码 " + code.payment_code in snippet.text and "点此打开缴费页面" in snippet.text
    assert result.decoded == (code.payload,)


def test_html_data_uri_option_embeds_a_png_that_scans(desk, code, tmp_path):
    result = desk.render(code.id, "web", tmp_path / "code.html", data_uri=True, scale=2)
    image_tag = parse_html(result.path).first("img")
    assert "不动产登记费" in image_tag["alt"] and code.payment_code in image_tag["alt"]
    assert image_tag["src"].startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(image_tag["src"].split(",", 1)[1]))) as image:
        assert image.size[0] == 2 * int(image_tag["width"])  # 2x pixels shown at 1x CSS size
        assert decode(image.convert("L")) == [code.payload]


def test_emblem_on_web_images_still_scans(desk, code, tmp_path):
    emblem = tmp_path / "emblem.png"
    Image.new("RGBA", (64, 64), (29, 79, 145, 255)).save(emblem)
    for name in ("code.png", "code.svg", "code.html"):
        result = desk.render(code.id, "web", tmp_path / name, emblem=emblem)
        assert result.decoded == (code.payload,)
    assert "data:image/png;base64," in (tmp_path / "code.svg").read_text("utf-8")


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("code.gif", {}, r"template web writes \.png / \.svg / \.html files"),
        ("code.png", {"data_uri": True}, r"--data-uri applies to \.html snippets"),
        ("code.svg", {"scale": 2}, r"--scale applies to \.png images and \.html snippets"),
        ("code.png", {"scale": 0}, r"--scale must be a whole number from 1 to 4, got 0"),
    ],
)
def test_options_that_do_not_fit_the_output_are_refused(desk, code, tmp_path, name, options, message):
    with pytest.raises(InputError, match=message):
        desk.render(code.id, "web", tmp_path / name, **options)
    assert not (tmp_path / name).exists()
