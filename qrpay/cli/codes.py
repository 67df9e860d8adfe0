"""qrpay mint / verify / revoke / list / show."""

from __future__ import annotations

from typing import Annotated

import typer

from ..api import Qrpay
from ..codes import token
from ..codes.money import yuan
from ..codes.record import Code
from ..render.sample import SAMPLE_WARNING, is_sample
from ..verify import Verdict
from .app import EXIT_NEGATIVE, JsonFlag, app, desk, emit, emit_json
from .tables import text_table

mint_app = typer.Typer(help="Mint a code (or get back the live one for the same purpose).", no_args_is_help=True)
app.add_typer(mint_app, name="mint")


def code_lines(qrpay: Qrpay, code: Code) -> list[str]:
    """A code for people: what it is for, the payment code, the payload, its state."""
    info = qrpay.describe(code)
    title = info["name"] if code.kind == "unified" else f"{info['item']} {info['department']} · {info['name']}"
    extra = f" · {code.scene}" if code.scene else ""
    window = ""
    if code.valid_from or code.valid_until:
        window = f"  valid {code.valid_from or '…'} to {code.valid_until or '…'}"
    state = f"REVOKED {code.revoked_at}: {code.revoked_reason}" if code.revoked else "live"
    lines = [
        f"{code.id}  {code.kind}  {title}{extra}",
        f"  payment code  {code.payment_code}",
        f"  payload       {code.payload}",
        f"  QR version {code.qr_version}, key {code.kid}, created {code.created_at}, {state}{window}",
    ]
    if code.bill:
        due = f", due {code.bill.due}" if code.bill.due else ""
        lines.insert(
            1, f"  bill          {yuan(code.bill.amount_fen)} yuan · {code.bill.payer} · notice {code.bill.notice}{due}"
        )
    return lines


def show_minted(ctx: typer.Context, qrpay: Qrpay, code: Code, new: bool, json_out: bool) -> None:
    if is_sample(code.payload):
        typer.echo(SAMPLE_WARNING, err=True)
    if json_out:
        emit_json({**qrpay.describe(code), "new": new})
        return
    typer.echo(("Minted " if new else "Already minted (same purpose, reused) ") + code.id)
    typer.echo("\n".join(code_lines(qrpay, code)))


@mint_app.command("unified")
def mint_unified(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="The city-wide purpose: traffic-fine or education.")],
    json_out: JsonFlag = False,
) -> None:
    """The one city-wide code for a systemic business (全市统一)."""
    qrpay = desk(ctx)
    show_minted(ctx, qrpay, *qrpay.mint_unified(group), json_out)


@mint_app.command("scene")
def mint_scene(
    ctx: typer.Context,
    item: Annotated[str, typer.Option("--item", help="Catalog item code, e.g. 09.")],
    scene: Annotated[str, typer.Option("--scene", help='Where the code hangs, e.g. "window 3" (max 64 characters).')],
    json_out: JsonFlag = False,
) -> None:
    """A department's code for one window, website, account or notice."""
    qrpay = desk(ctx)
    show_minted(ctx, qrpay, *qrpay.mint_scene(item, scene), json_out)


