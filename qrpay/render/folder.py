"""Thousands of codes as one file each: an image per code (web templates) or a PDF per code
(print templates, e.g. a notice per bill), drawn and read back by worker processes, written
into a new folder that takes the output folder's place whole."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..errors import InputError, RenderError
from ..fileio import atomic_folder
from . import FORMATS, Rendered, check, pool
from .layout import Template
from .model import CodeView
from .sheets import Progress, count_of

IMAGES_PER_TASK = 32


def _files(views: list[CodeView]) -> list[tuple[bytes, list[str]]]:
    """Each code's file and, when checking, what it reads back as."""
    job = pool.current_job()
    fmt = FORMATS[(job.template.format, job.extension)]
    made = []
    for view in views:
        drawn = fmt.write(job.template, [view], pool.options())
        read = (
            check.run(fmt.read, drawn.data, drawn.check_dpi, drawn.pages, view.id + job.extension)
            if job.check
            else [[]]
        )
        made.append((drawn.data, read[0]))
    return made


def render_folder(
    template: Template,
    views: Iterable[CodeView],
    folder: Path | str,
    *,
    count: int | None = None,
    extension: str = ".png",
    font: Path | None = None,
    check_codes: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    finish: Callable[[Path, list[Rendered]], None] | None = None,
) -> list[Rendered]:
    """One file per code of *views* (an image of a web *template*, a PDF of a print one, drawn
    with *font*), written into a new *folder* as ``<id><extension>``.

    *views* and *count* are as for :func:`render_sheets`. Each file is read back unless
    *check_codes* is false. *finish* is called with the temporary folder and the results (which
    name the final paths) before the folder takes the place of *folder*, e.g. to add a
    manifest; on any failure nothing is left behind.
    """
    folder = Path(folder)
    if (template.format, extension) not in FORMATS:
        raise InputError(f"template {template.name} does not make {extension} files")
    total = count_of(views, count)
    if not total:
        raise RenderError(f"nothing to render: no codes were given for template {template.name}")
    tell = progress or (lambda stage, done, total: None)
    handed: deque[list[CodeView]] = deque()  # chunks handed out and not yet written

    def tasks() -> Iterator[tuple[list[CodeView]]]:
        for chunk in pool.batches(views, IMAGES_PER_TASK):
            handed.append(chunk)
            yield (chunk,)

    running = pool.Pool(
        pool.Job(template, font if template.format == "pdf" else None, extension, check_codes),
        min(-(-total // IMAGES_PER_TASK), workers or pool.workers_available()),
    )
    results: list[Rendered] = []
    try:
        with atomic_folder(folder) as tmp:
            for made in running.ordered(_files, tasks()):
                for view, (data, read) in zip(handed.popleft(), made):
                    name = view.id + extension
                    (tmp / name).write_bytes(data)
                    results.append(
                        Rendered(
                            path=folder / name,
                            template=template.name,
                            ids=(view.id,),
                            sha256=hashlib.sha256(data).hexdigest(),
                            size=len(data),
                            pages=1,
                            decoded=tuple(read),
                        )
                    )
                tell("drawing", len(results), total)
            if finish is not None:
                finish(tmp, results)
    finally:
        running.close()
    return results
