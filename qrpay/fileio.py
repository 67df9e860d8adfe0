"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import shutil
import signal
import stat
import tempfile
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from .errors import InputError

# -- the one rule for every file qrpay writes -----------------------------------------------


@dataclass(eq=False)
class Owner:
    """One qrpay's home folder, and how to ask its register what qrpay wrote.

    *recorded* answers the SHA-256 digests qrpay recorded for an absolute path; *keeps* says
    which new names inside *home* qrpay's own stores may create (the register and its copies).
    """

    home: Path
    recorded: Callable[[str], Collection[str]]
    keeps: Callable[[Path], bool] = lambda path: False


_owners: weakref.WeakSet[Owner] = weakref.WeakSet()


def protect(owner: Owner) -> Owner:
    """Make every later output check refuse paths inside *owner*'s home and consult its register.

    Held weakly: the rule lasts as long as whoever keeps *owner* (a :class:`qrpay.Qrpay`)."""
    _owners.add(owner)
    return owner


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.is_relative_to(folder.resolve())
    except OSError:
        return False


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def written_by_qrpay(path: Path) -> bool:
    """Whether a register records that qrpay wrote the very file at *path* (its path and bytes)."""
    path = Path(path).resolve()
    recorded = {digest for owner in list(_owners) for digest in owner.recorded(str(path))}
    if not recorded:
        return False
    try:
        return file_sha256(path) in recorded
    except OSError:
        return False


def check_writable_target(
    path: Path, *, example: str = "poster.pdf", inputs: Iterable[Path] = (), own: bool = False
) -> Path:
    """Fail early, with a sentence, unless *path* is a file qrpay may write (*example* names one).

    The one rule for every output: a new name, or a regular file a register records qrpay wrote
    (byte for byte); never a folder, device, FIFO, socket, a symlink to a file qrpay did not
    write, a path inside a qrpay home, or one of the command's *inputs*. *own* is for qrpay's
    own files (the keyring), which it replaces in place. Returns the path to write (a symlink
    to a file qrpay wrote is followed).
    """
    path = Path(path)
    _check_no_file_in_the_way(path.parent, path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path} is a folder; give a file name, e.g. {path / example}")
    if own:
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} is not a regular file; qrpay keeps its own files only as plain files")
        return path
    target = path
    if info is not None and stat.S_ISLNK(info.st_mode):
        target = path.resolve()
        if not target.exists():
            raise InputError(f"{path} is a symbolic link to nothing; give a new file name")
        info = target.stat()
    resolved = target.resolve()
    for owner in list(_owners):
        if _inside(resolved, owner.home) and not (info is None and owner.keeps(resolved)):
            raise InputError(f"{path} is inside qrpay's home {owner.home}; write outputs somewhere else")
    for source in inputs:
        if resolved == Path(source).resolve():
            raise InputError(f"{path} is also an input of this command; give a different output name")
    if info is None:
        return path
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path} leads to a folder; give a file name, e.g. {path / example}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path} is not a regular file (a device, pipe or socket); give a new file name")
    if not written_by_qrpay(target):
        raise InputError(f"{path} exists and qrpay did not write it; move it away or name a new file with -o")
    return target


def check_writable_folder(path: Path, *, inputs: Iterable[Path] = ()) -> Path:
    """Fail early, with a sentence, when *path* cannot be (or become) a folder we write files
    into: a file, a path inside a qrpay home, or a folder holding one of the *inputs*."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file; give the name of a folder to write the files into")
    _check_no_file_in_the_way(path, path)
    resolved = path.resolve()
    for owner in list(_owners):
        home = owner.home.resolve()
        if resolved.is_relative_to(home) or home.is_relative_to(resolved):
            raise InputError(f"{path} is or holds qrpay's home {owner.home}; write outputs somewhere else")
    for source in inputs:
        if Path(source).resolve().is_relative_to(resolved):
            raise InputError(f"{path} holds {source}, an input of this command; give a different folder")
    return path


def _check_no_file_in_the_way(folder: Path, target: Path) -> None:
    for ancestor in [folder, *folder.parents]:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise InputError(f"cannot write {target}: {ancestor} is a file, not a folder")
            break


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
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
    except BaseException as exc:
        remove(made)
        if isinstance(exc, OSError) and exc.errno in _FULL:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        raise


STALE_AFTER_S = 24 * 3600


def _sweep_stale(path: Path) -> None:
    """Remove temporary files a killed run left beside *path* (untouched for a day)."""
    cutoff = time.time() - STALE_AFTER_S
    try:
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
            if leftover.is_file() and not leftover.is_symlink() and leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
    except OSError:
        pass  # a leftover we cannot remove is ignored: its name is never reused


def _temporary(path: Path) -> AbstractContextManager[tuple[int, str]]:
    """A new, empty temporary file beside *path*, as ``(fd, name)``."""
    _sweep_stale(path)
    make = partial(tempfile.mkstemp, prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    return _undone_on_failure(path, make, lambda made: _discard(made[1]))


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_file(path: Path, *, mode: int = 0o644, own: bool = False) -> Iterator[BinaryIO]:
    """Yield a temporary file beside *path*; rename it over *path* only on success.

    On any exception, including KeyboardInterrupt, the temporary file is removed and
    *path* is left as it was. *own* as for :func:`check_writable_target`.
    """
    path = check_writable_target(Path(path), own=own)
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


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, own: bool = False) -> None:
    with atomic_file(path, mode=mode, own=own) as handle:
        handle.write(data)
