"""The one exception hierarchy of qrpay.

Every error a user can cause is a :class:`QrpayError`; the CLI prints its message as a
single ``Error: …`` line and exits with status 2. Messages name the problem and the fix.
"""

from __future__ import annotations


class QrpayError(Exception):
    """Base class: a problem the user can fix (bad input, missing key, unwritable path)."""


class InputError(QrpayError):
    """A value given by the user is not acceptable."""


class NotFoundError(QrpayError):
    """An id, item, template or file that does not exist."""


class KeyringError(QrpayError):
    """The keyring is missing, unsafe, or cannot do what was asked."""


class RegisterError(QrpayError):
    """The register database cannot be opened or written."""


class RenderError(QrpayError):
    """A code cannot be drawn, or what was drawn does not read back."""


class MalformedToken(QrpayError):
    """A token or payment code that does not even parse."""
