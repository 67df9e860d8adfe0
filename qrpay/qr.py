"""Turning a payload into a QR symbol: a plain value the renderers draw.

Always a regular QR code (never Micro QR) at the error level asked for: segno would
otherwise raise the level whenever it fits, and a higher level can mean a higher version,
so smaller modules at the same print size.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

QUIET_ZONE = 4  # modules, the minimum the standard asks for


@dataclass(frozen=True)
class Symbol:
    payload: str
    version: int
    error: str
    matrix: tuple[bytes, ...]  # rows of 0/1, without quiet zone

    @property
    def size(self) -> int:
        """Modules per side, without the quiet zone."""
        return len(self.matrix)


def encode(payload: str, *, error: str = "M") -> Symbol:
    qr = segno.make(payload, error=error, micro=False, boost_error=False)
    return Symbol(
        payload=payload,
        version=int(qr.version),
        error=qr.error,
        matrix=tuple(bytes(row) for row in qr.matrix),
    )


def version_of(payload: str, *, error: str = "M") -> int:
    return int(segno.make(payload, error=error, micro=False, boost_error=False).version)
