"""Emergency kits, printed before an outage: a cover page listing every open code and payment
code, then for each emergency-eligible item its ``emergency-a4`` poster and a staff log sheet.

The posters are drawn by the render layer (the same template ``qrpay render`` uses); the cover
and log sheets (:mod:`qrpay.render.kitpages`) have no QR code, so nobody scans the wrong page.
A kit's codes are valid for :data:`DEFAULT_DAYS` days from today unless told otherwise: an
emergency code printed and forgotten must not take payments for ever. The parts are joined into one
PDF, read back with a real decoder (every poster must read as its payload, every other page as
nothing) and only then renamed into place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..api import Qrpay
from ..codes.record import Code
from ..errors import InputError
from ..fileio import atomic_path, check_writable_target
from ..render import check
from ..render.fonts import load_font
from ..render.kitpages import cover, sheet
from ..render.model import Options
from ..render.pdf import write_pdf
from ..render.pdfjoin import join
from ..render.templates import load_template

TEMPLATE = "emergency-a4"
RENDER_NAME = "emergency-kit"  # how the kit appears among a code's renders ('qrpay show')
DEFAULT_DAYS = 30  # a kit's codes are valid from today for this many days unless told otherwise


@dataclass(frozen=True)
class Kit:
    """A kit written and read back: where, which codes, how many pages, its digest."""

    path: Path
    codes: tuple[Code, ...]
    minted: tuple[str, ...]  # ids of the codes minted for this kit; the others were reused
    pages: int
    sha256: str

    def to_dict(self) -> dict:
        codes = [
            {
                "id": code.id,
                "item": f"{code.number:02d}",
                "payload": code.payload,
                "payment_code": code.payment_code,
                "valid_from": window["valid_from"],
                "valid_until": window["valid_until"],
                "new": code.id in self.minted,
            }
            for code in self.codes
            for window in [code.to_dict()]
        ]
        return {
            "path": str(self.path),
            "pages": self.pages,
            "sha256": self.sha256,
            "self_check": "passed",
            "codes": codes,
        }


def make_kit(
    qrpay: Qrpay,
    path: Path | str | None = None,
    *,
    items: Sequence[str] | None = None,
    valid_from: str | None = None,
    valid_until: str | None = None,
    font: Path | str | None = None,
) -> Kit:
    """Mint (or reuse) the open code of each item and write the kit PDF to *path*.

    Without *valid_from* and *valid_until* the codes are valid from today for
    :data:`DEFAULT_DAYS` days (today included).
    Without *path* the kit goes to ``output/emergency-kit-<today>.pdf``; a file already there
    is replaced only if qrpay wrote it as a kit.
    """
    path = (
        check_writable_target(Path(path), example="emergency-kit.pdf") if path is not None else _default_output(qrpay)
    )
    if path.suffix.lower() != ".pdf":
        raise InputError(f"a kit is a PDF; name the output file .pdf, got {path.name!r}")
    template = load_template(TEMPLATE, qrpay.settings.user_templates_dir)
    face = load_font(font or qrpay.settings.font)
    valid_from, valid_until = default_window(qrpay.today(), valid_from, valid_until)
    minted = [qrpay.mint_open(item, valid_from, valid_until) for item in _items(qrpay, items)]
    codes = [code for code, _ in minted]
    views = [qrpay.view(code) for code in codes]
    values = template.values
    title = f"应急缴款包 {valid_from or ''}–{valid_until or ''}".strip("– ")
    parts = [cover(views, values, face, title)]
    expected: list[list[str]] = [[]]  # the cover holds no code
    dpi: float = check.MIN_DPI
    for index, view in enumerate(views):
        drawn = write_pdf(template, [view], Options(font=face))
        parts += [drawn.data, sheet(view, values, face, poster_page=2 + 2 * index)]
        expected += [*drawn.pages, []]
        dpi = max(dpi, drawn.check_dpi)
    with atomic_path(path) as tmp:
        join(parts, tmp)
        data = tmp.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        check.run(check.read_pdf, data, dpi, expected, path.name)
        qrpay.record_renders(RENDER_NAME, [(code, path, sha256) for code in codes])
    return Kit(path, tuple(codes), tuple(code.id for code, new in minted if new), len(expected), sha256)


def default_window(today: date, valid_from: str | None, valid_until: str | None) -> tuple[str | None, str | None]:
    """The kit's validity: as given, or, when neither end is given, today and DEFAULT_DAYS - 1 days on."""
    if valid_from is None and valid_until is None:
        return today.isoformat(), (today + timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    return valid_from, valid_until


def _items(qrpay: Qrpay, items: Sequence[str] | None) -> list[str]:
    """The item codes of the kit, all checked before anything is minted."""
    if not items:
        eligible = [item.code for item in qrpay.catalog.emergency_items()]
        if not eligible:
            raise InputError("no catalog item is emergency-eligible; mark items emergency = true in the catalog")
        return eligible
    chosen = [qrpay.catalog.item(item) for item in items]
    refused = [item.code for item in chosen if not item.emergency]
    if refused:
        names = ", ".join(item.code for item in qrpay.catalog.emergency_items())
        raise InputError(
            f"item(s) {', '.join(refused)} are not emergency-eligible; a kit holds open codes for "
            f"items marked emergency = true in the catalog (now: {names})"
        )
    return list(dict.fromkeys(item.code for item in chosen))


def _default_output(qrpay: Qrpay) -> Path:
    path = Path("output") / f"emergency-kit-{qrpay.today()}.pdf"
    ours = {
        render["path"]
        for code in qrpay.list_codes(kind="open")
        for render in qrpay.renders(code)
        if render["template"] == RENDER_NAME
    }
    if path.exists() and str(path.resolve()) not in ours:
        raise InputError(f"{path} exists and qrpay did not write it as a kit; name the output with -o to replace it")
    return check_writable_target(path)
