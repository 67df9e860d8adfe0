"""What `qrpay desk` needs beyond the CLI's settings: cookie security, proxy trust, the session key.

Each worker of a multi-worker desk builds its app from the environment, so every setting has an
environment variable and :meth:`DeskSettings.environ` writes them back out.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from qrpay import InputError, Settings
from qrpay.web.settings import proxies_from

SECRET_FILE = "desk-secret"  # under QRPAY_HOME, owner-only: the key that signs the session cookies
SECRET_ENV = "QRPAY_DESK_SECRET_FILE"  # or this file, made once and shared by the desks behind one proxy
INSECURE_ENV = "QRPAY_DESK_INSECURE_HTTP"


@dataclass(frozen=True)
class DeskSettings:
    settings: Settings
    insecure_http: bool = False  # cookies without Secure: only for a desk used on plain http at 127.0.0.1
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # only these may set X-Forwarded-*
    secret_file: Path | None = None  # the session key's file, when not QRPAY_HOME/desk-secret

    @classmethod
    def load(
        cls, settings: Settings | None = None, *, insecure_http: bool | None = None, trusted_proxies: str | None = None
    ) -> DeskSettings:
        env = os.environ
        proxies = trusted_proxies if trusted_proxies is not None else env.get("QRPAY_TRUSTED_PROXIES", "")
        insecure = insecure_http if insecure_http is not None else env.get(INSECURE_ENV, "") == "1"
        secret = Path(env[SECRET_ENV]).expanduser() if env.get(SECRET_ENV) else None
        return cls(settings or Settings.load(), insecure, proxies_from(proxies), secret)

    def environ(self) -> dict[str, str]:
        """The environment that makes :meth:`load` in a worker give back these settings."""
        env = {
            **self.settings.environ(),
            "QRPAY_TRUSTED_PROXIES": ",".join(self.trusted_proxies),
            INSECURE_ENV: "1" if self.insecure_http else "0",
        }
        if self.secret_file:
            env[SECRET_ENV] = str(self.secret_file)
        return env

    def session_key(self) -> bytes:
        """The cookie-signing key: in ``QRPAY_DESK_SECRET_FILE``, which must exist (desks behind one
        proxy on one register share it), or in ``QRPAY_HOME/desk-secret``, made (0600) on first use.
        Never printed."""
        if self.secret_file is not None:
            return session_key(self.secret_file, made_by=SECRET_ENV)
        return session_key(self.settings.home / SECRET_FILE)


def session_key(path: Path, made_by: str = "") -> bytes:
    """The key in *path*, made there first unless *made_by* names whoever must make it (a shared file)."""
    if made_by and not path.is_file():
        raise InputError(
            f"{made_by} names {path}, which is not a file; make it once (e.g. openssl rand -base64 48 > {path}; "
            f"chmod 600 {path}) and give every desk behind the proxy the same copy"
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
    if path.stat().st_mode & 0o077:
        raise InputError(f"{path} must be readable by its owner only: chmod 600 {path}")
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the desk's session key {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    if len(key) < 32:
        fix = "put at least 32 characters in it" if made_by else "delete it and a new one is made"
        raise InputError(f"{path} holds no usable key; {fix} (every desk login ends)")
    return key.encode("ascii")
