"""The qrpay command line: a thin layer over :mod:`qrpay.api`."""

from . import codes, info, keys  # noqa: F401  (each module registers its commands)
from . import emergency, reconcile  # noqa: F401
from . import render  # noqa: F401
from . import admin  # noqa: F401
from . import batch  # noqa: F401
from . import audit  # noqa: F401
from .app import app


def main() -> None:
    app(prog_name="qrpay")


__all__ = ["app", "main"]
