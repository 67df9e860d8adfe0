"""Joining drawn PDFs into one file with pdfium, the same bytes for the same pages.

pdfium stamps a joined file with the time and a random file id; :func:`settle` replaces both
with values the content decides, so a kit or a batch sheet is reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import RenderError


def join(parts: Iterable[bytes], path: Path) -> None:
    """Write the pages of every PDF in *parts*, in order, as one settled PDF at *path*."""
    import pypdfium2

    joined = pypdfium2.PdfDocument.new()
    try:
        for data in parts:
            part = pypdfium2.PdfDocument(data)
            joined.import_pages(part)
            part.close()
        with Path(path).open("wb") as handle:
            joined.save(handle)
    finally:
        joined.close()
    settle(path)


_CREATED = re.compile(rb"/CreationDate\(D:(\d{14})")
_FILE_ID = re.compile(rb"/ID\[<([0-9A-Fa-f]+)><([0-9A-Fa-f]+)>\]")
_TAIL = 1024  # pdfium's trailer, with the file id, is in the last few hundred bytes
_HEAD = 1024  # and its document information, with the date, in the first few


def settle(path: Path) -> None:
    """pdfium stamps a joined file with the time and a random file id: replace both, byte for byte
    the same length (so no offset moves), with values the content decides. The same codes then
    give the same file."""
    with path.open("r+b") as handle:
        head = handle.read(_HEAD)
        created = _CREATED.search(head)
        if created:
            handle.seek(created.start(1))
            handle.write(b"20000101000000")
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _TAIL))
        tail = handle.read()
        found = _FILE_ID.search(tail)
        if found is None:
            raise RenderError(f"joining the pages of {path.name} gave a PDF without a file id; nothing was written")
        at = size - len(tail)
        handle.seek(0)
        digest = hashlib.md5(usedforsecurity=False)
        for block in iter(lambda: handle.read(min(1 << 20, at + found.start() - handle.tell())), b""):
            digest.update(block)  # everything up to the id itself
        file_id = digest.hexdigest().upper().encode()[: len(found.group(1))]
        for group in (1, 2):
            handle.seek(at + found.start(group))
            handle.write(file_id)
