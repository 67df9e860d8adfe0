"""Verification: is this text, photo or scan a genuine code, and what was a code at a moment?

Two vocabularies, as PRODUCT.md spells them: a :class:`Verdict` carries one of
:data:`STATUSES` (``qrpay verify``, ``qrpay audit``); a :class:`Standing` carries one of
:data:`STANDINGS` (the collection log and reconciliation judge a code as it stood when money
was paid).

The :class:`Verifier` needs no register or keyring object, only a way to look a code up by
serial and a key up by id, so it stands below :class:`~qrpay.api.Qrpay` (which hands it
both) and above ``codes/``, ``qr/`` and ``keys``; whichever engine the register runs on,
verification does not change.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from .clock import Today
from .codes import paycode, token
from .codes.record import Code, parse_id
from .errors import InputError, MalformedToken, NotFoundError
from .keys import Key
from .qr.decode import PHOTO_SUFFIXES, read_file

#: What ``qrpay verify`` can say of an input.
STATUSES = (
    "genuine",
    "forged",
    "revoked",
    "expired",
    "not-yet-valid",
    "unknown-key",
    "malformed",
    "not-found",
    "no-code-found",
)
#: What a code was at one moment, for the collection log and reconciliation.
STANDINGS = ("ok", "forged", "unknown_code", "revoked", "expired")


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this code genuine?" for one input."""

    input: str
    status: str
    reason: str
    code: Code | None = None
    source: str | None = field(default=None)  # the file a code was read from, if any
    count: int = 1  # how many times the code appears in that file (a label sheet holds 24)

    @property
    def genuine(self) -> bool:
        return self.status == "genuine"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input": self.input,
            "status": self.status,
            "reason": self.reason,
            "id": self.code.id if self.code else None,
            "count": self.count,
        }
        if self.source:
            data["source"] = self.source
        if self.code:
            data.update(kind=self.code.kind, payment_code=self.code.payment_code, payload=self.code.payload)
            if self.code.bill:  # public: the payer's name is masked
                data.update(self.code.bill.to_dict(public=True))
        return data


@dataclass(frozen=True)
class Standing:
    """What a code was at one moment: one of :data:`STANDINGS`, why, and the code if known."""

    standing: str
    reason: str
    code: Code | None = None


