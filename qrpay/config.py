"""Where qrpay keeps its files and which platform it points at.

Precedence for each setting: explicit argument, then environment (``QRPAY_HOME``,
``QRPAY_BASE_URL``, ``QRPAY_TZ``), then ``config.toml`` in the home folder, then the default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from .errors import InputError

#: A placeholder on a reserved top-level domain, so a code minted on defaults can never
#: send a payer anywhere real. Deployments set their platform's address.
DEFAULT_BASE_URL = "https://pay.example.invalid/c/"
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_BASE_URL = 40


def default_home() -> Path:
    """The platform's folder for user data (``$XDG_DATA_HOME/qrpay`` on Linux)."""
    return Path(platformdirs.user_data_dir("qrpay", appauthor=False))


def check_base_url(url: str) -> str:
    """Return *url* if it can prefix every payload, else raise :class:`InputError`."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise InputError(f"base URL must start with https:// and name a host, got {url!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or parts.fragment:
        raise InputError(f"base URL must not contain spaces, control characters or '#', got {url!r}")
    if len(url) > MAX_BASE_URL:
        raise InputError(f"base URL is {len(url)} characters; at most {MAX_BASE_URL} keep codes small enough to scan")
    if not url.endswith(("/", "=")):
        raise InputError(f"base URL must end with '/' or '=' so the token can follow it, got {url!r}")
    return url


@dataclass(frozen=True)
class Settings:
    home: Path
    base_url: str
    timezone: str
    font: Path | None = None
    config_file: Path | None = None

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def register_path(self) -> Path:
        return self.home / "register.sqlite3"

    @property
    def user_catalog_path(self) -> Path:
        return self.home / "catalog.toml"

    @property
    def user_templates_dir(self) -> Path:
        return self.home / "templates"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(
        cls,
        *,
        home: Path | str | None = None,
        base_url: str | None = None,
        timezone: str | None = None,
    ) -> Settings:
        home_path = Path(home or os.environ.get("QRPAY_HOME") or default_home()).expanduser()
        config_file = home_path / "config.toml"
        file_values: dict = {}
        if config_file.is_file():
            try:
                file_values = tomllib.loads(config_file.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{config_file}: not valid TOML ({exc})") from None
        url = base_url or os.environ.get("QRPAY_BASE_URL") or file_values.get("base_url") or DEFAULT_BASE_URL
        tz = timezone or os.environ.get("QRPAY_TZ") or file_values.get("timezone") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"unknown time zone {tz!r}; use a name such as Asia/Shanghai") from None
        font = file_values.get("font")
        return cls(
            home=home_path,
            base_url=check_base_url(url),
            timezone=tz,
            font=Path(font).expanduser() if font else None,
            config_file=config_file if config_file.is_file() else None,
        )
