"""The staff desk's users: roles, password hashes, lockout, server-side sessions and the audit trail.

Passwords are kept only as argon2id hashes (argon2-cffi: salted, slow, memory-hard). A failed
login for a name that does not exist costs the same hash and gives the same answer as a wrong
password, so the desk never tells which names exist. Five failed logins for one name within
:data:`WINDOW` lock that name for :data:`LOCK`. Sessions live in the register, so disabling a user
or changing their password ends theirs at once, on every desk sharing the register.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .codes import paycode
from .codes.catalog import Catalog, Group, Item
from .codes.record import Code, parse_id
from .errors import InputError, MalformedToken, NotFoundError
from .register import listing
from .register.listing import Filter
from .register.store import Register
from .register.users import Accounts, UserRow

ROLES = ("clerk", "officer")
NAME = re.compile(r"[\w.@-]{1,32}")  # letters (Chinese too), digits and . _ @ -
MIN_PASSWORD, MAX_PASSWORD = 10, 256
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)  # five failures within this lock the name ...
LOCK = timedelta(minutes=15)  # ... for this long
IDLE = timedelta(minutes=30)  # a session unused this long has ended
ABSOLUTE = timedelta(hours=10)  # and every session ends this long after login (a working day)
TOUCH = timedelta(seconds=60)  # how stale "last seen" may be before it is written again
HASHER = PasswordHasher()  # argon2id with the library's recommended costs


@dataclass(frozen=True)
class User:
    """A desk user as everyone but the hasher sees them: never the hash."""

    name: str
    role: str
    departments: tuple[str, ...]
    created_at: str
    disabled_at: str | None

    @property
    def officer(self) -> bool:
        return self.role == "officer"

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The departments whose codes this user may see; None: all of them."""
        return None if self.officer else self.departments

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "departments": list(self.departments),
            "created_at": self.created_at,
            "disabled": self.disabled_at is not None,
            "disabled_at": self.disabled_at,
        }


def _public(row: UserRow) -> User:
    return User(row.name, row.role, row.departments, row.created_at, row.disabled_at)


@dataclass(frozen=True)
class Session:
    """A live desk session: the secret the cookie carries (signed), the form token, the user."""

    secret: str
    csrf: str
    user: User


