"""Samples apart: the demo mints in a sample home of its own, and a code on the placeholder base
URL — and only such a code — prints with a large 样张 on every template and web image."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pypdfium2
import pytest
from helpers import page_texts
from PIL import Image

from qrpay import Qrpay, Settings
from qrpay.config import DEFAULT_BASE_URL
from qrpay.keys import Keyring
from qrpay.render.sample import SAMPLE_MARK

OUTPUTS = (("poster-a4", ".pdf"), ("tent-a6", ".pdf"), ("labels-a4", ".pdf"), ("web", ".png"), ("web", ".svg"))


def _tree(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def _reddish(path: Path) -> int:
    """Pixels where red stands well above green: the sample mark's colour (the symbol is black and white)."""
    if path.suffix == ".pdf":
        document = pypdfium2.PdfDocument(str(path))
        image = document[0].render(scale=40 / 72).to_pil().convert("RGB")
        document.close()
    else:
        image = Image.open(path).convert("RGB")
    data = image.tobytes()  # RGB bytes, pixel by pixel (getdata is deprecated; tobytes is in every Pillow we allow)
    return sum(1 for r, g, b in zip(data[0::3], data[1::3], data[2::3]) if r > g + 40 and r > 150)


def _has_mark(path: Path) -> bool:
    if path.suffix == ".svg":
        return SAMPLE_MARK in path.read_text("utf-8")
    if path.suffix == ".pdf":
        return SAMPLE_MARK in page_texts(path)[0]
    return _reddish(path) > 0


def _render_all(qrpay: Qrpay, folder: Path) -> list[Path]:
    scene = qrpay.mint_scene("09", "window 3")[0]
    emergency = qrpay.mint_open("06")[0]
    paths = [qrpay.render(scene.id, t, folder / f"{t}{ext}").path for t, ext in OUTPUTS]
    return [*paths, qrpay.render(emergency.id, "emergency-a4", folder / "emergency.pdf").path]


def test_sample_mark_is_on_every_output_of_a_placeholder_code(tmp_path, home):
    Keyring.init(tmp_path / "sample" / "keyring.json")
    sample = Qrpay(Settings.load(home=tmp_path / "sample", base_url=DEFAULT_BASE_URL))
    try:
        paths = _render_all(sample, tmp_path / "out")  # every one read back by the self-check, mark and all
    finally:
        sample.close()
    assert [path.name for path in paths if not _has_mark(path)] == []
    assert _reddish(tmp_path / "out" / "web.png") > 500  # large, not a speck


def test_no_sample_mark_on_a_real_code(desk, tmp_path):
    paths = _render_all(desk, tmp_path / "out")
    assert [path.name for path in paths if _has_mark(path)] == []


def test_demo_works_in_its_own_sample_home_and_leaves_qrpay_home_untouched(cli, desk, home, tmp_path):
    desk.mint_scene("09", "the user's own window")
    desk.close()
    before = _tree(home)
    result = cli("demo", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert _tree(home) == before
    assert (home.with_name("home-sample") / "register.sqlite3").is_file()
    assert "home-sample" in result.stderr
    poster = next((tmp_path / "out").glob("*-poster-a4.pdf"))
    assert _has_mark(poster)


def test_demo_with_no_qrpay_home_creates_none(cli, home, tmp_path):
    result = cli("demo", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert not home.exists()


@pytest.mark.parametrize(("base_url", "warned"), [(DEFAULT_BASE_URL, True), ("https://pay.hz.gov.cn/q/", False)])
def test_mint_on_the_placeholder_base_url_warns_on_stderr(cli, keyring, monkeypatch, base_url, warned):
    monkeypatch.setenv("QRPAY_BASE_URL", base_url)
    result = cli("mint", "scene", "--item", "09", "--scene", "window 3")
    assert result.exit_code == 0, result.output
    assert ("placeholder" in result.stderr and "样张" in result.stderr) is warned
    assert "placeholder" not in result.stdout