@mint_app.command("open")
def mint_open(
    ctx: typer.Context,
    item: Annotated[str, typer.Option("--item", help="Emergency-eligible catalog item, e.g. 06.")],
    valid_from: Annotated[str | None, typer.Option("--valid-from", help="First valid day, YYYY-MM-DD.")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="Last valid day, YYYY-MM-DD.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """An open fallback code (一费一码): the payer enters amount and reference."""
    qrpay = desk(ctx)
    show_minted(ctx, qrpay, *qrpay.mint_open(item, valid_from, valid_until), json_out)


@mint_app.command("bill")
def mint_bill(
    ctx: typer.Context,
    item: Annotated[str, typer.Option("--item", help="Catalog item code, e.g. 18.")],
    amount: Annotated[str, typer.Option("--amount", help="The amount owed in yuan, e.g. 200.00.")],
    payer: Annotated[str, typer.Option("--payer", help="The payer's name (person or enterprise).")],
    notice: Annotated[str, typer.Option("--notice", help="The notice number, e.g. 3301002026120100001.")],
    due: Annotated[str | None, typer.Option("--due", help="Pay by this day, YYYY-MM-DD (late fees after it).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """A bill: the code for one notice, with a fixed amount, payer and due date."""
    qrpay = desk(ctx)
    show_minted(ctx, qrpay, *qrpay.mint_bill(item, amount, payer, notice, due), json_out)


def verdict_line(verdict: Verdict) -> str:
    where = f"{verdict.source}: " if verdict.source else ""
    name = verdict.code.id + " " if verdict.code else ""
    copies = f" (×{verdict.count})" if verdict.count > 1 else ""
    return f"{where}{verdict.status.upper():<13} {name}{verdict.input}{copies}\n  {verdict.reason}"


@app.command()
def verify(
    ctx: typer.Context,
    inputs: Annotated[
        list[str], typer.Argument(help="Scanned URL, bare token, payment code, or image/PDF file.", show_default=False)
    ],
    json_out: JsonFlag = False,
) -> None:
    """Check codes: exit 0 only when every input is genuine, 1 otherwise."""
    qrpay = desk(ctx)
    verdicts = [verdict for text in inputs for verdict in qrpay.verify_input(text)]
    emit(
        json_out, [verdict.to_dict() for verdict in verdicts], "\n".join(verdict_line(verdict) for verdict in verdicts)
    )
    if not all(verdict.genuine for verdict in verdicts):
        raise typer.Exit(EXIT_NEGATIVE)


@app.command()
def revoke(
    ctx: typer.Context,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="Code id, e.g. C0000042.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")],
    json_out: JsonFlag = False,
) -> None:
    """Revoke a code: it verifies as revoked from now on, and a new one can be minted."""
    qrpay = desk(ctx)
    code = qrpay.revoke(code_id, reason)
    emit(json_out, qrpay.describe(code), f"Revoked {code.id} at {code.revoked_at}: {code.revoked_reason}")


@app.command("list")
def list_codes(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="unified, scene, open or bill.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Item code or unified group.")] = None,
    revoked: Annotated[
        bool | None, typer.Option("--revoked/--live", help="Only revoked, or only live codes.", show_default=False)
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many (default: all).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List minted codes, oldest first."""
    qrpay = desk(ctx)
    if kind is not None and kind not in token.KINDS:
        raise typer.BadParameter(f"kind must be unified, scene, open or bill, got {kind!r}")
    codes = qrpay.list_codes(kind=kind, item=item, revoked=revoked, limit=limit)
    if json_out:
        emit_json([qrpay.describe(code) for code in codes])
        return
    if not codes:
        typer.echo("No codes match.", err=True)
        return
    rows = []
    for code in codes:
        info = qrpay.describe(code)
        label = code.scene or (info["group"] if code.kind == "unified" else "")
        if code.bill:
            label = f"{yuan(code.bill.amount_fen)} yuan · notice {code.bill.notice}"
        rows.append(
            (code.id, code.kind, info["item"] or "--", code.payment_code, "revoked" if code.revoked else "live", label)
        )
    typer.echo(text_table(("ID", "KIND", "ITEM", "PAYMENT CODE", "STATE", "FOR"), rows))


@app.command()
def show(
    ctx: typer.Context,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="Code id, e.g. C0000042.")],
    json_out: JsonFlag = False,
) -> None:
    """Everything about one code, including the files rendered from it."""
    qrpay = desk(ctx)
    code = qrpay.get(code_id)
    renders = qrpay.renders(code)
    extra: dict = {}
    if code.bill:
        payment = qrpay.bill_payment(code)
        paid = (
            {"txn_id": payment.txn_id, "paid_at": payment.paid_at, "amount": yuan(payment.amount)} if payment else None
        )
        extra = {"amount_due": yuan(qrpay.amount_due(code)), "paid": paid}
    if json_out:
        emit_json({**qrpay.describe(code), **extra, "renders": renders})
        return
    typer.echo("\n".join(code_lines(qrpay, code)))
    if code.bill:
        paid = extra["paid"]
        state = f"PAID {paid['amount']} yuan by txn {paid['txn_id']} at {paid['paid_at']}" if paid else "not paid"
        typer.echo(f"  {state}; due today {extra['amount_due']} yuan")
    for render in renders:
        typer.echo(f"  rendered {render['created_at']}  {render['template']}  {render['path']}")
