"""Print templates for thousands of codes: one PDF, drawn on every core, every page read back.

The codes are cut into chunks of whole pages; worker processes draw the chunks with the PDF
writer, and :func:`.pdfjoin.join` joins them, in order, into one file, so the main process
holds only finished, compressed pages. The workers then rasterise every page of the joined file
at the lowest resolution that reads every code (a page that does not read is tried again at
the writer's own, higher resolution) before the file is renamed into place.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sized
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, RenderError
from ..fileio import atomic_path, check_writable_target
from ..qr.decode import decode_image
from . import FORMATS, Rendered, check, pool
from .fonts import load_font
from .layout import Template
from .model import CodeView, Drawn
from .pdf import PX_PER_MODULE_CHECK
from .pdfjoin import join
from .units import mm_to_pt

if TYPE_CHECKING:
    from pypdfium2 import PdfPage

CHUNK_CODES = 120  # codes per drawing task: each chunk embeds its own font subset, so not too few
CHECK_PX_PER_MODULE = 2.5  # the first read-back's resolution; zxing-cpp reads QR codes from 1.5 px up

Box = tuple[float, float, float, float]  # left, bottom, right, top

#: Told how far a run is: (stage, done, total), stage "drawing" (codes) or "checking" (pages).
Progress = Callable[[str, int, int], None]


def _draw(views: list[CodeView]) -> Drawn:
    """One chunk of pages as a PDF, with the payloads of each page."""
    return FORMATS[("pdf", ".pdf")].write(pool.current_job().template, views, pool.options())


def _read(
    path: str, pages: range, expected: list[list[str]], low_dpi: float, high_dpi: float, quiet_mm: list[float]
) -> list[list[str]]:
    """The payloads read from *pages* of the PDF at *path*; a page that does not read as expected
    at *low_dpi* is read again at *high_dpi*.

    Text wholly outside every symbol and its quiet zone (*quiet_mm* wide on each page) is left
    out of the raster: it cannot change what a code reads as, and outlined bold glyphs are most
    of pdfium's work. Text that touches a quiet zone is drawn, and may well spoil the read.
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    read = []
    try:
        for index, want, quiet in zip(pages, expected, quiet_mm):
            page = document[index]
            _leave_out_text_outside(page, clear_boxes(pool.current_job().template, quiet))
            found = decode_image(page.render(scale=low_dpi / 72, grayscale=True).to_pil())
            if Counter(found) != Counter(want):
                found = decode_image(page.render(scale=high_dpi / 72, grayscale=True).to_pil())
            read.append(found)
            page.close()
    finally:
        document.close()
    return read


def _leave_out_text_outside(page: PdfPage, clear: list[Box]) -> None:
    """Remove from the loaded *page* (not the file) each text object that touches no *clear* box.

    pdfium's raw calls: the object wrappers of pypdfium2 cost three times as much here.
    """
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for index in reversed(range(pdfium_c.FPDFPage_CountObjects(page.raw))):
        item = pdfium_c.FPDFPage_GetObject(page.raw, index)
        if pdfium_c.FPDFPageObj_GetType(item) != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        pdfium_c.FPDFPageObj_GetBounds(item, left, bottom, right, top)
        if not any(
            left.value < x1 and right.value > x0 and bottom.value < y1 and top.value > y0 for x0, y0, x1, y1 in clear
        ):
            pdfium_c.FPDFPage_RemoveObject(page.raw, item)
            pdfium_c.FPDFPageObj_Destroy(item)


def clear_boxes(template: Template, quiet_mm: float) -> list[Box]:
    """Where each symbol and its quiet zone sit on a page, in PDF points from the bottom left
    (the places the drawing turns by 180 degrees turned too)."""
    spec, height = template.qr, mm_to_pt(template.page_height)
    boxes = []
    for where in template.places:
        left, top = spec.x - quiet_mm, spec.y - quiet_mm
        right, bottom = spec.x + spec.size + quiet_mm, spec.y + spec.size + quiet_mm
        if where.rotate == 180:
            left, right = template.cell_width - right, template.cell_width - left
            top, bottom = template.cell_height - bottom, template.cell_height - top
        boxes.append(
            (
                mm_to_pt(where.x + left),
                height - mm_to_pt(where.y + bottom),
                mm_to_pt(where.x + right),
                height - mm_to_pt(where.y + top),
            )
        )
    return boxes


def _codes_per_page(template: Template) -> int:
    return template.cells_per_page if template.fill == "each" else 1


