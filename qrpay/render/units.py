"""Length units in one place: templates speak millimetres, PDFs points, images pixels."""

from __future__ import annotations

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0


def mm_to_pt(mm: float) -> float:
    return mm * PT_PER_INCH / MM_PER_INCH


def mm_to_px(mm: float, dpi: float) -> float:
    return mm * dpi / MM_PER_INCH


def px_to_mm(px: float, dpi: float) -> float:
    return px * MM_PER_INCH / dpi


def dpi_for(module_mm: float, px_per_module: float) -> float:
    """The resolution at which a module of *module_mm* is *px_per_module* pixels wide."""
    return px_per_module * MM_PER_INCH / module_mm
