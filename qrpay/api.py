"""The Python API: mint, verify, revoke and look up codes. The CLI is a thin layer over this.

>>> desk = Qrpay.open()                      # settings from QRPAY_HOME / QRPAY_BASE_URL
>>> code = desk.mint_scene("09", "window 3")
>>> desk.verify(code.payload).status
'genuine'
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from .codes import paycode, token
from .codes.catalog import Catalog, Group, Item, load_catalog
from .codes.record import Code, check_window, clean_scene, clean_text, parse_date, parse_id
from .config import Settings
from .errors import InputError, KeyringError, MalformedToken, NotFoundError
from .keys import Key, Keyring
from .qr.decode import PHOTO_SUFFIXES
from .qr.encode import version_of
from .register.store import Purpose, Register
from .render import CodeView, Rendered, Template, list_templates, load_template
from .render import render as draw

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
MAX_REASON = 200


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

    def to_dict(self) -> dict:
        data = {
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
        return data


class Qrpay:
    """One user's qrpay: settings, catalog, keyring and register, opened lazily."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @classmethod
    def open(cls, **overrides: object) -> Qrpay:
        return cls(Settings.load(**overrides))

    def close(self) -> None:
        if "register" in self.__dict__:
            self.register.close()
            del self.__dict__["register"]

    def __enter__(self) -> Qrpay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.user_catalog_path)

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring.load(self.settings.keyring_path)

    @cached_property
    def register(self) -> Register:
        return Register.open(self.settings.register_path)

    def today(self) -> date:
        return datetime.now(self.settings.tz).date()

    # -- describing ------------------------------------------------------------------------

    def subject(self, code: Code) -> Item | Group:
        """The catalog item or unified group a code collects for."""
        found = self.catalog.by_number(code.number)
        if found is None:
            raise InputError(f"code {code.id} names item {code.number:02d}, which the catalog no longer has")
        return found

    def describe(self, code: Code) -> dict:
        """A code as the CLI and JSON show it: register fields plus catalog names."""
        data = code.to_dict()
        subject = self.catalog.by_number(code.number)
        data.pop("number")
        if isinstance(subject, Group):
            data.update(
                item=subject.items[0] if len(subject.items) == 1 else None,
                group=subject.name,
                items=list(subject.items),
                department=None,
                name=subject.title,
            )
        else:
            data.update(
                item=f"{code.number:02d}",
                group=None,
                department=subject.department if subject else None,
                name=subject.name if subject else None,
            )
        return data

    # -- minting ---------------------------------------------------------------------------

    def _mint(
        self,
        kind: str,
        number: int,
        scene: str | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> tuple[Code, bool]:
        existing = self.register.find_live(kind, number, scene, valid_from, valid_until)
        if existing:
            return existing, False
        purpose = Purpose(kind, number, scene, valid_from, valid_until)
        return self.register.mint(*purpose, lambda serial: self._seal(serial, purpose))

    def mint_many(self, purposes: Iterable[Purpose]) -> list[tuple[Code, bool]]:
        """A code for each purpose, existing or new, minted in one register transaction: all or none."""
        return self.register.mint_many(purposes, self._seal)

    def minting(self, purposes: Iterable[Purpose]) -> Iterator[tuple[Code, bool]]:
        """:meth:`mint_many` one code at a time, committed when the last is taken (see Register.minting)."""
        return self.register.minting(purposes, self._seal)

    def _seal(self, serial: int, purpose: Purpose) -> dict:
        """The signed fields of the new code that received *serial*."""
        if serial > token.MAX_SERIAL:
            raise InputError(f"the register is full ({token.MAX_SERIAL} codes); start a new register")
        key = self.keyring.signing_key
        claims = token.Claims(purpose.kind, key.kid, purpose.number, serial, purpose.valid_from, purpose.valid_until)
        signed = token.sign(claims, key.secret)
        payload = self.settings.base_url + signed
        return {
            "kid": key.kid,
            "token": signed,
            "payload": payload,
            "payment_code": paycode.make(purpose.kind, purpose.number, serial),
            "qr_version": version_of(payload),
        }

    def mint_unified(self, group: str) -> tuple[Code, bool]:
        """The city-wide code for *group* (``traffic-fine``, ``education``); ``True`` if new."""
        return self._mint("unified", self.catalog.group(group).number)

    def mint_scene(self, item: str, scene: str) -> tuple[Code, bool]:
        """The code for one item at one place (window, website, account); ``True`` if new."""
        found = self.catalog.item(item)
        return self._mint("scene", found.number, clean_scene(scene))

    def mint_open(
        self, item: str, valid_from: str | date | None = None, valid_until: str | date | None = None
    ) -> tuple[Code, bool]:
        """The open fallback code (一费一码) for an emergency-eligible item; ``True`` if new."""
        found = self.open_item(item)
        start = parse_date(valid_from, field="valid-from")
        end = parse_date(valid_until, field="valid-until")
        check_window(start, end, self.today())
        return self._mint("open", found.number, None, start, end)

    def open_item(self, item: str) -> Item:
        """The catalog item *item*, if open fallback codes may be minted for it."""
        found = self.catalog.item(item)
        if not found.emergency:
            raise InputError(
                f"item {found.code} ({found.name}) is not emergency-eligible; open codes are for items marked "
                f"emergency = true in the catalog (now: {', '.join(i.code for i in self.catalog.emergency_items())})"
            )
        return found

    # -- looking up ------------------------------------------------------------------------

    def get(self, code_id: str) -> Code:
        return self.register.get(parse_id(code_id))

    def find(self, reference: str) -> Code:
        """A code by id (C0000042), payment code or payload/token; NotFoundError otherwise."""
        text = reference.strip()
        if text[:1] in "cC":
            return self.get(text)
        verdict = self.verify(text)
        if verdict.code is None:
            raise InputError(f"{reference!r} is not a known code ({verdict.status}: {verdict.reason})")
        return verdict.code

    def list(
        self, *, kind: str | None = None, item: str | None = None, revoked: bool | None = None, limit: int | None = None
    ) -> list[Code]:
        number = None
        if item is not None:
            number = (self.catalog.group(item) if item in self.catalog.groups else self.catalog.item(item)).number
        if limit is not None and limit < 1:
            raise InputError(f"--limit must be at least 1, got {limit}")
        return self.register.list_codes(kind=kind, number=number, revoked=revoked, limit=limit)

    def revoke(self, code_id: str, reason: str) -> Code:
        serial = parse_id(code_id)
        return self.register.revoke(serial, clean_text(reason, field="reason", limit=MAX_REASON))

    # -- keys ------------------------------------------------------------------------------

    def retire_key(self, kid: int, *, force: bool = False) -> Key:
        """Retire key *kid*, refusing while live codes still depend on it unless *force*."""
        live = self.register.count_live_by_key(kid, self.today())
        if live and not force:
            raise KeyringError(
                f"key {kid} still signs {live} live code(s); their posters would stop verifying. "
                "Revoke or let them expire first, or pass --force"
            )
        return self.keyring.retire(kid)

    # -- rendering -------------------------------------------------------------------------

    def templates(self) -> list[Template]:
        """The layout templates: the shipped ones, and the user's (which replace same-named ones)."""
        return list_templates(self.settings.user_templates_dir)

    def view(self, code: Code) -> CodeView:
        """A code as the render layer needs it: payload, payment code and the catalog's names."""
        info = self.describe(code)
        subject = self.subject(code)
        department = info["department"]
        if isinstance(subject, Group):
            departments = {self.catalog.items[i].department for i in subject.items if i in self.catalog.items}
            department = departments.pop() if len(departments) == 1 else None
        return CodeView(
            id=code.id,
            kind=code.kind,
            payload=code.payload,
            payment_code=code.payment_code,
            name=info["name"],
            department=department or "",
            item=info["item"] or "",
            group=info["group"] or "",
            scene=code.scene or "",
            valid_from=code.valid_from,
            valid_until=code.valid_until,
            **self.catalog.print_fields(subject),
        )

    def render(
        self,
        code_id: str,
        template: str,
        output: Path | str | None = None,
        *,
        emblem: Path | str | None = None,
        scale: int = 1,
        data_uri: bool = False,
        font: Path | str | None = None,
    ) -> Rendered:
        """Render one code with *template*, self-checked, and record the file in the register.

        Without *output* the file goes to ``output/<ID>-<template>.<ext>`` under the current
        folder; a file already there is replaced only if qrpay recorded it for this code.
        A label sheet is filled with copies of the code.
        """
        code = self.get(code_id)
        if code.revoked:
            raise InputError(
                f"code {code.id} was revoked on {code.revoked_at} ({code.revoked_reason}); "
                "mint a new code instead of printing this one"
            )
        if code.window_status(self.today()) == "expired":
            raise InputError(f"code {code.id} expired on {code.valid_until}; mint a new open code to print")
        layout = load_template(template, self.settings.user_templates_dir)
        path = Path(output) if output is not None else self._default_output(code, layout)
        copies = layout.cells_per_page if layout.fill == "each" else 1

        def record(result: Rendered) -> None:
            self.register.add_render(code.serial, layout.name, str(result.path.resolve()), result.sha256)

        return draw(
            layout,
            [self.view(code)] * copies,
            path,
            font=font or self.settings.font,
            emblem=emblem,
            scale=scale,
            data_uri=data_uri,
            record=record,
        )

    def _default_output(self, code: Code, layout: Template) -> Path:
        path = Path("output") / f"{code.id}-{layout.name}{layout.extension}"
        if path.exists() and str(path.resolve()) not in {r["path"] for r in self.register.renders(code.serial)}:
            raise InputError(
                f"{path} exists and qrpay did not write it for {code.id}; name the output with -o to replace it"
            )
        return path

    # -- verifying -------------------------------------------------------------------------

    def verify(self, text: str) -> Verdict:
        """Is *text* (a scanned URL, a bare token or a typed payment code) a genuine code?"""
        text = text.strip()
        if not text:
            return Verdict(text, "malformed", "empty input")
        if paycode.looks_like(text):
            return self._verify_payment_code(text)
        url = None
        if "://" in text:
            url, tok = text, _token_in_url(text)
        else:
            tok = text
        return self._verify_token(text, tok, url)

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
        from .qr.decode import read_file

        source = str(path)
        found = Counter(read_file(Path(path)))
        if not found:
            return [Verdict(source, "no-code-found", "no QR code could be read from this file", source=source)]
        return [replace(self.verify(payload), source=source, count=count) for payload, count in found.items()]

    def _verify_payment_code(self, text: str) -> Verdict:
        try:
            parsed = paycode.parse(text)
        except MalformedToken as exc:
            return Verdict(text, "malformed", str(exc))
        code = self.register.lookup(parsed.serial)
        if code is None or code.payment_code != str(parsed):
            return Verdict(text, "not-found", "no code with this payment code in the register")
        return self._verify_token(text, code.token, None)

    def _verify_token(self, text: str, tok: str, url: str | None) -> Verdict:
        try:
            claims = token.parse(tok)
        except MalformedToken as exc:
            return Verdict(text, "malformed", str(exc))
        key = self.keyring.get(claims.kid)
        if key is None:
            return Verdict(text, "unknown-key", f"signed with key {claims.kid}, which this keyring does not hold")
        if not key.active:
            return Verdict(text, "unknown-key", f"signed with key {claims.kid}, retired on {key.retired_at}")
        if not token.signature_ok(tok, key.secret):
            return Verdict(text, "forged", "the signature does not match: this code was not issued by qrpay")
        code = self.register.lookup(claims.serial)
        if code is None:
            return Verdict(text, "not-found", f"correctly signed, but serial {claims.serial} is not in this register")
        if code.token != tok:
            return Verdict(text, "forged", "signed, but not the token the register holds for this code", code)
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
