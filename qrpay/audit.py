"""Checking posters in the field: photos and scans of what hangs in the halls, every code in
them verified against the keyring and the register.

A duty officer photographs the posters, tents and sticker sheets, copies the photos into a
folder and audits it; anything not genuine (a sticker pasted over a poster, a revoked or
expired code still hanging) is named with the file it was seen in.

    >>> report = audit(desk, ["photos/hall-2"])
    >>> report.clean, report.summary["forged"]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .api import Qrpay
from .errors import InputError, NotFoundError
from .qr.decode import PHOTO_SUFFIXES
from .verify import STATUSES, Verdict

#: The order a duty officer acts in: a file is named by the first of these among its codes.
SEVERITY = (
    "forged",
    "malformed",
    "unknown-key",
    "not-found",
    "revoked",
    "expired",
    "not-yet-valid",
    "no-code-found",
    "genuine",
)


@dataclass(frozen=True)
class FileReport:
    """One photo or scan: a verdict per distinct code seen in it, or a single ``no-code-found``."""

    path: Path
    verdicts: tuple[Verdict, ...]

    @property
    def status(self) -> str:
        return min((verdict.status for verdict in self.verdicts), key=SEVERITY.index)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "status": self.status,
            "codes": [verdict.to_dict() for verdict in self.verdicts],
        }


@dataclass(frozen=True)
class Audit:
    """Every file audited, in the order given (folders sorted by path)."""

    files: tuple[FileReport, ...]

    @property
    def verdicts(self) -> list[Verdict]:
        return [verdict for report in self.files for verdict in report.verdicts]

    @property
    def summary(self) -> dict[str, int]:
        """How many distinct codes per file had each status (a file without one counts once)."""
        counts = dict.fromkeys(STATUSES, 0)
        for verdict in self.verdicts:
            counts[verdict.status] += 1
        return counts

    @property
    def clean(self) -> bool:
        """True when every file showed at least one code and every code was genuine."""
        return all(verdict.genuine for verdict in self.verdicts)

    def to_dict(self) -> dict:
        return {"files": [report.to_dict() for report in self.files], "summary": self.summary, "clean": self.clean}


def photo_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files to audit: each file named (whatever its name), and every image or PDF under each
    folder named; each file once."""
    found: dict[Path, Path] = {}
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(path for path in given.rglob("*") if _is_photo(path, given))
            if not inside:
                raise InputError(
                    f"{given} holds no image or PDF files ({', '.join(sorted(PHOTO_SUFFIXES))}); "
                    "copy the photos of the posters into it"
                )
        elif given.is_file():
            inside = [given]
        else:
            raise NotFoundError(f"{given} is not a file or folder; give photos or scans of posters, or folders of them")
        for path in inside:
            found.setdefault(path.resolve(), path)
    return list(found.values())


def audit(qrpay: Qrpay, paths: Iterable[Path | str]) -> Audit:
    """Read every code in the photos and scans at *paths* and verify each one."""
    files = photo_files(paths)
    qrpay.load_keyring()  # no keyring, or an unsafe one, is an error before any photo is read
    return Audit(tuple(FileReport(path, tuple(_verdicts(qrpay, path))) for path in files))


def _verdicts(qrpay: Qrpay, path: Path) -> list[Verdict]:
    try:
        return qrpay.verify_file(path)
    except InputError as exc:  # one unreadable file must not hide what the other photos show
        return [Verdict(str(path), "no-code-found", str(exc), source=str(path))]


def _is_photo(path: Path, folder: Path) -> bool:
    """An image or PDF file under *folder*, not hidden (thumbnails, half-copied files)."""
    hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
    return not hidden and path.suffix.lower() in PHOTO_SUFFIXES and path.is_file()