def now_utc() -> datetime:
    """The clock sessions and lockouts are measured by (replaced in tests)."""
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    """*moment* as the register stores times (see clock.utcnow)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@cache
def _dummy_hash() -> str:
    """A hash of nothing anyone types, checked for unknown names so they cost what a real check costs."""
    return HASHER.hash(secrets.token_urlsafe(16))


class Users:
    """Users, sessions and the trail on one register; *now* is the clock (injectable for tests)."""

    def __init__(self, accounts: Accounts, catalog: Catalog, now: Callable[[], datetime] | None = None):
        self.accounts = accounts
        self.catalog = catalog
        self.clock = now  # None: now_utc, looked up at each call (so a test may replace it)

    def now(self) -> datetime:
        return self.clock() if self.clock else now_utc()

    @classmethod
    def on(cls, register: Register, catalog: Catalog) -> Users:
        return cls(Accounts(register), catalog)

    # -- managing users (qrpay users ...) --------------------------------------------------

    def add(self, name: str, role: str, departments: Sequence[str], password: str) -> User:
        """A new user; the password is kept only as its argon2id hash."""
        chosen = self.check_new(name, role, departments)
        hashed = HASHER.hash(check_password(password))
        if not self.accounts.add_user(name, role, chosen, hashed, stamp(self.now())):
            raise InputError(f"a user named {name} already exists; see 'qrpay users list'")
        return self.get(name)

    def check_new(self, name: str, role: str, departments: Sequence[str]) -> tuple[str, ...]:
        """The departments of a user who could be added as asked (the name free, the role and
        departments right), or the InputError saying what is wrong."""
        check_name(name)
        if self.accounts.user(name) is not None:
            raise InputError(f"a user named {name} already exists; see 'qrpay users list'")
        if role not in ROLES:
            raise InputError(f"--role must be clerk or officer, got {role!r}")
        chosen = tuple(dict.fromkeys(d.strip() for d in departments))
        known = sorted({item.department for item in self.catalog.items.values()})
        unknown = [d for d in chosen if d not in known]
        if unknown:
            raise InputError(f"department {unknown[0]!r} is not in the catalog; choose from {', '.join(known)}")
        if role == "clerk" and not chosen:
            raise InputError("a clerk sees the codes of their departments: give at least one --department")
        if role == "officer" and chosen:
            raise InputError("an officer sees every department; leave out --department")
        return chosen

    def get(self, name: str) -> User:
        row = self.accounts.user(name)
        if row is None:
            raise NotFoundError(f"no user named {name!r}; see 'qrpay users list'")
        return _public(row)

    def all(self) -> list[User]:
        return [_public(row) for row in self.accounts.users()]

    def disable(self, name: str) -> User:
        self.get(name)
        self.accounts.disable(name, stamp(self.now()))
        return self.get(name)

    def passwd(self, name: str, password: str) -> User:
        self.get(name)
        self.accounts.set_password(name, HASHER.hash(check_password(password)), stamp(self.now()))
        return self.get(name)

    # -- logging in ------------------------------------------------------------------------

    def login(self, name: str, password: str, address: str) -> Session | None:
        """A new session, or None, with the same cost and answer whatever was wrong: unknown or
        disabled name, wrong password, or the name locked after too many failures."""
        name = name.strip()[:64]
        row = self.accounts.user(name) if NAME.fullmatch(name) else None
        locked = self.locked_until(name) is not None
        try:
            HASHER.verify(row.password_hash if row and not locked else _dummy_hash(), password[:MAX_PASSWORD])
            good = row is not None and not locked and row.disabled_at is None
        except (VerificationError, InvalidHashError):
            good = False
        if not good or row is None:
            self.record(name or "-", address, "login-locked" if locked else "login-failed")
            return None
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.accounts.open_session(digest(secret), row.id, csrf, address, stamp(self.now()))
        self.record(name, address, "login")
        return Session(secret, csrf, _public(row))

    def locked_until(self, name: str) -> datetime | None:
        """When the lock on *name* ends, if MAX_FAILURES failed logins within WINDOW locked it."""
        now = self.now()
        failures: list[datetime] = []
        for at, action in self.accounts.times(name, ("login", "login-failed"), stamp(now - WINDOW - LOCK)):
            failures = [] if action == "login" else [*failures, datetime.fromisoformat(at)]
        ends = [
            failures[last] + LOCK
            for last in range(MAX_FAILURES - 1, len(failures))
            if failures[last] - failures[last - MAX_FAILURES + 1] <= WINDOW
        ]
        return max(ends) if ends and max(ends) > now else None

    def session(self, secret: str) -> Session | None:
        """The live session whose cookie carries *secret*; None once ended, idle, too old or its user disabled."""
        key = digest(secret)
        found = self.accounts.session(key)
        if found is None:
            return None
        row, csrf, created, seen = found
        now = self.now()
        if (
            row.disabled_at
            or now - datetime.fromisoformat(created) > ABSOLUTE
            or now - datetime.fromisoformat(seen) > IDLE
        ):
            self.accounts.end_session(key, stamp(now))
            return None
        if now - datetime.fromisoformat(seen) > TOUCH:
            self.accounts.touch(key, stamp(now))
        return Session(secret, csrf, _public(row))

    def logout(self, session: Session, address: str) -> None:
        self.accounts.end_session(digest(session.secret), stamp(self.now()))
        self.record(session.user.name, address, "logout")

    # -- the trail -------------------------------------------------------------------------

    def record(self, user: str, address: str, action: str, target: str = "", detail: str = "") -> None:
        """Write one action to the audit trail, stamped now."""
        self.accounts.record(stamp(self.now()), user, address, action, target, detail)

    def actions(
        self, *, user: str | None = None, target: str | None = None, limit: int | None = None
    ) -> list[dict[str, object]]:
        if limit is not None and limit < 1:
            raise InputError(f"--limit must be at least 1, got {limit}")
        return self.accounts.actions(user=user, target=target, limit=limit)


def in_scope(catalog: Catalog, code: Code, departments: frozenset[str] | None) -> bool:
    """Whether *code* is for one of *departments* (None: all); a unified code is for each of its items'."""
    if departments is None:
        return True
    subject = catalog.subject_of(code)
    items = [catalog.items[i] for i in subject.items if i in catalog.items] if isinstance(subject, Group) else [subject]
    return any(item.department in departments for item in items)


