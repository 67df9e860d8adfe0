"""The register's staff tables: users, their desk sessions and the audit trail of actions (SQL only).

Timestamps are passed in by the caller (:mod:`qrpay.users` reads the clock), as ISO 8601 UTC
strings to the second like every other time the register stores, so they compare as text.
A session is stored by the SHA-256 of its secret: a copy of the register opens no session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .store import Register

_USER_COLUMNS = "id, name, role, departments, password_hash, created_at, password_changed_at, disabled_at"
ACTION_COLUMNS = ("id", "at", "user", "address", "action", "target", "detail")


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    role: str
    departments: tuple[str, ...]
    password_hash: str
    created_at: str
    password_changed_at: str
    disabled_at: str | None


def _user(row: tuple) -> UserRow:
    uid, name, role, departments, password_hash, created, changed, disabled = row
    return UserRow(uid, name, role, tuple(json.loads(departments)), password_hash, created, changed, disabled)


class Accounts:
    """Queries on the users, sessions and actions tables of one open register."""

    def __init__(self, register: Register):
        self.register = register
        self.db = register.db

    # -- users -----------------------------------------------------------------------------

    def user(self, name: str) -> UserRow | None:
        row = self.db.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def users(self) -> list[UserRow]:
        return [_user(row) for row in self.db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    def add_user(self, name: str, role: str, departments: tuple[str, ...], password_hash: str, now: str) -> bool:
        """Insert a user; False when the name is taken (nothing changes then)."""
        with self.register.transaction():
            if self.user(name) is not None:
                return False
            self.db.execute(
                "INSERT INTO users (name, role, departments, password_hash, created_at, password_changed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, json.dumps(list(departments), ensure_ascii=False), password_hash, now, now),
            )
        return True

    def set_password(self, name: str, password_hash: str, now: str) -> None:
        """A new password hash; every session of the user ends."""
        with self.register.transaction():
            self.db.execute(
                "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?", (password_hash, now, name)
            )
            self._end_sessions(name, now)

    def disable(self, name: str, now: str) -> None:
        """Mark the user disabled (kept for the audit trail); every session of the user ends."""
        with self.register.transaction():
            self.db.execute("UPDATE users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL", (now, name))
            self._end_sessions(name, now)

    def _end_sessions(self, name: str, now: str) -> None:
        self.db.execute(
            "UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL "
            "AND user_id = (SELECT id FROM users WHERE name = ?)",
            (now, name),
        )

    # -- sessions --------------------------------------------------------------------------

    def open_session(self, digest: str, user_id: int, csrf: str, address: str, now: str) -> None:
        with self.register.transaction():
            self.db.execute(
                "INSERT INTO sessions (id, user_id, csrf, address, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                (digest, user_id, csrf, address, now, now),
            )

    def session(self, digest: str) -> tuple[UserRow, str, str, str] | None:
        """The live session *digest*: its user, CSRF token, and when it was opened and last seen."""
        row = self.db.execute(
            "SELECT s.csrf, s.created_at, s.seen_at, "
            + ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
            + " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.ended_at IS NULL",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        csrf, created, seen, *user = row
        return _user(tuple(user)), csrf, created, seen

    def touch(self, digest: str, now: str) -> None:
        with self.register.transaction():
            self.db.execute("UPDATE sessions SET seen_at = ? WHERE id = ?", (now, digest))

    def end_session(self, digest: str, now: str) -> None:
        with self.register.transaction():
            self.db.execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (now, digest))

    # -- the audit trail -------------------------------------------------------------------

    def record(self, at: str, user: str, address: str, action: str, target: str = "", detail: str = "") -> None:
        with self.register.transaction():
            self.db.execute(
                "INSERT INTO actions (at, user_name, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (at, user, address, action, target, detail),
            )

    def times(self, user: str, actions: tuple[str, ...], since: str) -> list[tuple[str, str]]:
        """``(at, action)`` of *user*'s actions of these kinds since *since*, oldest first."""
        marks = ", ".join("?" * len(actions))
        return [
            (row[0], row[1])
            for row in self.db.execute(
                f"SELECT at, action FROM actions WHERE user_name = ? AND action IN ({marks}) AND at >= ? ORDER BY id",
                (user, *actions, since),
            )
        ]

    def actions(
        self, *, user: str | None = None, target: str | None = None, limit: int | None = None
    ) -> list[dict[str, object]]:
        """The trail, newest first: everyone's or one user's, or about one target (a code's id)."""
        clauses: list[str] = ["1 = 1"]
        params: list[object] = []
        if user is not None:
            clauses.append("user_name = ?")
            params.append(user)
        if target is not None:
            clauses.append("target = ?")
            params.append(target)
        sql = (
            "SELECT id, at, user_name, address, action, target, detail FROM actions "
            f"WHERE {' AND '.join(clauses)} ORDER BY id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(zip(ACTION_COLUMNS, row)) for row in self.db.execute(sql, params)]
