"""Reading QR codes back out of files: PNG/JPEG photos and scans, and PDFs.

zxing-cpp does the decoding; PDFs are rasterised with pypdfium2. Used by the render
self-check and by ``qrpay verify FILE``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError

PDF_DPI = 200
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}


def decode_image(image: object) -> list[str]:
    """Texts of every QR code zxing-cpp finds in a PIL image."""
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def pdf_pages(source: Path | bytes, dpi: float = PDF_DPI, pages: range | None = None) -> Iterator[object]:
    """Each page of a PDF (a path, or the file's bytes), or those in *pages*, as a greyscale PIL image."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(source if isinstance(source, bytes) else str(source))
    except pypdfium2.PdfiumError as exc:
        name = "the PDF" if isinstance(source, bytes) else source
        raise InputError(f"{name} is not a readable PDF ({exc})") from None
    try:
        for index in pages if pages is not None else range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            yield bitmap.to_pil()
            page.close()
    finally:
        document.close()


def read_pdf_pages(source: Path | bytes, dpi: float = PDF_DPI, pages: range | None = None) -> list[list[str]]:
    """The QR payloads on each page of a PDF (or on those in *pages*), page by page."""
    return [decode_image(page) for page in pdf_pages(source, dpi, pages)]


def read_image_bytes(data: bytes) -> list[str]:
    """Every QR payload in an encoded image (PNG, JPEG, ...)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return decode_image(image.convert("L"))
    except (UnidentifiedImageError, OSError):
        raise InputError("the data is not an image qrpay can read") from None


def read_file(path: Path, dpi: float = PDF_DPI) -> list[str]:
    """Every QR payload in an image or PDF file, in page order."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"%PDF-":
        return [text for page in read_pdf_pages(path, dpi) for text in page]
    try:
        return read_image_bytes(path.read_bytes())
    except InputError:
        raise InputError(f"{path} is neither an image nor a PDF qrpay can read") from None
