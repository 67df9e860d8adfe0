"""The optional centre emblem: a small image checked, flattened onto white and kept in memory."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    import PIL.Image

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE_PX = 4096
MAX_ASPECT = 4.0  # a long strip would shrink to a sliver in the centre of the code
EMBED_SIDE_PX = 512  # emblems are scaled to at most this, enough for a 20 mm square at 600 dpi


@dataclass(frozen=True)
class Emblem:
    source: Path
    image: PIL.Image.Image  # RGB, flattened onto white
    png: bytes  # the same image as PNG, for embedding

    @property
    def aspect(self) -> float:
        width, height = self.image.size
        return width / height


def fit_box(aspect: float, side: float) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of an image of *aspect* centred in a square of *side*."""
    width, height = (side, side / aspect) if aspect >= 1 else (side * aspect, side)
    return (side - width) / 2, (side - height) / 2, width, height


def load_emblem(path: Path | str) -> Emblem:
    """Read an emblem image, refusing anything that is not a reasonably small picture."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"emblem {path} is not a file; give a PNG or JPEG image")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            f"emblem {path} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB, use a smaller image"
        )
    try:
        with Image.open(path) as image:
            if max(image.size) > MAX_SIDE_PX:
                raise InputError(
                    f"emblem {path} is {image.size[0]} x {image.size[1]} pixels; the limit is {MAX_SIDE_PX} per side"
                )
            width, height = image.size
            if not width or not height or max(width, height) > MAX_ASPECT * min(width, height):
                raise InputError(
                    f"emblem {path} is {width} x {height} pixels; its sides may differ at most {MAX_ASPECT:g} times"
                )
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InputError(f"emblem {path} is not an image qrpay can read; give a PNG or JPEG file") from None
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    flat.thumbnail((EMBED_SIDE_PX, EMBED_SIDE_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    flat.save(buffer, format="PNG")
    return Emblem(source=path, image=flat, png=buffer.getvalue())
