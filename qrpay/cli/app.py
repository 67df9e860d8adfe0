"""The Typer application, its global options, and the mapping of errors to exit codes.

Exit codes: 0 success, 1 a negative result (not genuine, discrepancies), 2 an error, printed
as one ``Error: …`` line on stderr with no traceback.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer depends on click itself
    import click  # type: ignore[no-redef]  # the same API under its own name; mypy checks the installed one

from .. import __version__
from ..api import Qrpay
from ..config import Settings
from ..errors import QrpayError

EXIT_NEGATIVE = 1
EXIT_ERROR = 2


def fail(message: str) -> typer.Exit:
    """Print one error line and return the exit to raise.

    The line is written so that any terminal can show it: what its encoding cannot hold is
    escaped (``\\u4e2d``), never a second error."""
    line = "Error: " + " ".join(message.split("\n")) + "\n"
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        stream.write(line.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone; the exit status still tells
    return typer.Exit(EXIT_ERROR)


def explain(exc: BaseException) -> str | None:
    """One sentence for an error the system raised (disk full, permissions, memory, a number
    too large, a terminal that cannot show Chinese), or None for one that is a bug."""
    if isinstance(exc, UnicodeEncodeError):
        return (
            f"this terminal's encoding ({exc.encoding}) cannot show the output; "
            "set PYTHONIOENCODING=utf-8 or use a UTF-8 terminal"
        )
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"the disk is full{where}: {reason}; nothing was written"
        return f"{reason}{where}"
    if isinstance(exc, MemoryError):
        return "not enough memory for this input; it is larger than qrpay is meant to handle"
    if isinstance(exc, OverflowError):
        return f"a number or date is out of range ({exc})"
    if isinstance(exc, sqlite3.Error):
        return f"the register could not be used: {exc}"
    return None


class QrpayGroup(TyperGroup):
    """Turns qrpay's own errors and click's usage errors into one ``Error:`` line, exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            raise fail(f"{exc.format_message()} (see 'qrpay --help')") from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QrpayError as exc:
            raise fail(str(exc)) from None
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "qrpay"
            raise fail(f"{exc.format_message()} (see '{command} --help')") from None
        except (OSError, MemoryError, OverflowError, UnicodeEncodeError, sqlite3.Error) as exc:
            message = explain(exc)
            if message is None:  # pragma: no cover - every class above has a sentence
                raise
            raise fail(message) from None


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
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="A shared PostgreSQL register, postgresql://USER[:PASSWORD]@HOST[:PORT]/DB (default: "
            "$QRPAY_DATABASE_URL, else the SQLite file in the home folder).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = {"home": home, "base_url": base_url, "database_url": database_url}


def desk(ctx: typer.Context) -> Qrpay:
    """The Qrpay for this invocation, closed when the command ends."""
    root = ctx.find_root()
    overrides = root.obj or {}
    qrpay = Qrpay(
        Settings.load(
            home=overrides.get("home"), base_url=overrides.get("base_url"), database_url=overrides.get("database_url")
        )
    )
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
