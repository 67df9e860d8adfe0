"""Joining drawn PDFs into one file with pdfium, the same bytes for the same pages.

The one join of qrpay (kits, batch sheets): the first part is the document the others' pages
are added to, so its title, its producer (qrpay) and its viewer preference to print at actual
size carry over to the joined file. pdfium stamps a joined file with the time and a random file
id; :func:`settle` replaces both with values the content decides, so a kit or a batch sheet is
reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from ..errors import RenderError


def join(parts: Iterable[bytes], path: Path) -> None:
    """Write the pages of every PDF in *parts*, in order, as one settled PDF at *path*.

    *parts* may be a generator: each part is taken only when the one before it is joined.
    The first part's document information and catalog (title, producer, viewer preferences)
    are the joined file's.
    """
    import pypdfium2

    parts = iter(parts)
    first = next(parts, None)
    if first is None:
        raise RenderError(f"nothing to join into {Path(path).name}; nothing was written")
    joined = pypdfium2.PdfDocument(first)
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


_PRODUCER = b"/Producer(PDFium)"
_OURS = b"/Producer(qrpay) "  # the same length, so no offset moves
_CREATED = re.compile(rb"/CreationDate\(D:(\d{14})")
_FILE_ID = re.compile(rb"/ID\[<([0-9A-Fa-f]+)><([0-9A-Fa-f]+)>\]")
_TAIL = 1024  # pdfium's trailer, with the file id, is in the last few hundred bytes
_BLOCK = 1 << 20


def _document_information(handle: BinaryIO) -> None:
    """Put qrpay back as the producer pdfium wrote over, and a fixed creation date if pdfium
    stamped the time; the document information sits among the first part's objects."""
    handle.seek(0)
    carried, start, producer, created = b"", 0, False, False
    while not (producer and created) and (block := handle.read(_BLOCK)):
        window = carried + block
        at = start - len(carried)
        if not producer and (found := window.find(_PRODUCER)) >= 0:
            _patch(handle, at + found, _OURS)
            producer = True
        if not created and (stamp := _CREATED.search(window)):
            _patch(handle, at + stamp.start(1), b"20000101000000")
            created = True
        start += len(block)
        carried = window[-64:]
        handle.seek(start)


def _patch(handle: BinaryIO, offset: int, data: bytes) -> None:
    here = handle.tell()
    handle.seek(offset)
    handle.write(data)
    handle.seek(here)


def settle(path: Path) -> None:
    """pdfium stamps a joined file as its own, with the time and a random file id: replace them,
    byte for byte the same length (so no offset moves), with qrpay and values the content
    decides. The same codes then give the same file."""
    with path.open("r+b") as handle:
        _document_information(handle)
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
