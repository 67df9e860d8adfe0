"""Who is asking: the signed session cookie, the CSRF token every POST carries, and the login form's.

The cookie carries only a random session secret, signed (itsdangerous) so that a forged cookie is
refused before the register is asked; the session itself is in the register (:mod:`qrpay.users`),
so it ends when the user logs out, is disabled or gets a new password. Before login, the form's
token is a second signed cookie that the form must repeat (double submit).
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from qrpay.users import ABSOLUTE, Session, Users

SESSION_COOKIE = "qrpay_desk"
LOGIN_COOKIE = "qrpay_desk_login"
MAX_COOKIE = 512


class Cookies:
    """Signing and reading the desk's two cookies."""

    def __init__(self, key: bytes, *, secure: bool):
        self.session_signer = URLSafeSerializer(key, salt="qrpay.desk.session")
        self.login_signer = URLSafeSerializer(key, salt="qrpay.desk.login")
        self.secure = secure

    def _set(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=self.secure, httponly=True, samesite="strict"
        )

    def _read(self, request: Request, name: str, signer: URLSafeSerializer) -> str | None:
        raw = request.cookies.get(name, "")
        if not raw or len(raw) > MAX_COOKIE:
            return None
        try:
            value = signer.loads(raw)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def start(self, response: Response, session: Session) -> None:
        self._set(response, SESSION_COOKIE, self.session_signer.dumps(session.secret), int(ABSOLUTE.total_seconds()))
        response.delete_cookie(LOGIN_COOKIE, path="/")

    def end(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure, httponly=True, samesite="strict")

    def session(self, request: Request, users: Users) -> Session | None:
        secret = self._read(request, SESSION_COOKIE, self.session_signer)
        return users.session(secret) if secret else None

    def login_token(self, request: Request) -> str | None:
        return self._read(request, LOGIN_COOKIE, self.login_signer)

    def set_login_token(self, response: Response, token: str) -> None:
        self._set(response, LOGIN_COOKIE, self.login_signer.dumps(token), None)


def same(expected: str | None, given: object) -> bool:
    """The token a form carried is the one expected, compared in constant time."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
