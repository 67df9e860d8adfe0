"""From a code view to the symbol a template draws: encoding, module-size check, dark runs, knockout."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import RenderError
from ..qr.encode import Symbol, encode
from .layout import BILL
from .model import CodeView
from .templates import Template

_DARK_RUN = re.compile(b"\x01+")
EMBLEM_ERROR = "H"  # an emblem hides modules; level H restores up to 30 % of the codewords


@dataclass(frozen=True)
class Placed:
    """A symbol ready to draw, with the size of one module and the emblem knockout (0 for none)."""

    symbol: Symbol
    module_mm: float
    knockout: int  # modules per side of the white square under the emblem
    quiet_zone: int

    @property
    def size(self) -> int:
        return self.symbol.size

    @property
    def total(self) -> int:
        """Modules per side including the quiet zone."""
        return self.symbol.size + 2 * self.quiet_zone

    @property
    def knockout_start(self) -> int:
        return (self.symbol.size - self.knockout) // 2


def knockout_modules(size: int, max_area: float) -> int:
    """The largest centred square (odd, so it sits on the middle module) covering at most *max_area*."""
    side = math.isqrt(int(max_area * size * size))
    return side if side % 2 == size % 2 else side - 1


def place(template: Template, view: CodeView, module_mm: float | None = None, *, emblem: bool = False) -> Placed:
    """Encode *view* for *template*, refusing codes the template cannot print large enough.

    *module_mm* is given for web images (fixed pixels per module); for print templates the
    module is the template's symbol size divided by the modules per side.
    """
    if view.kind not in template.kinds:
        raise RenderError(
            f"template {template.name} is for {' / '.join(template.kinds)} codes; {view.id} is a {view.kind} code"
            + _other_template(template, view)
        )
    spec = template.qr
    symbol = encode(view.payload, error=EMBLEM_ERROR if emblem else spec.error)
    if module_mm is None:
        module_mm = spec.size / symbol.size
    if module_mm < spec.min_module - 1e-9:
        need = spec.min_module * symbol.size
        why = f"QR version {symbol.version}, level {symbol.error}{' for the emblem' if emblem else ''}"
        raise RenderError(
            f"template {template.name} would print {view.id} at {module_mm:.2f} mm per module "
            f"({symbol.size} modules, {why}), below its minimum of {spec.min_module:g} mm; "
            f"it needs a symbol of at least {need:.1f} mm (qr.size_mm, now {spec.size:g})"
            + ("; or leave out the emblem" if emblem else "")
        )
    knockout = knockout_modules(symbol.size, spec.emblem_max_area) if emblem else 0
    return Placed(symbol, module_mm, knockout, spec.quiet_zone)


def _other_template(template: Template, view: CodeView) -> str:
    """Where a code refused by *template* prints instead."""
    if view.kind == BILL:
        return "; print a bill with notice-a4 or slip-a5"
    if BILL in template.kinds:
        return "; a notice prints one bill (qrpay mint bill); print this code with poster-a4"
    return "; use poster-a4" if template.name == "emergency-a4" else ""


def dark_runs(symbol: Symbol) -> Iterator[tuple[int, int, int]]:
    """``(row, first column, length)`` of each horizontal run of dark modules."""
    for row, modules in enumerate(symbol.matrix):
        for run in _DARK_RUN.finditer(modules):
            yield row, run.start(), run.end() - run.start()
