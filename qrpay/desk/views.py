"""The desk's pages: each parses the request, makes its Qrpay calls and renders the answer.

Every view runs in a worker thread with a :class:`Qrpay` of its own, opened for the request and
narrowed to the user's departments (:meth:`Qrpay.scoped`), so a clerk's request cannot reach
another department's code however it is spelled: the API answers NotFoundError, the desk 404.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request

from qrpay import Code, InputError, NotFoundError, Qrpay
from qrpay.codes.money import yuan
from qrpay.emergency.kit import make_kit
from qrpay.emergency.reconcile import reconcile
from qrpay.qr.decode import read_image_bytes
from qrpay.render import Template, extensions
from qrpay.users import Session, Window
from qrpay.xlsxfile import SUFFIXES as WORKBOOK_SUFFIXES

from .preview import PREVIEWS
from .preview import TEMPLATE as PREVIEW
from .texts import KINDS

PAGE_SIZE = 50
MAX_PAGES = 20  # pages a list reaches (and how far it counts); past them, a search narrows it
MEDIA = {".pdf": "application/pdf", ".png": "image/png", ".svg": "image/svg+xml", ".csv": "text/csv; charset=utf-8"}
MAX_QUERY = 100
A4_MM = (210.0, 297.0)
PRINT_DPI = 200  # the print page's poster image: fine enough for text, a few hundred KB
FIRST = ("notice-a4", "slip-a5", "poster-a4", "tent-a6", "labels-a4", "web")  # printed most, in that order


class Refused(Exception):
    """Answered with a message page and this status (403 for an officer's page, 404 for a code not seen)."""

    def __init__(self, status: int, heading: str):
        self.status = status
        self.heading = heading


@dataclass
class Ask:
    """One request, as a view sees it: who, from where, what the form said, and their Qrpay."""

    request: Request
    qrpay: Qrpay
    session: Session
    form: dict[str, str] = field(default_factory=dict)
    upload: UploadFile | None = None

    @property
    def address(self) -> str:
        client = self.request.client
        return client.host if client else "-"

    @property
    def user(self) -> str:
        return self.session.user.name

    def record(self, action: str, target: str = "", detail: str = "") -> None:
        self.qrpay.users.record(self.user, self.address, action, target, detail)

    def need_officer(self) -> None:
        if not self.session.user.officer:
            raise Refused(403, "此页面仅限管理员（officer）使用")


@dataclass(frozen=True)
class Page:
    """A page to render: template, status and what it shows."""

    template: str
    context: dict[str, object]
    status: int = 200


@dataclass(frozen=True)
class File:
    """A file to send: its bytes, name and type."""

    data: bytes
    name: str
    media: str
    etag: str = ""  # set: an image shown in the page, which the browser may keep; else a download never stored


Answer = Page | File | str  # a str is where to redirect (303)


def row(qrpay: Qrpay, code: Code) -> dict[str, object]:
    info = qrpay.describe(code)
    subject = qrpay.subject(code)
    return {
        **info,
        "kind_name": KINDS.get(code.kind, code.kind),
        "department": info["department"] or qrpay.catalog.department_of(subject) or "多个部门",
        "state": code.window_status(qrpay.today()) or ("revoked" if code.revoked else "live"),
    }


def bill_facts(qrpay: Qrpay, code: Code) -> dict[str, object] | None:
    """A bill's standing for its page: the amount due today (late fee included) and the payment, if paid."""
    if code.bill is None:
        return None
    paid = qrpay.bill_payment(code)
    due = qrpay.amount_due(code)
    return {
        "due_today": yuan(due),
        "late_fee": yuan(due - code.bill.amount_fen),
        "paid": paid,
        "paid_amount": yuan(paid.amount) if paid else None,
    }


def code_list(ask: Ask) -> Page:
    """The codes the user may see, newest first, searched, filtered and paged by the register itself."""
    params = ask.request.query_params
    query = params.get("q", "").strip()[:MAX_QUERY]
    kind = params.get("kind", "")
    state = params.get("state", "")
    kinds = kind if kind in KINDS else None
    revoked = {"live": False, "revoked": True}.get(state)
    try:
        page = min(MAX_PAGES, max(1, int(params.get("page", "1"))))
    except ValueError:
        page = 1
    found, total = ask.qrpay.find_codes(query, window(kinds, revoked, page))
    pages = max(1, min(MAX_PAGES, -(-total // PAGE_SIZE)))
    if page > pages:  # past the last page: show the last
        page = pages
        found, total = ask.qrpay.find_codes(query, window(kinds, revoked, page))
    filters = {"q": query, "kind": kind if kinds else "", "state": state if revoked is not None else ""}
    more = total > MAX_PAGES * PAGE_SIZE  # counted no further: the search should be narrowed
    rows = [row(ask.qrpay, code) for code in found]
    return Page(
        "list.html",
        {
            "rows": rows,
            "total": min(total, MAX_PAGES * PAGE_SIZE),
            "more": more,
            "page": page,
            "pages": pages,
            "filters": filters,
        },
    )


def window(kind: str | None, revoked: bool | None, page: int) -> Window:
    """*page* of the list of *kind* and state, counted to one past the last page the list reaches."""
    return Window(kind, revoked, (page - 1) * PAGE_SIZE, PAGE_SIZE, MAX_PAGES * PAGE_SIZE + 1)


def code_page(ask: Ask, code_id: str, error: str = "", status: int = 200) -> Page:
    qrpay = ask.qrpay
    code = find(qrpay, code_id)
    trail = qrpay.users.actions(target=code.id, limit=200)
    fits = [t for t in qrpay.templates() if code.kind in t.kinds]  # a notice prints bills, a poster the others
    layouts = sorted(fits, key=lambda t: (FIRST.index(t.name) if t.name in FIRST else len(FIRST), t.name))
    downloads = [(t, [ext.lstrip(".") for ext in extensions(t) if ext != ".html"]) for t in layouts]
    a4 = {t.name for t in layouts if t.format == "pdf" and (t.page_width, t.page_height) == A4_MM}
    return Page(
        "code.html",
        {
            "code": row(qrpay, code),
            "bill": bill_facts(qrpay, code),
            "printable": not code.revoked and code.window_status(qrpay.today()) != "expired",
            "downloads": downloads,
            "a4": a4,
            "preview": PREVIEW in {t.name for t in layouts},
            "renders": history(qrpay, code, trail),
            "trail": [action for action in trail if action["action"] != "download"],
            "error": error,
        },
        status,
    )


def history(qrpay: Qrpay, code: Code, trail: list[dict[str, object]]) -> list[dict[str, object]]:
    """The code's renders, newest first, each with the desk user who downloaded it (the CLI's: no one)."""
    by = {str(a["detail"]).rpartition("sha256=")[2]: a["user"] for a in trail if a["action"] == "download"}
    return [{**render, "user": by.get(render["sha256"], "")} for render in reversed(qrpay.renders(code))]


def preview(ask: Ask, code_id: str) -> File:
    """The code page's image: the web template's PNG, self-checked, not in the render history."""
    code = find(ask.qrpay, code_id)
    web = {layout.name: layout for layout in ask.qrpay.templates()}.get(PREVIEW)
    if web is None or code.kind not in web.kinds:
        raise Refused(404, "此类缴款码没有网页预览")
    if code.revoked or code.window_status(ask.qrpay.today()) == "expired":  # asked before any kept copy is
        raise Refused(410, "此缴款码已不能打印；请发新码")
    tag = PREVIEWS.etag(code, web)  # with the template as it is now: an edited web.toml is a new image
    if ask.request.headers.get("if-none-match") == tag:  # the browser's copy is current: no drawing
        return File(b"", f"{code.id}-preview.png", MEDIA[".png"], tag)
    return File(PREVIEWS.png(ask.qrpay, code, web), f"{code.id}-preview.png", MEDIA[".png"], tag)


def find(qrpay: Qrpay, code_id: str) -> Code:
    try:
        return qrpay.get(code_id)
    except (NotFoundError, InputError):
        raise Refused(404, "没有这个缴款码，或您无权查看") from None


def download(ask: Ask, code_id: str, filename: str) -> File:
    """A code rendered with a template, self-checked by the render layer, recorded with the user."""
    code = find(ask.qrpay, code_id)
    template, _, ext = filename.rpartition(".")
    layouts = {layout.name: layout for layout in ask.qrpay.templates()}
    if template not in layouts or f".{ext}" not in extensions(layouts[template]) or ext == "html":
        raise Refused(404, "没有这个版式或格式")
    if code.kind not in layouts[template].kinds:  # a notice prints bills only, a poster never a bill
        raise Refused(404, f"{template} 版式不适用于{KINDS.get(code.kind, code.kind)}")
    with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
        path = Path(folder) / f"{code.id}-{template}.{ext}"
        try:
            rendered = ask.qrpay.render(code.id, template, path)
        except InputError as exc:  # revoked or expired: nothing to print
            raise Refused(410, f"无法生成：{exc}") from None
        data = path.read_bytes()
    ask.record("download", code.id, f"{template}.{ext} sha256={rendered.sha256}")
    return File(data, path.name, MEDIA[f".{ext}"])


def a4_template(qrpay: Qrpay, name: str, code: Code) -> Template:
    """The PDF template *name*, if it prints *code* on A4 (the print page's stylesheet is for A4 only)."""
    found = {layout.name: layout for layout in qrpay.templates()}.get(name)
    if found is None or found.format != "pdf" or (found.page_width, found.page_height) != A4_MM:
        raise Refused(404, "没有这个 A4 版式")
    if code.kind not in found.kinds:
        raise Refused(404, f"{name} 版式不适用于{KINDS.get(code.kind, code.kind)}")
    return found


def print_page(ask: Ask, code_id: str, template: str) -> Page:
    """The poster as one A4 image under ``@page { size: A4; margin: 0 }``: the browser prints it at 100 %."""
    code = find(ask.qrpay, code_id)
    return Page("print.html", {"code": row(ask.qrpay, code), "layout": a4_template(ask.qrpay, template, code)})


def print_image(ask: Ask, code_id: str, template: str) -> File:
    """The A4 PDF rendered (self-checked, recorded), drawn as a PNG at PRINT_DPI, read back too."""
    code = find(ask.qrpay, code_id)
    a4_template(ask.qrpay, template, code)
    with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
        path = Path(folder) / f"{code.id}-{template}.pdf"
        try:
            rendered = ask.qrpay.render(code.id, template, path)
        except InputError as exc:
            raise Refused(410, f"无法生成：{exc}") from None
        data = raster(path.read_bytes(), PRINT_DPI)
    if set(read_image_bytes(data)) != {code.payload}:
        raise RuntimeError(f"the print image of {code.id} ({template}) does not read back as its code")
    ask.record("print", code.id, f"{template}.pdf sha256={rendered.sha256}")
    return File(data, f"{code.id}-{template}.png", MEDIA[".png"])


def raster(pdf: bytes, dpi: int) -> bytes:
    """The first page of *pdf* as a colour PNG at *dpi* (its physical size kept in the file)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def revoke(ask: Ask, code_id: str) -> Answer:
    ask.need_officer()
    code = find(ask.qrpay, code_id)
    if code.revoked:
        return code_page(ask, code.id, f"此缴款码已于 {code.revoked_at} 作废（{code.revoked_reason}）", 409)
    reason = ask.form.get("reason", "")
    try:
        ask.qrpay.revoke(code.id, reason)
    except InputError as exc:
        return code_page(ask, code.id, str(exc), 400)
    ask.record("revoke", code.id, reason)
    return f"/codes/{code.id}"


def mint_form(ask: Ask, error: str = "", status: int = 200, kind: str = "") -> Page:
    ask.need_officer()
    catalog = ask.qrpay.catalog
    return Page(
        "mint.html",
        {
            "items": list(catalog.items.values()),
            "emergency": catalog.emergency_items(),
            "groups": list(catalog.groups.values()),
            "today": ask.qrpay.today().isoformat(),
            "error": error,
            "failed": kind,
            "form": ask.form,
        },
        status,
    )


def mint(ask: Ask, kind: str) -> Answer:
    """Mint as the CLI's ``qrpay mint KIND`` does, with its checks and messages."""
    ask.need_officer()
    form, qrpay = ask.form, ask.qrpay
    try:
        if kind == "scene":
            code, new = qrpay.mint_scene(form.get("item", ""), form.get("scene", ""))
        elif kind == "open":
            code, new = qrpay.mint_open(
                form.get("item", ""), form.get("valid_from") or None, form.get("valid_until") or None
            )
        elif kind == "unified":
            code, new = qrpay.mint_unified(form.get("group", ""))
        elif kind == "bill":
            item, amount, payer, notice = (form.get(name, "") for name in ("item", "amount", "payer", "notice"))
            code, new = qrpay.mint_bill(item, amount, payer, notice, form.get("due") or None)
        else:
            raise Refused(404, "没有这种缴款码")
    except (InputError, NotFoundError) as exc:
        return mint_form(ask, str(exc), 400, kind)
    ask.record("mint", code.id, f"{kind} {'new' if new else 'existing'}")
    return f"/codes/{code.id}"


def kit_form(ask: Ask, error: str = "", status: int = 200) -> Page:
    ask.need_officer()
    items = ask.qrpay.catalog.emergency_items()
    return Page("kit.html", {"items": items, "error": error, "form": ask.form}, status)


def kit(ask: Ask) -> Answer:
    """The emergency kit PDF (make_kit: open codes minted or reused, every poster read back)."""
    ask.need_officer()
    chosen = [key[5:] for key in ask.form if key.startswith("item-")]
    with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
        path = Path(folder) / f"emergency-kit-{ask.qrpay.today()}.pdf"
        try:
            made = make_kit(
                ask.qrpay,
                path,
                items=chosen,
                valid_from=ask.form.get("valid_from") or None,
                valid_until=ask.form.get("valid_until") or None,
            )
        except (InputError, NotFoundError) as exc:
            return kit_form(ask, str(exc), 400)
        data = path.read_bytes()
    ask.record("kit", ",".join(code.id for code in made.codes), f"sha256={made.sha256}")
    return File(data, path.name, MEDIA[".pdf"])


def reconcile_page(ask: Ask) -> Answer:
    """Reconcile an uploaded statement, CSV or Excel workbook (as 'qrpay reconcile'); the summary, or the report as CSV."""
    ask.need_officer()
    if ask.request.method == "GET":
        return Page("reconcile.html", {"report": None, "error": ""})
    upload = ask.upload
    if upload is None or not upload.filename:
        return Page("reconcile.html", {"report": None, "error": "请选择对账单文件（CSV 或 Excel .xlsx）"}, 400)
    name = Path(upload.filename).name[:100] or "statement.csv"
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in WORKBOOK_SUFFIXES else ".csv"
    with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
        path = Path(folder) / f"statement{suffix}"  # a workbook is known by its suffix (or its zip signature)
        path.write_bytes(upload.file.read())
        try:
            report = reconcile(ask.qrpay, path, name=name)
        except InputError as exc:
            return Page("reconcile.html", {"report": None, "error": str(exc)}, 400)
        ask.record("reconcile", name, f"run={report.run.id} " + " ".join(f"{k}={v}" for k, v in report.summary.items()))
        if ask.form.get("as") == "csv":
            out = Path(folder) / "report.csv"
            report.write_csv(out)
            return File(out.read_bytes(), f"reconciliation-{report.run.id}.csv", MEDIA[".csv"])
    return Page("reconcile.html", {"report": report, "error": "", "name": name})


def audit(ask: Ask) -> Page:
    ask.need_officer()
    user = ask.request.query_params.get("user", "").strip()[:64] or None
    return Page("audit.html", {"trail": ask.qrpay.users.actions(user=user, limit=500), "who": user or ""})
