"""The main job in one command: mint the city's sample codes and render every template.

The samples live apart from the user's codes: in a sample home of their own beside the user's,
``<QRPAY_HOME>-sample`` (``~/.local/share/qrpay-sample`` by default; its own keyring and
register), never in ``QRPAY_HOME`` itself, and on the placeholder base URL, so every file prints with a large 样张
(SAMPLE) mark and no later real ``mint`` answers "Already minted" with a sample. Idempotent
like minting itself: running it again gives back the same codes and rewrites the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .api import Qrpay
from .config import DEFAULT_BASE_URL, Settings
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


SAMPLE_SUFFIX = "-sample"  # the sample home is the user's home with this added to its name


@dataclass(frozen=True)
class Demo:
    home: Path  # the sample home the codes were minted in
    keyring_created: Path | None  # the sample keyring, if this run made it
    files: list[Rendered]


def sample_settings(user: Settings) -> Settings:
    """The sample home's settings: its own folder, the placeholder base URL, the user's time zone and font."""
    home = user.home.expanduser().resolve()
    return Settings(
        home=home.with_name(home.name + SAMPLE_SUFFIX),
        base_url=DEFAULT_BASE_URL,
        timezone=user.timezone,
        font=user.font,
    )


def run_demo(qrpay: Qrpay, directory: Path | str = "output") -> Demo:
    """Mint the unified, a scene (item 09, "window 3") and an open (item 06) sample code in the
    sample home and render them all; *qrpay* (the user's) lends only its time zone and font."""
    directory = check_writable_folder(Path(directory))  # before anything is minted
    settings = sample_settings(qrpay.settings)
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    sample = Qrpay(settings)
    created = None if settings.keyring_path.exists() else sample.init_keyring().path
    try:
        return Demo(settings.home, created, _mint_and_render(sample, directory))
    finally:
        sample.close()


def _mint_and_render(qrpay: Qrpay, directory: Path) -> list[Rendered]:
    codes = {
        "traffic-fine": qrpay.mint_unified("traffic-fine")[0],
        "education": qrpay.mint_unified("education")[0],
        "scene": qrpay.mint_scene("09", "window 3")[0],
        "open": qrpay.mint_open("06")[0],
    }
    return [
        qrpay.render(codes[sample].id, template, directory / f"{codes[sample].id}-{template}{ext}")
        for sample, template, ext in JOBS
    ]
