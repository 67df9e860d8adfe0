"""Render every template for sample codes and save small PNG previews to docs/img/ for the guides.

    python docs/make_previews.py

Works in a throw-away qrpay home (its own keyring and register), so it never touches yours.
The previews show real, scannable layouts, but their codes are signed by a key that is thrown
away afterwards.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image

from qrpay import Qrpay, Settings
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
}


def thumbnail(rendered: Path, target: Path) -> None:
    """A small palette PNG of the first page of a PDF, or of an image."""
    if rendered.suffix == ".pdf":
        document = pypdfium2.PdfDocument(str(rendered))
        page = document[0]
        image = page.render(scale=WIDTH_PX / page.get_width()).to_pil()
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
            }
            for name, (sample, template, ext) in PREVIEWS.items():
                result = desk.render(codes[sample].id, template, out / f"{template}{ext}")
                thumbnail(result.path, IMAGES / name)
                print(f"{IMAGES / name}  ({(IMAGES / name).stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
