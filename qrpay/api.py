"""The Python API: mint, verify, revoke, render and look up codes; every caller (the CLI, serve, the
desk, batch, audit, the emergency features) goes through it. Settings from QRPAY_HOME, QRPAY_BASE_URL:

>>> code, new = Qrpay.open().mint_scene("09", "window 3")
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from . import clock, fileio, revocations
from .codes import token
from .codes.bill import make_bill
from .codes.catalog import Catalog, Group, Item, load_catalog
from .codes.record import Code, check_window, clean_scene, clean_text, parse_date, parse_id
from .codes.seal import seal, stand_in
from .config import Settings
from .emergency.books import Books
from .emergency.ledger import Txn
from .errors import InputError, KeyringError, NotFoundError, RegisterError
from .keys import Key, Keyring, keyring_state
from .qr.encode import version_of
from .register.store import Purpose, Register
from .render import CodeView, Rendered, Template, list_templates, load_template
from .render import render as draw
from .render.notice import bill_view
from .users import Users, Window, find_codes, in_scope
from .verify import Standing, Verdict, Verifier

MAX_REASON = 200
READER_BUSY_S = 2.0
Day = date | str | None  # a day given by a caller: a date, YYYY-MM-DD text, or none


class Qrpay:
    """One user's qrpay: settings, catalog, keyring and register, opened lazily. *today* gives the current
    day (default: the configured time zone's clock); :meth:`scoped` narrows it to some departments' codes."""

    def __init__(self, settings: Settings, *, today: clock.Today | None = None, reader: bool = False):
        self.settings = settings
        self.reader = reader  # only reads the register (qrpay serve): never creates or changes it
        self._today = today
        self.departments: frozenset[str] | None = None  # None: every department's codes (see scoped)
        self._outputs = fileio.protect(fileio.Owner(settings.home, self._recorded, settings.keeps))

    def _recorded(self, path: str) -> set[str]:
        """What this Qrpay's open register records at *path*; closed, unopened or unusable: nothing."""
        if "register" not in self.__dict__:
            return set()
        try:
            return self.register.render_hashes(path)
        except RegisterError:
            return set()

    @classmethod
    def open(cls, **overrides: Any) -> Qrpay:
        return cls(Settings.load(**overrides))

    def close(self) -> None:
        self.__dict__.pop("books", None)
        self.__dict__.pop("users", None)
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
        if self.settings.database_url:  # a shared PostgreSQL register
            return Register.connect(self.settings.database_url, keep_dir=self.settings.home)
        if self.reader:  # read-only, never created; a lock waited for briefly, so a web request answers 503
            return Register.open(self.settings.register_path, create=False, readonly=True, busy_timeout=READER_BUSY_S)
        return Register.open(self.settings.register_path)

    @cached_property
    def books(self) -> Books:
        """The register's emergency tables: collection log, statements, reconciliation runs."""
        return Books(self.register)

    @cached_property
    def users(self) -> Users:
        """The staff desk's users, sessions and audit trail (qrpay users, qrpay desk)."""
        return Users.on(self.register, self.catalog)

    @cached_property
    def verifier(self) -> Verifier:
        lookup, key = (lambda serial: self.register.lookup(serial)), (lambda kid: self.keyring.get(kid))
        return Verifier(lookup, key, lambda: self.today(), self.settings.tz)  # each looked up when used

    def today(self) -> date:
        """The current day where the codes hang (the configured time zone)."""
        return self._today() if self._today is not None else clock.today(self.settings.tz)

    def transaction(self) -> AbstractContextManager[object]:
        """One register transaction: every write inside it is kept, or none is."""
        return self.register.transaction()

    # -- describing ------------------------------------------------------------------------
    def subject(self, code: Code) -> Item | Group:
        """The catalog item or unified group a code collects for."""
        return self.catalog.subject_of(code)

    def describe(self, code: Code) -> dict[str, Any]:
        """A code as the CLI and JSON show it: register fields plus catalog names."""
        return self.catalog.describe(code)

    def scoped(self, departments: Iterable[str] | None) -> Qrpay:
        """Only *departments*' codes (a desk clerk's; None: all) are found: listed, shown, rendered, revoked."""
        self.departments = None if departments is None else frozenset(departments)
        return self

    # -- minting ---------------------------------------------------------------------------
    def _mint(self, purpose: Purpose) -> tuple[Code, bool]:
        existing = self.register.find_live(*purpose)
        if existing and existing.bill == purpose.bill:  # a bill that differs is refused by the register
            return existing, False
        return self.register.mint(purpose, lambda serial: self._seal(serial, purpose))

    def mint_many(self, purposes: Iterable[Purpose]) -> list[tuple[Code, bool]]:
        """A code for each purpose, existing or new, minted in one register transaction: all or none."""
        return self.register.mint_many(purposes, self._seal)

    def minting(self, purposes: Iterable[Purpose]) -> Generator[tuple[Code, bool], None, None]:
        """:meth:`mint_many` one code at a time, committed when the last is taken (see Register.minting)."""
        return self.register.minting(purposes, self._seal)

    def _seal(self, serial: int, purpose: Purpose) -> dict[str, Any]:
        """The signed fields of the new code that received *serial*."""
        if serial > (full := token.max_serial(purpose.kind)):
            raise InputError(f"the register is full for {purpose.kind} codes ({full} serials); start a new register")
        key = self.keyring.signing_key
        fields = seal(*purpose[:5], serial, key.kid, key.secret, self.settings.base_url, bill=purpose.bill)
        return {**fields, "qr_version": version_of(fields["payload"])}

    def live(self, purpose: Purpose) -> Code | None:
        """The live code of *purpose* (a bill's: of its item and notice), if one is minted."""
        return self.register.find_live(*purpose)

    def stand_in(self, purpose: Purpose) -> Code:
        """*purpose*'s code with a stand-in serial and key as wide as any real one (to measure text); never stored."""
        return stand_in(*purpose, self.settings.base_url)

    def mint_unified(self, group: str) -> tuple[Code, bool]:
        """The city-wide code for *group* (``traffic-fine``, ``education``); ``True`` if new."""
        return self._mint(Purpose("unified", self.catalog.group(group).number))

    def mint_scene(self, item: str, scene: str) -> tuple[Code, bool]:
        """The code for one item at one place (window, website, account); ``True`` if new."""
        found = self.catalog.item(item)
        return self._mint(Purpose("scene", found.number, clean_scene(scene)))

    def mint_open(self, item: str, valid_from: Day = None, valid_until: Day = None) -> tuple[Code, bool]:
        """The open fallback code (一费一码) for an emergency-eligible item; ``True`` if new."""
        found = self.open_item(item)
        start = parse_date(valid_from, field="valid-from")
        end = parse_date(valid_until, field="valid-until")
        check_window(start, end, self.today())
        return self._mint(Purpose("open", found.number, None, start, end))

    def bill_purpose(self, item: str, amount: str, payer: str, notice: str, due: Day = None) -> Purpose:
        """The purpose of a bill for *notice*: *amount* yuan owed by *payer* by *due*, checked (no minting)."""
        found = self.catalog.item(item)
        return Purpose("bill", found.number, bill=make_bill(found, amount, payer, notice, due, self.today()))

    def mint_bill(self, item: str, amount: str, payer: str, notice: str, due: Day = None) -> tuple[Code, bool]:
        """The bill code for one notice (idempotent on item and notice while live); ``True`` if new."""
        return self._mint(self.bill_purpose(item, amount, payer, notice, due))

    def amount_due(self, code: Code, on: date | None = None) -> int:
        """What bill *code* costs paid on *on* (default today), in fen, late fee included."""
        return self.catalog.amount_due(code, on or self.today())

    def bill_payment(self, code: Code) -> Txn | None:
        """The statement line that paid bill *code* (not refunded), or None while it is open."""
        return self.books.bill_payment(code.serial) if code.bill is not None else None

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
    def get(self, code: str | int) -> Code:
        """The code with id *code* (``C0000042``), or with that serial."""
        found = self.register.get(code if isinstance(code, int) else parse_id(code))
        if not in_scope(self.catalog, found, self.departments):
            raise NotFoundError(f"no code {found.id} in the register; see 'qrpay list'")
        return found

    def list_codes(
        self, *, kind: str | None = None, item: str | None = None, revoked: bool | None = None, limit: int | None = None
    ) -> list[Code]:
        """Minted codes, oldest first: of one kind, for one item or unified group, revoked or live."""
        number = None
        if item is not None:
            number = (self.catalog.group(item) if item in self.catalog.groups else self.catalog.item(item)).number
        if limit is not None and limit < 1:
            raise InputError(f"--limit must be at least 1, got {limit}")
        every = None if self.departments else limit  # a clerk's codes are picked from all of them
        found = self.register.list_codes(kind=kind, number=number, revoked=revoked, limit=every)
        return [code for code in found if in_scope(self.catalog, code, self.departments)][:limit]

    def find_codes(self, search: str, window: Window) -> tuple[list[Code], int]:
        """The desk's list: one page of the codes in scope matching *search*, and how many (see users.find_codes)."""
        return find_codes(self.register, self.catalog, self.departments, search, window)

    def renders(self, code: Code) -> list[dict[str, str]]:
        """The files rendered from *code*: template, path, sha256 and when, oldest first."""
        return self.register.renders(code.serial)

    def rendered(self, path: Path) -> bool:
        """Whether qrpay recorded writing the file at *path*."""
        return self.register.rendered(str(Path(path).resolve()))

    def record_renders(self, template: str, files: Iterable[tuple[Code, Path, str]]) -> None:
        """Record that each ``(code, path, sha256)`` was written with *template*, in one transaction."""
        where: dict[Path, str] = {}  # a sheet holds many codes: its path is resolved once
        rows = [
            (code.serial, where.get(path) or where.setdefault(path, str(path.resolve())), sha256)
            for code, path, sha256 in files
        ]
        self.register.add_renders(rows, template)

    def revoke(self, code_id: str, reason: str) -> Code:
        serial = self.get(code_id).serial
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

    def init_keyring(self) -> Keyring:
        """Create the keyring (an owner-only file) with its first key; never replaces one."""
        if self.settings.database_url and self.register.list_codes(limit=1):  # a shared register
            raise KeyringError(
                f"the shared register {self.register.location} holds codes signed by the bureau's keyring; "
                f"copy that keyring to {self.settings.keyring_path} instead of making a new one"
            )
        ring = Keyring.init(self.settings.keyring_path)
        self.__dict__["keyring"] = ring
        return ring

    def rotate_key(self) -> Key:
        """Add a key that signs from now on; older keys keep verifying."""
        return self.keyring.rotate()

    def keys(self) -> list[dict[str, Any]]:
        """Every key's id, dates and whether it signs new codes (never the secrets)."""
        return self.keyring.listing()

    def load_keyring(self) -> None:
        """Load the keyring now, so a missing or unsafe one is an error before slow work starts."""
        _ = self.keyring

    # -- the register as a file, and the revocation list -----------------------------------
    def backup(self, output: Path | str) -> dict[str, Any]:
        """Copy the register to the new file *output*, consistent even while others write."""
        target = self.register.backup(Path(output))
        return {"register": self.register.location, "backup": str(target), "bytes": target.stat().st_size}

    def restore(self, source: Path | str) -> dict[str, str]:
        """Replace the register with the backup *source*; what it held is saved beside it first."""
        kept = self.register.restore(Path(source))
        return {"register": self.register.location, "restored_from": str(source), "previous_saved_to": str(kept)}

    def export_revocations(self, output: Path | str) -> dict[str, Any]:
        """Write every revoked code to *output* as a list signed with the signing key."""
        document = revocations.export(self.list_codes(revoked=True), self.keyring.signing_key, Path(output))
        return {"path": str(output), **{key: document[key] for key in ("count", "kid", "generated_at")}}

    def check_revocations(self, path: Path | str) -> revocations.Check:
        """Whether the revocation list at *path* is intact and signed by this keyring."""
        return revocations.check(Path(path), self.keyring)

    def info(self) -> dict[str, Any]:
        """Every path and setting in use, and the keyring's state (never key material)."""
        from . import __version__

        where = self.settings.describe()
        head = {"version": __version__, "home": where.pop("home"), "keyring": where.pop("keyring")}
        return {**head, **keyring_state(lambda: self.keyring), **where}

    # -- rendering -------------------------------------------------------------------------
    def templates(self) -> list[Template]:
        """The layout templates: the shipped ones, and the user's (which replace same-named ones)."""
        return list_templates(self.settings.user_templates_dir)

    def view(self, code: Code) -> CodeView:
        """A code as the render layer needs it: payload, payment code and the catalog's names."""
        info = self.describe(code)
        subject = self.subject(code)
        return CodeView(
            id=code.id,
            kind=code.kind,
            payload=code.payload,
            payment_code=code.payment_code,
            name=info["name"],
            department=self.catalog.department_of(subject) or "",
            item=info["item"] or "",
            group=info["group"] or "",
            scene=code.scene or "",
            valid_from=code.valid_from,
            valid_until=code.valid_until,
            bill=bill_view(code, subject, self.settings.tz),
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

        Without *output* the file goes to ``output/<ID>-<template>.<ext>`` under the current folder; a file
        already there is replaced only if qrpay recorded it for this code. A label sheet is filled with copies."""
        code = self.get(code_id)
        if code.revoked:
            raise InputError(
                f"code {code.id} was revoked on {code.revoked_at} ({code.revoked_reason}); "
                "mint a new code instead of printing this one"
            )
        if code.window_status(self.today()) == "expired":
            raise InputError(f"code {code.id} expired on {code.valid_until}; mint a new open code to print")
        layout = load_template(template, self.settings.user_templates_dir)
        path = Path(output) if output is not None else Path("output") / f"{code.id}-{layout.name}{layout.extension}"
        copies = layout.cells_per_page if layout.fill == "each" else 1

        return draw(
            layout,
            [self.view(code)] * copies,
            path,
            font=Path(font) if font else self.settings.font,
            emblem=None if emblem is None else Path(emblem),
            scale=scale,
            data_uri=data_uri,
            record=lambda result: self.record_renders(layout.name, [(code, result.path, result.sha256)]),
        )

    def register_version(self) -> int | None:
        """While this stays, nothing read from the register has changed (None: no such counter; qrpay serve)."""
        return self.register.db.data_version()

    def revocation_list(self) -> dict:
        """The signed list of revoked codes, as 'qrpay revocations export' writes it."""
        return revocations.build(self.list_codes(revoked=True), self.keyring.signing_key)

    # -- verifying -------------------------------------------------------------------------
    def verify(self, text: str) -> Verdict:
        """Is *text* (a scanned URL, a bare token or a typed payment code) a genuine code?"""
        return self.verifier.verify(text)

    def verify_input(self, text: str) -> list[Verdict]:
        """Verdicts for one command-line input: text, or a photo, scan or PDF (one per code in it)."""
        return self.verifier.verify_input(text)

    def verify_file(self, path: Path | str) -> list[Verdict]:
        """One verdict per distinct code in a photo, scan or PDF, in reading order, with its count."""
        return self.verifier.verify_file(path)

    def standing_at(self, text: str, when: datetime) -> Standing:
        """The code in *text* (id, payment code, link or token) as it stood at the moment *when*."""
        return self.verifier.standing_at(text, when)
