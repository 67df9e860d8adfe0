"""The keyring: signing keys with ids, the newest signs and every non-retired one verifies.

The keyring is one JSON file, owner-only (0600). Secrets never appear in a repr, a
message or the CLI's output; only key ids and dates do.
"""

from __future__ import annotations

import base64
import json
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from .clock import utcnow
from .errors import KeyringError
from .fileio import write_atomic

KEY_BYTES = 32
MAX_KID = 255  # the key id travels in one byte of every token


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
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(
            f"keyring {path} can be read by other users (mode {stat.S_IMODE(mode):o}); fix it with: chmod 600 {path}"
        )


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
            data = json.loads(path.read_text("utf-8"))
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
    def init(cls, path: Path) -> Keyring:
        if path.exists():
            raise KeyringError(
                f"a keyring already exists at {path}; it was left untouched (use 'qrpay keys rotate' for a new key)"
            )
        ring = cls(path=path, keys=())
        ring._save((Key(kid=1, secret=secrets.token_bytes(KEY_BYTES), created_at=utcnow()),), new=True)
        return ring

    def _save(self, keys: tuple[Key, ...], *, new: bool = False) -> None:
        """Write *keys* atomically, then adopt them: a failed write changes nothing."""
        payload = {
            "format": 1,
            "keys": [{**key.public_dict(), "secret": base64.b64encode(key.secret).decode("ascii")} for key in keys],
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise KeyringError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        if new and self.path.exists():
            raise KeyringError(f"a keyring already exists at {self.path}; it was left untouched")
        write_atomic(self.path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"), mode=0o600)
        self.keys = keys

    @property
    def signing_key(self) -> Key:
        active = [key for key in self.keys if key.active]
        if not active:
            raise KeyringError("every key is retired; add a new one with: qrpay keys rotate")
        return max(active, key=lambda key: key.kid)

    def get(self, kid: int) -> Key | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def rotate(self) -> Key:
        kid = max(key.kid for key in self.keys) + 1
        if kid > MAX_KID:
            raise KeyringError(f"key ids are exhausted (at most {MAX_KID}); start a new keyring and re-mint")
        key = Key(kid=kid, secret=secrets.token_bytes(KEY_BYTES), created_at=utcnow())
        self._save((*self.keys, key))
        return key

    def retire(self, kid: int) -> Key:
        key = self.get(kid)
        if key is None:
            known = ", ".join(str(k.kid) for k in self.keys)
            raise KeyringError(f"no key {kid} in the keyring; known key ids: {known}")
        if not key.active:
            raise KeyringError(f"key {kid} was already retired on {key.retired_at}")
        if [k.kid for k in self.keys if k.active] == [kid]:
            raise KeyringError(f"key {kid} is the last active key; run 'qrpay keys rotate' first, then retire it")
        retired = replace(key, retired_at=utcnow())
        self._save(tuple(retired if k.kid == kid else k for k in self.keys))
        return retired
