"""The qrpay command line: a thin layer over :mod:`qrpay.api`."""

# Each module registers its commands; this order is the order of 'qrpay --help'.
from . import admin, audit, batch, codes, emergency, info, keys, reconcile, render, serve, users  # noqa: F401
from .app import app


def main() -> None:
    app(prog_name="qrpay")


__all__ = ["app", "main"]
