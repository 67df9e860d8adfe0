"""The Typer application, its global options, and the mapping of errors to exit codes.

Exit codes: 0 success, 1 a negative result (not genuine, discrepancies), 2 an error, printed
as one ``Error: …`` line on stderr with no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click import exceptions as click_errors

from .. import __version__
from ..api import Qrpay
from ..config import Settings
from ..errors import QrpayError

EXIT_NEGATIVE = 1
EXIT_ERROR = 2


def fail(message: str) -> typer.Exit:
    """Print one error line and return the exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


class QrpayGroup(TyperGroup):
    """Turns qrpay's own errors and click's usage errors into one ``Error:`` line, exit 2."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click_errors.NoArgsIsHelpError:
            raise
        except click_errors.UsageError as exc:
            raise fail(f"{exc.format_message()} (see 'qrpay --help')") from None

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QrpayError as exc:
            raise fail(str(exc)) from None
        except click_errors.NoArgsIsHelpError:
            raise
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "qrpay"
            raise fail(f"{exc.format_message()} (see '{command} --help')") from None


app = typer.Typer(
    cls=QrpayGroup,
    name="qrpay",
    help="Signed payment QR codes for the unified public payment platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qrpay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder for keyring and register (default: $QRPAY_HOME).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Platform URL payloads start with (default: $QRPAY_BASE_URL).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = {"home": home, "base_url": base_url}


def desk(ctx: typer.Context) -> Qrpay:
    """The Qrpay for this invocation, closed when the command ends."""
    root = ctx.find_root()
    overrides = root.obj or {}
    qrpay = Qrpay(Settings.load(home=overrides.get("home"), base_url=overrides.get("base_url")))
    root.call_on_close(qrpay.close)
    return qrpay


def emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit(json_out: bool, data: object, line: str) -> None:
    """*data* as JSON with ``--json``, else *line* for people."""
    if json_out:
        emit_json(data)
    else:
        typer.echo(line)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only on stdout.")]
