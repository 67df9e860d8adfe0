"""Where qrpay keeps its files and which platform it points at.

Precedence for each setting: explicit argument, then environment (``QRPAY_HOME``,
``QRPAY_BASE_URL``, ``QRPAY_TZ``, ``QRPAY_DATABASE_URL``, ``QRPAY_PAY_URL``), then ``config.toml`` in the home
folder, then the default. Every value, wherever it comes from, is checked by type and range here, at configuration time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from .errors import InputError

#: A placeholder on a reserved top-level domain, so a code minted on defaults can never
#: send a payer anywhere real. Deployments set their platform's address.
DEFAULT_BASE_URL = "https://pay.example.invalid/c/"
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_BASE_URL = 40
REGISTER_NAME = "register.sqlite3"
MAX_CONFIG_BYTES = 64 * 1024
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def default_home() -> Path:
    """The platform's folder for user data (``$XDG_DATA_HOME/qrpay`` on Linux)."""
    return Path(platformdirs.user_data_dir("qrpay", appauthor=False))


def _ascii_host(host: str, url: str) -> None:
    """A host of ASCII letters, digits and hyphens (a non-ASCII name in its IDNA ``xn--`` form)."""
    if not host.isascii():
        try:
            hint = f"; write it as {host.encode('idna').decode('ascii').lower()}"
        except UnicodeError:
            hint = ""
        raise InputError(f"base URL host must be plain ASCII (IDNA form), got {url!r}{hint}")
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise InputError(f"base URL must name a host of letters, digits, '-' and '.', got {url!r}")
    for label in labels:
        if label.lower().startswith("xn--"):
            try:
                label.lower().encode("ascii").decode("idna")
            except UnicodeError:
                raise InputError(f"base URL host has an invalid IDNA label {label!r}, got {url!r}") from None


