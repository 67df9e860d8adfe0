"""Build the two fonts qrpay prints with from Debian's Noto Sans CJK SC (OFL-1.1), reproducibly.

reportlab embeds only TrueType outlines, and Noto Sans CJK ships as CFF: this script takes the
Simplified Chinese face of Debian's ``fonts-noto-cjk`` (Regular and Bold), keeps every character
of GBK plus the punctuation and Latin a poster may need, converts the cubic CFF outlines to
quadratic TrueType ones (fontTools' cu2qu, as its otf2ttf snippet does), drops the layout and
hinting tables reportlab never reads, and writes ``NotoSansSC-qrpay-Regular.ttf`` and
``-Bold.ttf`` beside this file, with the licence as ``OFL.txt``.

    apt-get install fonts-noto-cjk        # 1:20220127+repack1-1 (Debian 12) was used
    pip install 'fonttools>=4.40'
    python qrpay/fonts/build.py

The same inputs give the same bytes (timestamps are fixed). Not needed to install or test qrpay.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE = Path("/usr/share/fonts/opentype/noto")
COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FACE = "Noto Sans CJK SC"
WEIGHTS = ("Regular", "Bold")
HERE = Path(__file__).resolve().parent
MAX_ERR = 1.0  # font units (of 1000 per em) a quadratic curve may stray from the cubic one
FIXED_TIME = 0x7C259DC0  # 2000-01-01 in seconds since 1904, so the same inputs give the same bytes


def characters() -> set[int]:
    """Every character of GBK, the ASCII and Latin-1 a poster may carry, and general punctuation."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000 or 0xE000 <= code < 0xF900:  # surrogates and private use
            continue
        try:
            chr(code).encode("gbk")
        except UnicodeEncodeError:
            continue
        chars.add(code)
    return chars


def _face(weight: str) -> TTFont:
    collection = TTCollection(str(SOURCE / f"NotoSansCJK-{weight}.ttc"), lazy=False)
    for font in collection.fonts:
        if font["name"].getDebugName(1) == FACE:
            return font
    raise SystemExit(f"no face {FACE!r} in NotoSansCJK-{weight}.ttc")


def _subset(font: TTFont, chars: set[int]) -> None:
    options = subset.Options()
    options.layout_features = []  # reportlab draws by cmap alone
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x409]
    options.notdef_outline = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines with quadratic glyf ones (fontTools Snippets/otf2ttf.py)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in [
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ]:
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    maxp.maxComponentElements = max((len(g.components) for g in glyphs.values() if hasattr(g, "components")), default=0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    head = font["head"]
    head.glyphDataFormat, head.indexToLocFormat = 0, 1
    head.created = head.modified = FIXED_TIME
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font: TTFont, weight: str) -> None:
    """Say in the name table what this file is: a subset in TrueType outlines, built for qrpay."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    name.setName(f"{version}; GBK subset, TrueType outlines (qrpay/fonts/build.py)", 5, 3, 1, 0x409)
    name.setName(f"NotoSansSC-qrpay-{weight}", 6, 3, 1, 0x409)


def build(weight: str, chars: set[int]) -> Path:
    font = _face(weight)
    _subset(font, chars)
    _to_truetype(font)
    _rename(font, weight)
    out = HERE / f"NotoSansSC-qrpay-{weight}.ttf"
    font.recalcTimestamp = False  # keep head.modified at FIXED_TIME, not the time of the build
    font.save(str(out), reorderTables=True)
    return out


def licence() -> str:
    """The SIL OFL 1.1 text as Debian ships it for these fonts, with the fonts' own copyright line."""
    text = COPYRIGHT.read_text("utf-8")
    body = text.split("License: SIL-1.1\n", 2)[2].split("\nLicense:", 1)[0]
    lines = [re.sub(r"^ \.?$", "", line)[1:] if line.startswith(" ") else line for line in body.splitlines()]
    font = _face("Regular")["name"].getDebugName(0)
    return (
        f"{font}\n\nThis Font Software is licensed under the SIL Open Font License, Version 1.1.\n\n"
        + "\n".join(lines).strip()
        + "\n"
    )


def main() -> None:
    chars = characters()
    for weight in WEIGHTS:
        out = build(weight, chars)
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
        print(f"{out.name}: {out.stat().st_size:,} bytes, sha256 {digest}…", file=sys.stderr)
    (HERE / "OFL.txt").write_text(licence(), "utf-8")


if __name__ == "__main__":
    main()