class Window(NamedTuple):
    """Which page of the desk's list: its kind and state filters, where it starts, how long it is,
    and how far the count goes (a count that stops bounds what a page costs)."""

    kind: str | None
    revoked: bool | None
    offset: int
    limit: int
    upto: int


def find_codes(
    register: Register, catalog: Catalog, departments: frozenset[str] | None, search: str, window: Window
) -> tuple[list[Code], int]:
    """One page of the codes *departments* see matching *search* (:func:`code_filter`), newest first,
    and how many match up to ``window.upto``: picked, counted and paged by the register."""
    where = code_filter(catalog, departments, search, window.kind, window.revoked)
    return listing.page(register, where, window.offset, window.limit), listing.count(register, where, window.upto)


def scope_numbers(catalog: Catalog, departments: frozenset[str] | None) -> frozenset[int] | None:
    """The item and group numbers of the codes :func:`in_scope` lets *departments* see (None: all)."""
    if departments is None:
        return None
    subjects: list[Item | Group] = [*catalog.items.values(), *catalog.groups.values()]
    numbers = {subject.number for subject in subjects if _departments(catalog, subject) & departments}
    return frozenset(numbers)


def _departments(catalog: Catalog, subject: Item | Group) -> set[str]:
    if isinstance(subject, Item):
        return {subject.department}
    return {catalog.items[i].department for i in subject.items if i in catalog.items}


def code_filter(
    catalog: Catalog, departments: frozenset[str] | None, search: str, kind: str | None, revoked: bool | None
) -> Filter:
    """The register's filter for the desk's list: *departments*' codes (None: all) of *kind*, revoked or
    live, matching *search*: an id or whole payment code exactly, else any code whose item code, group,
    name or department (the catalog's), scene, or payment-code digits contain it (or a bill's notice number is it), case ignored."""
    scope = scope_numbers(catalog, departments)
    text = search.strip()
    if not text:
        return Filter(kind, revoked, scope)
    exact = _exact(text)
    if exact is not None:
        return Filter(kind, revoked, scope, searching=True, serial=exact)
    folded = text.casefold()
    named = {number for number, shown in _names(catalog) if folded in shown}
    digits = text.replace(" ", "")
    return Filter(kind, revoked, scope, True, named, text, digits if digits.isdigit() else "")


def _exact(text: str) -> int | None:
    """The serial *text* names as a code id, or as a whole payment code with its check digits right."""
    try:
        return parse_id(text)
    except InputError:
        pass
    try:
        return paycode.parse(text).serial if paycode.looks_like(text) else None
    except MalformedToken:
        return None


def _names(catalog: Catalog) -> tuple[tuple[int, str], ...]:
    """Each item's and group's number with what the desk's list shows of it, case-folded."""
    shown = [(item.number, f"{item.code} {item.name} {item.department}") for item in catalog.items.values()]
    for group in catalog.groups.values():
        single = group.items[0] if len(group.items) == 1 else ""
        department = catalog.department_of(group) or "多个部门"
        shown.append((group.number, f"{single} {group.name} {group.title} {department}"))
    return tuple((number, text.casefold()) for number, text in shown)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError(f"a user name is 1 to 32 letters, digits or . _ @ - (no spaces), got {name[:40]!r}")
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters, got {len(password)}")
    if password.strip() != password:
        raise InputError("a password may not start or end with a space")
    return password