def check_base_url(url: str) -> str:
    """Return *url* if it can prefix every payload, else raise :class:`InputError`.

    https only; a host name in ASCII (any case: an upper-case URL keeps QR codes small), no
    user name or password, no query or fragment, and a path ending in '/' so the token is the
    last path segment (the service answers the base URL's path; a query could not be served).
    """
    if not isinstance(url, str):
        raise InputError(f"base URL must be text, got {type(url).__name__}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InputError(f"base URL must not contain spaces or control characters, got {url!r}")
    if len(url) > MAX_BASE_URL:
        raise InputError(f"base URL is {len(url)} characters; at most {MAX_BASE_URL} keep codes small enough to scan")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InputError(f"base URL is not a valid URL (look at the host and port), got {url!r}") from None
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise InputError(f"base URL must start with https:// and name a host, got {url!r}")
    if "@" in parts.netloc:
        raise InputError(f"base URL must not carry a user name or password, got {url!r}")
    if "?" in url or "#" in url:
        raise InputError(f"base URL must not contain a query ('?') or fragment ('#'), got {url!r}")
    host = parts.netloc.rsplit(":", 1)[0] if port is not None or parts.netloc.endswith(":") else parts.netloc
    _ascii_host(host, url)
    if not parts.path.endswith("/"):
        raise InputError(f"base URL must end with '/' so the token can follow it, got {url!r}")
    return url


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(f"unknown time zone {name!r}; use a name such as Asia/Shanghai") from None
    return name


def check_database_url(url: str) -> str:
    """*url* if it names a PostgreSQL database; the message never repeats a password."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise InputError("database_url (QRPAY_DATABASE_URL, --database-url) must be a postgresql:// URL")
    return url


def mask_password(url: str) -> str:
    """*url* with any password replaced by ``***`` (also a ``password=`` query parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{key}=***" if key.lower() == "password" else f"{key}={value}" if sep else key
        for key, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_pay_url(url: str) -> str:
    """Return *url*, the platform's payment entry that ``qrpay serve`` redirects payers to, if usable."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(f"pay URL must start with https:// (or http:// for a local test) and name a host, got {url!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or parts.fragment or parts.username or parts.password:
        raise InputError(f"pay URL must not contain spaces, control characters, '#' or a user name, got {url!r}")
    return url


def _font_path(value: str) -> Path:
    if not value.strip():
        raise InputError("give the path of a TrueType font file, found an empty text")
    return Path(value).expanduser()


@dataclass(frozen=True)
class Key:
    """One key of config.toml: its TOML type, what to call that in a message, and its check."""

    kind: type
    expected: str
    check: Callable[[Any], Any] = lambda value: value


#: The keys config.toml may hold. Adding a setting is one line here and a field on Settings.
KEYS: dict[str, Key] = {
    "base_url": Key(str, "an https URL ending in '/' (text)", check_base_url),
    "timezone": Key(str, 'a time zone name such as "Asia/Shanghai" (text)', check_timezone),
    "font": Key(str, "the path of a TrueType font file (text)", lambda value: _font_path(value)),
    "database_url": Key(str, "a postgresql://USER[:PASSWORD]@HOST[:PORT]/DB URL (text)", check_database_url),
    "pay_url": Key(str, "the platform's payment entry, an https URL (text)", check_pay_url),
}


def _toml_type(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a table"}
    return next((name for kind, name in names.items() if type(value) is kind), type(value).__name__)


def read_config(path: Path) -> dict[str, Any]:
    """The checked values of the config file at *path* (``{}`` if there is none)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; config.toml must be a file") from None
    except NotADirectoryError:
        raise InputError(f"cannot read {path}: {path.parent} is a file, not a folder") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(f"{path} is over {MAX_CONFIG_BYTES // 1024} KiB; a config file holds a few settings")
    try:
        values = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    checked: dict[str, Any] = {}
    for name, value in values.items():
        key = KEYS.get(name)
        if key is None:
            known = ", ".join(KEYS)
            raise InputError(f"{path}: unknown key {name!r}; config.toml may set {known}")
        if type(value) is not key.kind:
            raise InputError(f"{path}: {name} must be {key.expected}, found {_toml_type(value)} {value!r}")
        try:
            checked[name] = key.check(value)
        except InputError as exc:
            raise InputError(f"{path}: {name}: {exc}") from None
    return checked


@dataclass(frozen=True)
class Settings:
    home: Path
    base_url: str
    timezone: str
    font: Path | None = None
    config_file: Path | None = None
    database_url: str | None = None  # a shared PostgreSQL register; None: the SQLite file in home

    @property
    def register_location(self) -> str:
        """Where the register is: its file, or the database URL with any password masked."""
        if self.database_url:
            return mask_password(self.database_url)
        return str(self.register_path)

    pay_url: str | None = None  # the platform's payment entry, where qrpay serve sends payers

    def environ(self) -> dict[str, str]:
        """The environment that makes :meth:`load` give back these settings: what a server hands the
        worker processes that rebuild it (``qrpay serve``/``qrpay desk --workers N``)."""
        env = {"QRPAY_HOME": str(self.home), "QRPAY_BASE_URL": self.base_url, "QRPAY_TZ": self.timezone}
        if self.database_url:
            env["QRPAY_DATABASE_URL"] = self.database_url
        if self.pay_url:
            env["QRPAY_PAY_URL"] = self.pay_url
        return env

    def describe(self) -> dict[str, str | None]:
        """Every path and setting, as ``qrpay info`` shows them (a database password masked)."""
        return {
            "home": str(self.home),
            "keyring": str(self.keyring_path),
            "register": self.register_location,
            "register_engine": "postgresql" if self.database_url else "sqlite",
            "config_file": str(self.config_file) if self.config_file else None,
            "user_catalog": str(self.user_catalog_path),
            "user_templates": str(self.user_templates_dir),
            "base_url": self.base_url,
            "timezone": self.timezone,
            "font": str(self.font) if self.font else None,
        }

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def register_path(self) -> Path:
        return self.home / REGISTER_NAME

    @property
    def user_catalog_path(self) -> Path:
        return self.home / "catalog.toml"

    @property
    def user_templates_dir(self) -> Path:
        return self.home / "templates"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def keeps(self, path: Path) -> bool:
        """Whether *path* is a new file the register itself makes in the home folder (the
        register, and the copy a restore keeps); no user's output may go anywhere else there."""
        register = self.register_path.resolve()
        return path.parent == register.parent and (
            path.name == register.name or path.name.startswith(f"{register.name}.before-restore-")
        )

    @classmethod
    def load(
        cls,
        *,
        home: Path | str | None = None,
        base_url: str | None = None,
        timezone: str | None = None,
        database_url: str | None = None,
        pay_url: str | None = None,
    ) -> Settings:
        home_path = Path(home or os.environ.get("QRPAY_HOME") or default_home()).expanduser()
        config_file = home_path / "config.toml"
        file_values = read_config(config_file)
        url = base_url or os.environ.get("QRPAY_BASE_URL") or file_values.get("base_url") or DEFAULT_BASE_URL
        tz = timezone or os.environ.get("QRPAY_TZ") or file_values.get("timezone") or DEFAULT_TIMEZONE
        database = database_url or os.environ.get("QRPAY_DATABASE_URL") or file_values.get("database_url")
        pay = pay_url or os.environ.get("QRPAY_PAY_URL") or file_values.get("pay_url")
        return cls(
            home=home_path,
            base_url=check_base_url(url),
            timezone=check_timezone(tz),
            font=file_values.get("font"),
            config_file=config_file if config_file.is_file() else None,
            database_url=check_database_url(database) if database else None,
            pay_url=check_pay_url(pay) if pay else None,
        )
