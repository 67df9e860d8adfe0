"""The keyring: signing keys with ids, the newest signs and every non-retired one verifies.

The keyring is one JSON file, owner-only (0600). Secrets never appear in a repr, a
message or the CLI's output; only key ids and dates do.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .clock import utcnow
from .config import REGISTER_NAME
from .errors import KeyringError
from .fileio import write_atomic

KEY_BYTES = 32
MAX_KID = 255  # the key id travels in one byte of every token
MAX_KEYRING_BYTES = 1024 * 1024  # 255 keys take about 40 KiB


@dataclass(frozen=True)
class Key:
    kid: int
    secret: bytes = field(repr=False)
    created_at: str
    retired_at: str | None = None

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def public_dict(self) -> dict:
        """What may be shown about a key: everything except the secret."""
        return {"kid": self.kid, "created_at": self.created_at, "retired_at": self.retired_at}


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise KeyringError(f"keyring {path} is not a file (a folder?); move it away and restore the keyring backup")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(
            f"keyring {path} can be read by other users (mode {stat.S_IMODE(mode):o}); fix it with: chmod 600 {path}"
        )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the keyring's folder (``flock``, released even if the
    process is killed), so every read-modify-write of the keyring happens one after another
    across processes. Locking the folder, not a lock file, leaves nothing behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise KeyringError(f"cannot lock the keyring's folder {path.parent}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _codes_in(register: Path) -> bool:
    """Whether a register file holds codes (an unreadable one counts: it may)."""
    if not register.exists():
        return False
    try:
        db = sqlite3.connect(f"{register.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return db.execute("SELECT EXISTS (SELECT 1 FROM codes)").fetchone()[0] == 1
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        return "no such table" not in str(exc)  # a database of other tables holds no codes
    except (sqlite3.Error, OSError):
        return True


@dataclass
class Keyring:
    path: Path
    keys: tuple[Key, ...]

    @classmethod
    def load(cls, path: Path) -> Keyring:
        if not path.exists():
            raise KeyringError(f"no keyring at {path}; create one with: qrpay keys init")
        _check_private(path)
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_KEYRING_BYTES + 1)
        except OSError as exc:
            raise KeyringError(f"cannot read keyring {path}: {exc.strerror}") from None
        try:
            if len(raw) > MAX_KEYRING_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
            keys = tuple(
                Key(
                    kid=int(entry["kid"]),
                    secret=base64.b64decode(entry["secret"], validate=True),
                    created_at=str(entry["created_at"]),
                    retired_at=entry.get("retired_at"),
                )
                for entry in data["keys"]
            )
        except (ValueError, KeyError, TypeError):
            raise KeyringError(f"keyring {path} is damaged; restore it from your backup") from None
        if not keys or any(len(key.secret) < 16 for key in keys):
            raise KeyringError(f"keyring {path} is damaged; restore it from your backup")
        return cls(path=path, keys=keys)

    @classmethod
    def init(cls, path: Path, *, register: Path | None = None) -> Keyring:
        """Create the keyring at *path* with its first key. Refused where one exists, and where
        the *register* (by default the one beside it) already holds codes: a new key could not
        verify them, so the missing keyring must be restored from its backup instead."""
        register = path.with_name(REGISTER_NAME) if register is None else register
        with _locked(path):
            if path.exists() or path.is_symlink():
                raise KeyringError(
                    f"a keyring already exists at {path}; it was left untouched (use 'qrpay keys rotate' for a new key)"
                )
            if _codes_in(register):
                raise KeyringError(
                    f"the register {register} holds codes signed by the missing keyring {path}; "
                    "restore the keyring from its backup (a new keyring would make every printed code read as forged)"
                )
            ring = cls(path=path, keys=())
            ring._save((Key(kid=1, secret=secrets.token_bytes(KEY_BYTES), created_at=utcnow()),))
            return ring

    @contextmanager
    def _changing(self) -> Iterator[tuple[Key, ...]]:
        """Lock the keyring and yield its keys as stored now (another process may have changed it)."""
        with _locked(self.path):
            self.keys = Keyring.load(self.path).keys
            yield self.keys

    def _save(self, keys: tuple[Key, ...]) -> None:
        """Write *keys* atomically, then adopt them: a failed write changes nothing."""
        payload = {
            "format": 1,
            "keys": [{**key.public_dict(), "secret": base64.b64encode(key.secret).decode("ascii")} for key in keys],
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise KeyringError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        write_atomic(self.path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"), mode=0o600, own=True)
        self.keys = keys

    @property
    def signing_key(self) -> Key:
        active = [key for key in self.keys if key.active]
        if not active:
            raise KeyringError("every key is retired; add a new one with: qrpay keys rotate")
        return max(active, key=lambda key: key.kid)

    def listing(self) -> list[dict]:
        """Every key's id, dates and whether it signs new codes (never the secrets)."""
        signing = self.signing_key.kid if any(key.active for key in self.keys) else None
        return [{**key.public_dict(), "signing": key.kid == signing} for key in self.keys]

    def get(self, kid: int) -> Key | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def rotate(self) -> Key:
        with self._changing() as keys:
            kid = max(key.kid for key in keys) + 1
            if kid > MAX_KID:
                raise KeyringError(f"key ids are exhausted (at most {MAX_KID}); start a new keyring and re-mint")
            key = Key(kid=kid, secret=secrets.token_bytes(KEY_BYTES), created_at=utcnow())
            self._save((*keys, key))
            return key

    def retire(self, kid: int) -> Key:
        with self._changing() as keys:
            key = self.get(kid)
            if key is None:
                known = ", ".join(str(k.kid) for k in keys)
                raise KeyringError(f"no key {kid} in the keyring; known key ids: {known}")
            if not key.active:
                raise KeyringError(f"key {kid} was already retired on {key.retired_at}")
            if [k.kid for k in keys if k.active] == [kid]:
                raise KeyringError(f"key {kid} is the last active key; run 'qrpay keys rotate' first, then retire it")
            retired = replace(key, retired_at=utcnow())
            self._save(tuple(retired if k.kid == kid else k for k in keys))
            return retired


def keyring_state(load: Callable[[], Keyring]) -> dict[str, object]:
    """The keyring *load* gives, as ``qrpay info`` reports it: its status, the signing key's id and
    how many keys it holds (never key material); a keyring that cannot be used says why."""
    try:
        ring = load()
        return {"keyring_status": "ok", "active_kid": ring.signing_key.kid, "keys": len(ring.keys)}
    except KeyringError as exc:
        return {"keyring_status": str(exc), "active_kid": None, "keys": 0}
