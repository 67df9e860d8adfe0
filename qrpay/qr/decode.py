"""Reading QR codes back out of files: PNG/JPEG photos and scans, and PDFs.

zxing-cpp does the decoding; PDFs are rasterised with pypdfium2. The render self-check reads
exactly what was written (:func:`decode_image`); ``qrpay verify FILE`` and ``qrpay audit``
read photos, which are dim, soft, skewed and noisy, so :func:`read_file` retries an image
that yields nothing with cleaned-up variants of it (:func:`decode_photo`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from PIL.Image import Image

PDF_DPI = 200
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
#: The files photos and scans of posters come in.
PHOTO_SUFFIXES = frozenset(IMAGE_SUFFIXES | {".pdf"})
#: Below this many pixels on the longer side a photo is also tried at twice its size (far-away codes).
SMALL_SIDE_PX = 1600
#: Bounds on what a file may make qrpay allocate: bytes read, and pixels of one image or of one
#: rasterised PDF page (an A4 page at 1,100 dpi; a greyscale page this size takes 120 MB).
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_PIXELS = 120_000_000


class TooLarge(InputError):
    """An image or PDF page with more pixels than qrpay reads."""


def _check_pixels(width: float, height: float, what: str) -> None:
    if width * height > MAX_PIXELS:
        raise TooLarge(
            f"{what} would be {width:,.0f} x {height:,.0f} pixels, over the {MAX_PIXELS:,} qrpay reads safely; "
            "use a smaller copy"
        )


def decode_image(image: Image) -> list[str]:
    """Texts of every QR code zxing-cpp finds in a PIL image."""
    import zxingcpp

    return [
        result.text
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    ]


def _variants(grey: Image) -> Iterator[Image]:
    """Cleaned-up versions of a greyscale photo, cheapest first, each made only when asked for."""
    from PIL import Image, ImageFilter, ImageOps

    stretched = ImageOps.autocontrast(grey, cutoff=1)  # grey on grey: below zxing's minimum contrast
    yield stretched
    for factor in (2, 4):  # blur and noise shrink with the picture; big photos decode faster
        if min(stretched.size) >= 300 * factor:
            yield stretched.reduce(factor)
    yield stretched.filter(ImageFilter.UnsharpMask(radius=3, percent=250, threshold=0))  # soft focus
    yield stretched.filter(ImageFilter.GaussianBlur(1.5))  # JPEG blocks, sensor noise, print halftone
    if max(grey.size) <= SMALL_SIDE_PX:
        yield grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.BICUBIC)


def decode_photo(image: Image) -> list[str]:
    """Texts of every QR code in a photo or scan: the image as it is, then, only if that finds
    nothing, its cleaned-up variants until one reads."""
    grey = image.convert("L")
    found = decode_image(grey)
    for variant in _variants(grey) if not found else ():
        found = decode_image(variant)
        if found:
            break
    return found


def pdf_pages(source: Path | bytes, dpi: float = PDF_DPI) -> Iterator[Image]:
    """Each page of a PDF (a path, or the file's bytes) as a greyscale PIL image."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(source if isinstance(source, bytes) else str(source))
    except pypdfium2.PdfiumError as exc:
        name = "the PDF" if isinstance(source, bytes) else source
        raise InputError(f"{name} is not a readable PDF ({exc})") from None
    try:
        for number, page in enumerate(document, 1):
            width, height = page.get_size()  # points; checked before a pixel is allocated
            name = "the PDF" if isinstance(source, bytes) else source
            _check_pixels(width * dpi / 72, height * dpi / 72, f"{name}, page {number}, at {dpi:.0f} dpi,")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            yield bitmap.to_pil()
            page.close()
    finally:
        document.close()


def read_pdf_pages(source: Path | bytes, dpi: float = PDF_DPI) -> list[list[str]]:
    """The QR payloads on each page of a PDF, page by page."""
    return [decode_image(page) for page in pdf_pages(source, dpi)]


def read_image_bytes(data: bytes, decode: Callable[[Image], list[str]] = decode_image) -> list[str]:
    """Every QR payload in an encoded image (PNG, JPEG, ...), read by *decode*."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_pixels(image.width, image.height, "the image")  # from its header, before decoding
            image.load()
            return decode(image.convert("L"))
    except (UnidentifiedImageError, OSError):
        raise InputError("the data is not an image qrpay can read") from None


def read_file(path: Path, dpi: float = PDF_DPI) -> list[str]:
    """Every QR payload in a photo, scan or PDF file, in page order; each page or image that
    reads nothing as it is gets the photo retries of :func:`decode_photo`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path} is over {MAX_FILE_BYTES // 2**20} MiB; use a smaller copy of the photo or scan")
    if data.startswith(b"%PDF-"):
        return [text for page in pdf_pages(path, dpi) for text in decode_photo(page)]
    from PIL import Image

    try:
        return read_image_bytes(data, decode_photo)
    except TooLarge as exc:
        raise InputError(f"{path}: {exc}") from None
    except InputError:
        raise InputError(f"{path} is neither an image nor a PDF qrpay can read") from None
    except Image.DecompressionBombError:
        raise InputError(f"{path} has too many pixels to read safely; use a smaller copy of the photo") from None
