"""qrpay: signed payment QR codes for a city's unified public payment platform.

:class:`Qrpay` is the front door; the names below are what callers import. The layers, each
importing only those below it (checked by import-linter; see docs/ARCHITECTURE.md)::

    cli
    desk
    web
    batch | audit | demo | emergency.log | emergency.reconcile | emergency.kit
    api (Qrpay)
    verify | render | revocations | emergency.books | users
    register | keys | qr | emergency.ledger | config
    codes (catalog, token, paycode, record, seal)
    fileio | clock
    errors
"""

from .api import Qrpay
from .codes.catalog import Catalog, Group, Item, load_catalog
from .codes.record import Code
from .config import Settings
from .errors import (
    InputError,
    KeyringError,
    MalformedToken,
    NotFoundError,
    QrpayError,
    RegisterError,
    RenderError,
)
from .verify import STATUSES, Verdict

__version__ = "0.1.0"

__all__ = [
    "STATUSES",
    "Catalog",
    "Code",
    "Group",
    "InputError",
    "Item",
    "KeyringError",
    "MalformedToken",
    "NotFoundError",
    "Qrpay",
    "QrpayError",
    "RegisterError",
    "RenderError",
    "Settings",
    "Verdict",
    "__version__",
    "load_catalog",
]