def _chunk_size(template: Template) -> int:
    """Whole pages, about CHUNK_CODES codes, per chunk; the same however many workers draw them,
    since each chunk embeds its own font subset and the file must not depend on the machine."""
    per_page = _codes_per_page(template)
    return per_page * max(1, CHUNK_CODES // per_page)


def _sha256(path: Path) -> tuple[str, int]:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def count_of(views: Iterable[CodeView], count: int | None) -> int:
    """*count*, or when it is None the length of *views*, which must then have one."""
    if count is not None:
        return count
    if not isinstance(views, Sized):
        raise TypeError("views is an iterator: say how many codes it holds with count=")
    return len(views)


def render_sheets(
    template: Template,
    views: Iterable[CodeView],
    path: Path | str,
    *,
    count: int | None = None,
    font: Path | None = None,
    check_codes: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    record: Callable[[Rendered], None] | None = None,
) -> Rendered:
    """Draw *views* with the print *template* into one PDF at *path*, on *workers* processes.

    *views* may be an iterator, taken from only as drawing proceeds; *count* says how many it
    holds (default: its length). Every page is read back unless *check_codes* is false.
    *record* is called with the result before the file is renamed into place; on any failure
    or interrupt nothing is left behind.
    """
    path = check_writable_target(Path(path))
    if template.format != "pdf":
        raise InputError(f"template {template.name} makes images, not pages; give a folder for them")
    if path.suffix.lower() != ".pdf":
        raise InputError(f"template {template.name} writes PDF files; name the output .pdf, got {path.name!r}")
    total = count_of(views, count)
    if not total:
        raise RenderError(f"nothing to render: no codes were given for template {template.name}")
    load_font(font)  # loaded once here, before the workers fork
    tell = progress or (lambda stage, done, total: None)
    per_chunk = _chunk_size(template)
    running = pool.Pool(
        pool.Job(template, font, ".pdf", check_codes), min(-(-total // per_chunk), workers or pool.workers_available())
    )
    try:
        with atomic_path(path) as tmp:
            ids, expected, high_dpi, quiet_mm = _draw_all(running, pool.batches(views, per_chunk), tmp, tell, total)
            step = per_chunk // _codes_per_page(template)
            decoded = _read_back(running, tmp, expected, high_dpi, quiet_mm, step, tell) if check_codes else []
            sha256, size = _sha256(tmp)
            result = Rendered(
                path=path,
                template=template.name,
                ids=tuple(ids),
                sha256=sha256,
                size=size,
                pages=len(expected),
                decoded=tuple(decoded),
            )
            if record is not None:
                record(result)
    finally:
        running.close()
    return result


def _draw_all(
    workers: pool.Pool, chunks: Iterator[list[CodeView]], tmp: Path, tell: Progress, total: int
) -> tuple[list[str], list[list[str]], float, list[float]]:
    """Draw the chunks and join them into the PDF at *tmp*; the ids drawn, the payloads of each
    page, the highest read-back resolution any chunk asked for, and each page's widest quiet
    zone (mm)."""
    ids: list[str] = []
    sizes: deque[int] = deque()  # codes in each chunk handed out and not yet joined
    expected: list[list[str]] = []
    modules: list[float] = []
    high_dpi, done = 0.0, 0

    def tasks() -> Iterator[tuple[list[CodeView]]]:
        for chunk in chunks:
            ids.extend(view.id for view in chunk)
            sizes.append(len(chunk))
            yield (chunk,)

    def parts() -> Iterator[bytes]:
        nonlocal high_dpi, done
        for drawn in workers.ordered(_draw, tasks()):
            expected.extend(drawn.pages)
            modules.extend(drawn.page_modules)
            high_dpi = max(high_dpi, drawn.check_dpi)
            done += sizes.popleft()
            tell("drawing", done, total)
            yield drawn.data

    join(parts(), tmp)
    return ids, expected, high_dpi, [module * workers.job.template.qr.quiet_zone for module in modules]


def _read_back(
    workers: pool.Pool,
    tmp: Path,
    expected: list[list[str]],
    high_dpi: float,
    quiet_mm: list[float],
    step: int,
    tell: Progress,
) -> list[str]:
    """Every payload read from the joined file, page by page, *step* pages a task (a drawn chunk,
    so each task loads one chunk's font); RenderError unless each page reads as exactly its codes."""
    high_dpi = min(check.MAX_DPI, max(check.MIN_DPI, high_dpi))
    low_dpi = high_dpi * CHECK_PX_PER_MODULE / PX_PER_MODULE_CHECK
    ranges = [range(start, min(start + step, len(expected))) for start in range(0, len(expected), step)]
    tasks = (
        (str(tmp), pages, expected[pages.start : pages.stop], low_dpi, high_dpi, quiet_mm[pages.start : pages.stop])
        for pages in ranges
    )
    decoded: list[str] = []
    for pages, read in zip(ranges, workers.ordered(_read, tasks)):
        check.compare(expected[pages.start : pages.stop], read, tmp.name, first_page=pages.start + 1)
        decoded += [text for page in read for text in page]
        tell("checking", pages.stop, len(expected))
    return decoded
