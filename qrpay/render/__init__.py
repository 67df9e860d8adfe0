"""Rendering codes: print-ready PDFs and web images from declarative templates, self-checked.

The one entry point is :func:`render`: it picks the writer for the template and the output
file's extension from :data:`FORMATS`, draws, writes to a temporary file, reads that file back
with a real decoder, and only then renames it into place. This layer knows nothing of the
register or the API above it: callers hand it :class:`CodeView` values.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..fileio import atomic_file, check_writable_target
from . import check
from .emblem import load_emblem
from .fonts import load_font
from .model import CodeView, Drawn, Options
from .pdf import write_pdf
from .templates import Template, list_templates, load_template, template_names
from .web import write_html, write_png, write_svg

MAX_SCALE = 4


@dataclass(frozen=True)
class Format:
    write: Callable[[Template, Iterable[CodeView], Options], Drawn]
    read: Callable[[bytes, float], list[list[str]]]
    accepts: frozenset[str] = frozenset()  # options beyond font and emblem that make sense here
    needs_font: bool = False


#: (template format, file extension) -> how to write and read back that file.
FORMATS: dict[tuple[str, str], Format] = {
    ("pdf", ".pdf"): Format(write_pdf, check.read_pdf, needs_font=True),
    ("web", ".png"): Format(write_png, check.read_png, frozenset({"scale"})),
    ("web", ".svg"): Format(write_svg, check.read_svg),
    ("web", ".html"): Format(write_html, check.read_html, frozenset({"scale", "data_uri"})),
}


@dataclass(frozen=True)
class Rendered:
    """A file written and read back: where, what, its digest and what the self-check decoded."""

    path: Path
    template: str
    ids: tuple[str, ...]
    sha256: str
    size: int
    pages: int
    decoded: tuple[str, ...] = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "template": self.template,
            "id": self.ids[0] if len(self.ids) == 1 else None,
            "ids": list(self.ids),
            "sha256": self.sha256,
            "bytes": self.size,
            "pages": self.pages,
            "self_check": {
                "status": "passed",
                "codes_read": len(self.decoded),
                "decoded": list(dict.fromkeys(self.decoded)),
            },
        }


def extensions(template: Template) -> list[str]:
    return [ext for fmt, ext in FORMATS if fmt == template.format]


def _format(template: Template, path: Path, scale: int, data_uri: bool) -> Format:
    found = FORMATS.get((template.format, path.suffix.lower()))
    if found is None:
        raise InputError(
            f"template {template.name} writes {' / '.join(extensions(template))} files; "
            f"name the output accordingly, got {path.name!r}"
        )
    if not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise InputError(f"--scale must be a whole number from 1 to {MAX_SCALE}, got {scale!r}")
    if scale != 1 and "scale" not in found.accepts:
        raise InputError("--scale applies to .png images and .html snippets; leave it out for " + path.suffix)
    if data_uri and "data_uri" not in found.accepts:
        raise InputError("--data-uri applies to .html snippets; name the output file .html")
    return found


def render(
    template: Template,
    views: Iterable[CodeView],
    path: Path | str,
    *,
    font: Path | None = None,
    emblem: Path | None = None,
    scale: int = 1,
    data_uri: bool = False,
    record: Callable[[Rendered], None] | None = None,
) -> Rendered:
    """Draw *views* with *template* into *path*, self-checked; nothing is left behind on failure.

    *views* may be any iterable (a label sheet streams thousands of codes page by page).
    *record* is called with the result after the self-check passed and before the file is
    renamed into place, so a failure to record leaves no file either.
    """
    path = check_writable_target(Path(path))
    fmt = _format(template, path, scale, data_uri)
    options = Options(
        font=load_font(font) if fmt.needs_font else None,
        emblem=load_emblem(emblem) if emblem else None,
        scale=scale,
        data_uri=data_uri,
    )
    ids: dict[str, None] = {}

    def tap(source: Iterable[CodeView]) -> Iterator[CodeView]:
        for view in source:
            ids[view.id] = None
            yield view

    drawn = fmt.write(template, tap(views), options)
    with atomic_file(path) as handle:
        handle.write(drawn.data)
        handle.flush()
        written = os.pread(handle.fileno(), len(drawn.data), 0)  # the temporary file, as stored
        read = check.run(fmt.read, written, drawn.check_dpi, drawn.pages, path.name)
        result = Rendered(
            path=path,
            template=template.name,
            ids=tuple(ids),
            sha256=hashlib.sha256(written).hexdigest(),
            size=len(written),
            pages=len(drawn.pages),
            decoded=tuple(text for page in read for text in page),
        )
        if record is not None:
            record(result)
    return result


__all__ = [
    "FORMATS",
    "CodeView",
    "Rendered",
    "Template",
    "extensions",
    "list_templates",
    "load_template",
    "render",
    "template_names",
]
