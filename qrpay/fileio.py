"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from .errors import InputError


def check_writable_target(path: Path, *, example: str = "poster.pdf") -> Path:
    """Fail early, with a sentence, when *path* cannot be a file we write (*example* names one)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name, e.g. {path / example}")
    _check_no_file_in_the_way(path.parent, path)
    return path


def check_writable_folder(path: Path) -> Path:
    """Fail early, with a sentence, when *path* cannot be (or become) a folder we write files into."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file; give the name of a folder to write the files into")
    _check_no_file_in_the_way(path, path)
    return path


def _check_no_file_in_the_way(folder: Path, target: Path) -> None:
    for ancestor in [folder, *folder.parents]:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise InputError(f"cannot write {target}: {ancestor} is a file, not a folder")
            break


_STOPS = {signal.SIGINT, signal.SIGTERM}
T = TypeVar("T")


@contextmanager
def _stops_held() -> Iterator[None]:
    """Hold back Ctrl-C and kill for a few system calls that must not be cut in two."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def _undone_on_failure(path: Path, make: Callable[[], T], remove: Callable[[T], None]) -> Iterator[T]:
    """``make()`` a temporary file or folder beside *path*, and ``remove`` it on any exception,
    even a Ctrl-C or kill that arrives while it is being made."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        made = make()
    except BaseException as exc:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a signal that waited is raised here, in the try
        yield made
    except BaseException:
        remove(made)
        raise


def _temporary(path: Path) -> AbstractContextManager[tuple[int, str]]:
    """A new, empty temporary file beside *path*, as ``(fd, name)``."""
    make = partial(tempfile.mkstemp, prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    return _undone_on_failure(path, make, lambda made: _discard(made[1]))


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_file(path: Path, *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yield a temporary file beside *path*; rename it over *path* only on success.

    On any exception, including KeyboardInterrupt, the temporary file is removed and
    *path* is left as it was.
    """
    path = check_writable_target(Path(path))
    with _temporary(path) as (fd, tmp):
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)


@contextmanager
def atomic_path(path: Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Like :func:`atomic_file`, but yield the temporary file's name, for writers that need one
    (a library that saves by name, another process that reads the file back)."""
    path = check_writable_target(Path(path))
    with _temporary(path) as (fd, tmp):
        os.fchmod(fd, mode)
        os.close(fd)
        yield Path(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a new temporary folder beside *path*; on success it takes the place of *path*.

    A folder already at *path* (the caller decided it may go) is swapped out and deleted, so a
    reader sees the old set of files or the new one, never a mix. On any exception the
    temporary folder is removed and *path* is left as it was.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file; give a folder name for the images")
    make = partial(tempfile.mkdtemp, prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    with _undone_on_failure(path, make, partial(shutil.rmtree, ignore_errors=True)) as made:
        tmp = Path(made)
        tmp.chmod(0o755)  # mkdtemp makes it private; the files inside are for everyone to read
        yield tmp
        with _stops_held():
            _swap_in(tmp, path)


def _swap_in(folder: Path, path: Path) -> None:
    """Rename *folder* to *path*, deleting the folder that was there; restore it on failure."""
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    try:
        os.replace(path, old)  # rename(2) may replace the empty folder *old*
        moved = True
    except FileNotFoundError:
        moved = False
    try:
        os.replace(folder, path)
    except BaseException:
        if moved:
            os.replace(old, path)
        else:
            old.rmdir()
        raise
    shutil.rmtree(old)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    with atomic_file(path, mode=mode) as handle:
        handle.write(data)
