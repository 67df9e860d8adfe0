"""Render every template for sample codes and save small PNG previews to docs/img/ for the guides.

    python docs/make_previews.py

Works in throw-away qrpay homes (their own keyrings and registers), so it never touches yours.
The previews show real, scannable layouts, but their codes are signed by a key that is thrown
away afterwards. One preview shows a sample code (placeholder base URL) with its 样张 mark.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image

from qrpay import Qrpay, Settings
from qrpay.config import DEFAULT_BASE_URL
from qrpay.emergency.kit import make_kit
from qrpay.keys import Keyring

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "img"
WIDTH_PX = 420  # wide enough to read the layout, small enough for a README
BASE_URL = "https://pay.hz.gov.cn/q/"

#: preview file -> (sample code, template, output extension)
PREVIEWS = {
    "poster-a4.png": ("scene", "poster-a4", ".pdf"),
    "tent-a6.png": ("traffic-fine", "tent-a6", ".pdf"),
    "labels-a4.png": ("scene", "labels-a4", ".pdf"),
    "emergency-a4.png": ("open", "emergency-a4", ".pdf"),
    "web.png": ("scene", "web", ".png"),
    "poster-a4-foreign.png": ("visa", "poster-a4", ".pdf"),
    "tent-a6-foreign.png": ("visa", "tent-a6", ".pdf"),
    "notice-a4.png": ("bill", "notice-a4", ".pdf"),
    "slip-a5.png": ("bill", "slip-a5", ".pdf"),
}
BATCH_LIST = HERE.parent / "templates" / "sample-batch.csv"


def thumbnail(rendered: Path, target: Path, *, top_share: float = 1.0) -> None:
    """A small palette PNG of the first page of a PDF (its top *top_share* only), or of an image."""
    if rendered.suffix == ".pdf":
        document = pypdfium2.PdfDocument(str(rendered))
        page = document[0]
        image = page.render(scale=WIDTH_PX / page.get_width()).to_pil()
        image = image.crop((0, 0, image.width, round(image.height * top_share)))
        document.close()
    else:
        with Image.open(rendered) as source:
            image = source.convert("RGB")
    image = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    image.save(target, optimize=True)


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        home, out = Path(scratch) / "home", Path(scratch) / "out"
        Keyring.init(home / "keyring.json")
        with Qrpay(Settings.load(home=home, base_url=BASE_URL)) as desk:
            codes = {
                "traffic-fine": desk.mint_unified("traffic-fine")[0],
                "scene": desk.mint_scene("09", "3 号窗口")[0],
                "open": desk.mint_open("06", valid_until="2030-12-31")[0],
                "visa": desk.mint_scene("07", "出入境接待大厅 2 号窗口")[0],
                "bill": desk.mint_bill("18", "200", "张三", "3301002026120100001", "2030-12-31")[0],
            }
            for name, (sample, template, ext) in PREVIEWS.items():
                result = desk.render(codes[sample].id, template, out / f"{name}{ext}")
                save(result.path, name)
            kit = make_kit(desk, out / "kit.pdf", items=["05", "06", "07"])
            save(kit.path, "emergency-kit.png")
        env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
        batch = out / "batch-labels.pdf"
        command = ["qrpay", "batch", str(BATCH_LIST), "--template", "labels-a4", "-o", str(batch)]
        subprocess.run(command, env=env, check=True, capture_output=True)
        save(batch, "batch-labels-a4.png", top_share=0.4)
        sample_home = Path(scratch) / "sample-home"
        Keyring.init(sample_home / "keyring.json")
        with Qrpay(Settings.load(home=sample_home, base_url=DEFAULT_BASE_URL)) as sample:
            code = sample.mint_scene("09", "3 号窗口")[0]
            save(sample.render(code.id, "poster-a4", out / "sample.pdf").path, "sample-poster-a4.png")
    return 0


def save(rendered: Path, name: str, *, top_share: float = 1.0) -> None:
    thumbnail(rendered, IMAGES / name, top_share=top_share)
    print(f"{IMAGES / name}  ({(IMAGES / name).stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