class Verifier:
    """Verdicts on codes, against the keys *key(kid)* finds and the codes *lookup(serial)* finds."""

    def __init__(
        self,
        lookup: Callable[[int], Code | None],
        key: Callable[[int], Key | None],
        today: Today,
        tz: tzinfo,
    ):
        self.lookup, self.key, self.today, self.tz = lookup, key, today, tz

    def verify(self, text: str) -> Verdict:
        """Is *text* (a scanned URL, a bare token or a typed payment code) a genuine code?"""
        text = text.strip()
        if not text:
            return Verdict(text, "malformed", "empty input")
        if paycode.looks_like(text):
            return self._payment_code(text)
        if "://" in text:
            return self._token(text, _token_in_url(text), text)
        return self._token(text, text, None)

    def verify_input(self, text: str) -> list[Verdict]:
        """Verdicts for one command-line input: a file gives one per distinct code found in it.

        A name that looks like a file (a folder in it, or an image or PDF extension) but is not
        one is an error, not a malformed code: the user mistyped a path.
        """
        kind = _kind(Path(text)) if text.strip() else None
        if kind == "file":
            return self.verify_file(text)
        if kind == "folder":
            raise InputError(f"{text} is a folder; check every photo in it with: qrpay audit {text}")
        if _looks_like_path(text):
            raise NotFoundError(
                f"no file {text}; give a photo, scan or PDF that exists, "
                "or the code itself (link, token or payment code)"
            )
        return [self.verify(text)]

    def verify_file(self, path: Path | str) -> list[Verdict]:
        """One verdict per distinct code in a photo, scan or PDF, in reading order, with its count."""
        source = str(path)
        found = Counter(read_file(Path(path)))
        if not found:
            return [Verdict(source, "no-code-found", "no QR code could be read from this file", source=source)]
        return [replace(self.verify(payload), source=source, count=count) for payload, count in found.items()]

    def standing_at(self, text: str, when: datetime) -> Standing:
        """Judge the code in *text* (id, payment code, payload URL or bare token) as it stood at *when*."""
        text = text.strip()
        if not text:
            return Standing("unknown_code", "no code given")
        if text[:1] in "cC":
            try:
                found = self.lookup(parse_id(text))
            except InputError as exc:
                return Standing("unknown_code", str(exc))
            if found is None:
                return Standing("unknown_code", f"no code {text} in the register")
            text = found.payload
        verdict = self.verify(text)
        if verdict.status == "forged":
            return Standing("forged", verdict.reason)
        code = verdict.code
        if code is None:
            return Standing("unknown_code", f"{verdict.status}: {verdict.reason}")
        if code.revoked_at is not None and datetime.fromisoformat(code.revoked_at) <= when:
            at = when.isoformat(timespec="seconds")
            return Standing(
                "revoked", f"{code.id} was revoked at {code.revoked_at} ({code.revoked_reason}), before {at}", code
            )
        day = when.astimezone(self.tz).date()
        if code.window_status(day):
            return Standing(
                "expired",
                f"{code.id} is valid {code.valid_from or '…'} to {code.valid_until or '…'}, not on {day}",
                code,
            )
        return Standing("ok", "genuine", code)

    def _payment_code(self, text: str) -> Verdict:
        try:
            parsed = paycode.parse(text)
        except MalformedToken as exc:
            return Verdict(text, "malformed", str(exc))
        code = self.lookup(parsed.serial)
        if code is None or code.payment_code != str(parsed):
            return Verdict(text, "not-found", "no code with this payment code in the register")
        return self._token(text, code.token, None)

    def _token(self, text: str, tok: str, url: str | None) -> Verdict:
        try:
            claims = token.parse(tok)
        except MalformedToken as exc:
            return Verdict(text, "malformed", str(exc))
        key = self.key(claims.kid)
        if key is None:
            return Verdict(text, "unknown-key", f"signed with key {claims.kid}, which this keyring does not hold")
        if not key.active:
            return Verdict(text, "unknown-key", f"signed with key {claims.kid}, retired on {key.retired_at}")
        if not token.signature_ok(tok, key.secret):
            return Verdict(text, "forged", "the signature does not match: this code was not issued by qrpay")
        code = self.lookup(claims.serial)
        if code is None:
            return Verdict(text, "not-found", f"correctly signed, but serial {claims.serial} is not in this register")
        if code.token != tok:
            return Verdict(text, "forged", "signed, but not the token the register holds for this code", code)
        if code.bill and (claims.amount_fen, claims.due) != (code.bill.amount_fen, code.bill.due):
            return Verdict(text, "forged", "the register's amount or due date is not the one this bill was signed with")
        if url is not None and url != code.payload:
            return Verdict(text, "forged", f"the link does not lead to the platform (expected {code.payload})", code)
        if code.revoked:
            return Verdict(text, "revoked", f"revoked on {code.revoked_at}: {code.revoked_reason}", code)
        window = code.window_status(self.today())
        if window == "expired":
            return Verdict(text, "expired", f"valid until {code.valid_until}", code)
        if window == "not-yet-valid":
            return Verdict(text, "not-yet-valid", f"valid from {code.valid_from}", code)
        return Verdict(text, "genuine", "signed by this keyring and live in the register", code)


def _token_in_url(url: str) -> str:
    """The token a payload URL ends with (after the last '/' or '=')."""
    cut = max(url.rfind("/"), url.rfind("="))
    return url[cut + 1 :]


def _kind(path: Path) -> str | None:
    """``"file"``, ``"folder"`` or ``None``: nothing there, or text that cannot even be a file name."""
    try:
        return "file" if path.is_file() else "folder" if path.is_dir() else None
    except OSError:
        return None


def _looks_like_path(text: str) -> bool:
    """Whether *text* reads as a file name; tokens and payment codes never hold '/' or an extension."""
    if "://" in text:
        return False
    return "/" in text or os.sep in text or Path(text).suffix.lower() in PHOTO_SUFFIXES
