"""The qrpay command line: a thin layer over :mod:`qrpay.api`."""

# Each module registers its commands; this order is the order of 'qrpay --help'.
from . import admin, audit, batch, codes, emergency, info, keys, reconcile, render, serve, users  # noqa: F401
from . import desk as desk  # explicit: mypy would otherwise take "desk" for app.desk
from .app import app


def main() -> None:
    app(prog_name="qrpay")


__all__ = ["app", "main"]
