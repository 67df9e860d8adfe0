"""The fonts Chinese text is drawn with: TrueType CJK fonts, embedded as subsets in every PDF.

The default is Noto Sans CJK SC in its real Regular and Bold weights (SIL OFL 1.1), shipped in
``qrpay/fonts/`` as GBK subsets with TrueType outlines, built by ``qrpay/fonts/build.py``.
reportlab embeds only TrueType outlines, so CFF-based OpenType fonts are refused with a sentence.
A font given with ``--font`` draws bold text in its own weight: qrpay never fakes a bold.
Every character is checked against the font before drawing: a missing glyph would otherwise
print as an empty box on a poster nobody proofreads.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import InputError, RenderError

DEFAULT_FONT_FILES = {False: "fonts/NotoSansSC-qrpay-Regular.ttf", True: "fonts/NotoSansSC-qrpay-Bold.ttf"}


def default_font_path(bold: bool = False) -> Path:
    return Path(str(resources.files("qrpay").joinpath(DEFAULT_FONT_FILES[bold])))


@dataclass(frozen=True, eq=False)
class Font:
    """A registered reportlab font and the characters it can draw."""

    name: str  # the name reportlab knows it by
    family: str
    path: Path
    chars: frozenset[int]
    bold: Font | None = None  # the same family's bold weight, if there is one

    def weight(self, bold: bool) -> Font:
        """The face to draw with: the bold weight when asked for and there is one."""
        return self.bold if bold and self.bold is not None else self

    def width_pt(self, text: str, size_pt: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(text, self.name, size_pt)

    def missing(self, text: str) -> list[str]:
        """Characters of *text* this font has no glyph for (whitespace needs none)."""
        return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in self.chars})

    def check(self, text: str, where: str) -> None:
        missing = self.missing(text)
        if missing:
            listed = ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in missing)
            raise RenderError(
                f"font {self.family} ({self.path.name}) has no glyph for {listed} in {where}; "
                "give a TrueType font that has them with --font PATH"
            )


def load_font(path: Path | str | None = None) -> Font:
    """The font at *path* (a .ttf, or the first face of a .ttc), or the default CJK font with its bold."""
    if not path:
        return dataclasses.replace(_open(default_font_path()), bold=_open(default_font_path(bold=True)))
    return _open(Path(path).expanduser())


def _open(font_path: Path) -> Font:
    if not font_path.is_file():
        raise InputError(f"font {font_path} is not a file; give a TrueType .ttf or .ttc font")
    stat = font_path.stat()
    return _load(str(font_path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> Font:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = "qrpay-" + hashlib.sha256(f"{path}:{mtime_ns}:{size}".encode()).hexdigest()[:12]
    try:
        ttf = TTFont(name, path, subfontIndex=0)
    except TTFError as exc:
        raise InputError(f"font {path} cannot be embedded ({exc}); give a TrueType-outline .ttf or .ttc font") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"font {path} is not a readable TrueType font ({exc})") from None
    pdfmetrics.registerFont(ttf)
    family = ttf.face.familyName
    family = family.decode("utf-8", "replace") if isinstance(family, bytes) else str(family)
    return Font(name=name, family=family, path=Path(path), chars=frozenset(ttf.face.charToGlyph))
