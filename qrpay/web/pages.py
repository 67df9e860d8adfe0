"""The payer's page: what a code is for, or a red warning not to pay; and the continue form."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from qrpay import Code, Group, Qrpay, __version__
from qrpay.codes.money import yuan

from .cache import CACHEABLE
from .payment import Payment, parse_amount, parse_reference, platform_link
from .reader import Reader
from .settings import ServeSettings
from .texts import IN_APP_REPORT, WARNINGS, in_app_browser

MAX_TOKEN = 200  # tokens are about 30 characters; anything much longer is not one
HTTP_STATUS = {"genuine": 200, "revoked": 410, "expired": 410}
FORM_TYPE = "application/x-www-form-urlencoded"

templates = Environment(
    loader=PackageLoader("qrpay.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class BillView:
    """A bill as its payer's page shows it: the payer masked, the amount due today."""

    item: str
    payer: str  # masked
    notice: str
    amount: str  # the bill's own amount, yuan
    due_today: str  # what paying today costs, yuan, late fee included
    late_fee: str  # the late fee in that ("" when none is due)
    rule: str  # the item's late-fee rule, one sentence ("" when it has none)
    due: str
    paid_at: str  # "" while the bill is open


def bill_view(qrpay: Qrpay, code: Code) -> BillView:
    assert code.bill is not None
    due_today = qrpay.amount_due(code)
    rule = qrpay.catalog.late_fee(code)
    payment = qrpay.bill_payment(code)
    return BillView(
        item=f"{code.number:02d}",
        payer=code.bill.masked_payer,
        notice=code.bill.notice,
        amount=yuan(code.bill.amount_fen),
        due_today=yuan(due_today),
        late_fee=yuan(due_today - code.bill.amount_fen) if due_today > code.bill.amount_fen else "",
        rule=rule.describe() if rule else "",
        due=code.bill.due.isoformat() if code.bill.due else "",
        paid_at=payment.paid_at if payment else "",
    )


@dataclass
class CodePage:
    """What the page shows about one opened link."""

    status: str
    opened: str  # what the link carried, shown (escaped, cut short) on warning pages
    kind: str = ""
    payment_code: str = ""
    department: str = ""
    name: str = ""
    english: str = ""
    scene: str = ""
    valid_from: str = ""
    valid_until: str = ""
    items: list[tuple[str, str, Decimal | None, Decimal | None]] = field(default_factory=list)
    bill: BillView | None = None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.status, 404)


def look_up(qrpay: Qrpay, token: str) -> CodePage:
    """Verify the link's token exactly as a scan of ``base_url + token`` and gather what the page shows."""
    if len(token) > MAX_TOKEN:
        return CodePage("malformed", token[:80])
    verdict = qrpay.verify(qrpay.settings.base_url + token)
    page = CodePage(verdict.status, token[:80])
    code = verdict.code
    if code is None or verdict.status not in ("genuine", "revoked", "expired", "not-yet-valid"):
        return page
    subject = qrpay.subject(code)
    catalog = qrpay.catalog
    members = [catalog.items[c] for c in subject.items] if isinstance(subject, Group) else [subject]
    page.kind = code.kind
    page.payment_code = code.payment_code
    page.department = "、".join(dict.fromkeys(item.department for item in members))
    page.name = subject.title if isinstance(subject, Group) else subject.name
    page.english = next((item.name_en for item in members if item.name_en), "")  # items paid by foreigners
    page.scene = code.scene or ""
    page.valid_from = code.valid_from.isoformat() if code.valid_from else ""
    page.valid_until = code.valid_until.isoformat() if code.valid_until else ""
    page.items = [(i.code, i.name, i.amount_min, i.amount_max) for i in members]
    if code.bill is not None:
        page.bill = bill_view(qrpay, code)
    return page


def check_form(page: CodePage, form: dict[str, str]) -> tuple[Payment | None, dict[str, str]]:
    """The payment the form asks for, or the errors to show per field."""
    errors: dict[str, str] = {}
    by_code = {code: (low, high) for code, _, low, high in page.items}
    item = form.get("item", "") if len(page.items) > 1 else page.items[0][0]
    if item not in by_code:
        errors["item"] = "请选择缴费项目 · Choose the fee item"
        low = high = None
    else:
        low, high = by_code[item]
    amount, amount_error = parse_amount(form.get("amount", ""), low, high)
    reference, reference_error = parse_reference(form.get("reference", ""))
    errors.update(
        (name, message) for name, message in (("amount", amount_error), ("reference", reference_error)) if message
    )
    if errors or amount is None or reference is None:
        return None, errors
    return Payment(page.payment_code.replace(" ", ""), item, amount, reference), {}


class Pages:
    """The page views, bound to the app's settings and reader."""

    def __init__(self, serve: ServeSettings, reader: Reader, static_url: str):
        self.serve = serve
        self.reader = reader
        self.common = {
            "platform": serve.platform,
            "payee": serve.payee,
            "contact": serve.contact,
            "css": f"{static_url}qrpay.css?v={__version__}",
            "can_pay": serve.settings.pay_url is not None,
        }

    def html(self, template: str, status: int, request: Request, **context: object) -> HTMLResponse:
        app_hint = in_app_browser(request.headers.get("user-agent", ""))
        body = templates.get_template(template).render(
            **self.common, **context, report_hint=IN_APP_REPORT.get(app_hint or "", "")
        )
        headers = {"cache-control": "no-store", "vary": "User-Agent"}
        return HTMLResponse(body, status_code=status, headers=headers)

    def code_response(self, request: Request, page: CodePage, form: dict, errors: dict, status: int) -> Response:
        return self.html(
            "code.html", status, request, page=page, warning=WARNINGS.get(page.status), form=form, errors=errors
        )

    async def code(self, request: Request) -> Response:
        token = request.path_params["token"]
        page = self.reader.read(lambda qrpay: look_up(qrpay, token))
        if request.method != "POST":
            request.scope[CACHEABLE] = True  # the verdict's page: the same until the marker changes
            return self.code_response(request, page, {}, {}, page.http_status)
        if page.status != "genuine":
            return self.code_response(request, page, {}, {}, page.http_status)
        if not self.common["can_pay"]:
            return self.message(request, 503, "在线缴款暂未开通", "Online payment is not available yet.")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
            return self.message(request, 415, "无法识别提交的内容", "The form must be sent as a web form.")
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            form = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=10))
        except ValueError:  # more fields than the form has: nothing of it is used
            form = {}
        if page.bill is not None:  # the bill's own amount, whatever the request carries
            if page.bill.paid_at:
                return self.code_response(request, page, {}, {}, 409)
            payment: Payment | None = Payment(
                page.payment_code.replace(" ", ""), page.bill.item, Decimal(page.bill.due_today), page.bill.notice
            )
            errors: dict[str, str] = {}
        else:
            payment, errors = check_form(page, form)
        if payment is None:
            return self.code_response(request, page, form, errors, 400)
        pay_url = self.serve.settings.pay_url
        assert pay_url is not None  # can_pay says there is one
        link = platform_link(pay_url, payment)
        return RedirectResponse(link, status_code=303, headers={"cache-control": "no-store"})

    def message(self, request: Request, status: int, heading: str, english: str) -> HTMLResponse:
        return self.html("message.html", status, request, heading=heading, english=english, path=request.url.path[:200])
