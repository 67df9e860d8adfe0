"""qrpay users: the staff desk's accounts; qrpay audit-log: what was done, by whom, from where."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from ..errors import InputError
from ..users import ROLES, User
from .app import JsonFlag, app, desk, emit, emit_json
from .tables import text_table

users_app = typer.Typer(help="Users of the staff desk (qrpay desk): clerks and officers.", no_args_is_help=True)
app.add_typer(users_app, name="users")
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin instead of a prompt.")
]
ADDRESS = "local"  # where a command-line action comes from, in the audit trail


def actor() -> str:
    """Who ran this command, as the audit trail names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise InputError("--password-stdin: stdin holds no password")
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


def describe(user: User) -> str:
    where = ", ".join(user.departments) or "all departments"
    return f"{user.name} ({user.role}; {where}){' - disabled' if user.disabled_at else ''}"


@users_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name: letters, digits and . _ @ -")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    department: Annotated[
        list[str] | None, typer.Option(help="A clerk's department, as the catalog names it (repeatable).")
    ] = None,
    password_stdin: PasswordStdin = False,
    json_out: JsonFlag = False,
) -> None:
    """Add a desk user; the password is asked twice (or read from stdin) and kept only as a slow hash."""
    users = desk(ctx).users
    departments = users.check_new(name, role, department or [])  # before the password is asked
    user = users.add(name, role, departments, read_password(password_stdin))
    users.record(actor(), ADDRESS, "user-add", name, f"role={role} departments={','.join(departments)}")
    emit(json_out, user.to_dict(), f"Added {describe(user)}")


@users_app.command("list")
def list_users(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every desk user with role, departments and whether disabled (never a password hash)."""
    users = desk(ctx).users.all()
    if json_out:
        emit_json([user.to_dict() for user in users])
        return
    rows = [(u.name, u.role, ", ".join(u.departments) or "(all)", u.created_at, u.disabled_at or "-") for u in users]
    typer.echo(text_table(("NAME", "ROLE", "DEPARTMENTS", "CREATED", "DISABLED"), rows) if rows else "No users.")


@users_app.command("disable")
def disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user (kept for the audit trail); their desk sessions end at once."""
    qrpay = desk(ctx)
    user = qrpay.users.disable(name)
    qrpay.users.record(actor(), ADDRESS, "user-disable", name)
    typer.echo(f"Disabled {describe(user)}; their sessions have ended")


@users_app.command("passwd")
def passwd(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")], password_stdin: PasswordStdin = False
) -> None:
    """Set a user's password; their desk sessions end at once."""
    qrpay = desk(ctx)
    qrpay.users.get(name)
    qrpay.users.passwd(name, read_password(password_stdin))
    qrpay.users.record(actor(), ADDRESS, "user-passwd", name)
    typer.echo(f"Password of {name} changed; their sessions have ended")


@app.command("audit-log")
def audit_log(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's actions.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    json_out: JsonFlag = False,
) -> None:
    """The desk's audit trail: logins, downloads, minting, revoking, kits, reconciliations, user changes."""
    actions = desk(ctx).users.actions(user=user, limit=limit)
    if json_out:
        emit_json(actions)
        return
    columns = ("at", "user", "address", "action", "target", "detail")
    rows = [[action[c] for c in columns] for action in actions]
    typer.echo(text_table([c.upper() for c in columns], rows) if rows else "No actions recorded.")
