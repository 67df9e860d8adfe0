"""The main job in one command: mint the city's sample codes and render every template.

Idempotent like minting itself: running it again gives back the same codes and rewrites the
same files in the folder the user chose for output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .api import Qrpay
from .fileio import check_writable_folder
from .render import Rendered

#: (which sample code, template, file extension) for every file the demo writes.
JOBS = (
    ("traffic-fine", "poster-a4", ".pdf"),
    ("traffic-fine", "tent-a6", ".pdf"),
    ("education", "poster-a4", ".pdf"),
    ("scene", "poster-a4", ".pdf"),
    ("scene", "tent-a6", ".pdf"),
    ("scene", "labels-a4", ".pdf"),
    ("open", "emergency-a4", ".pdf"),
    ("scene", "web", ".png"),
    ("scene", "web", ".svg"),
    ("scene", "web", ".html"),
)


@dataclass(frozen=True)
class Demo:
    keyring_created: Path | None  # the keyring made for the demo, if there was none
    files: list[Rendered]


def run_demo(qrpay: Qrpay, directory: Path | str = "output") -> Demo:
    """Mint the unified, a scene (item 09, "window 3") and an open (item 06) code; render them all."""
    directory = check_writable_folder(Path(directory))  # before anything is minted
    created = None
    if not qrpay.settings.keyring_path.exists():
        created = qrpay.init_keyring().path
    codes = {
        "traffic-fine": qrpay.mint_unified("traffic-fine")[0],
        "education": qrpay.mint_unified("education")[0],
        "scene": qrpay.mint_scene("09", "window 3")[0],
        "open": qrpay.mint_open("06")[0],
    }
    files = [
        qrpay.render(codes[sample].id, template, directory / f"{codes[sample].id}-{template}{ext}")
        for sample, template, ext in JOBS
    ]
    return Demo(created, files)
