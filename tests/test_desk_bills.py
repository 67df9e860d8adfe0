"""qrpay desk knows bills: officers mint them with the CLI's checks, the list and a bill's page show
the notice, the amount due and whether it is paid, and a bill prints only on the notice templates."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import today
from test_desk import csrf_of, login

from qrpay.emergency.reconcile import reconcile
from qrpay.qr.decode import read_image_bytes, read_pdf_pages

pytestmark = pytest.mark.usefixtures("engine")
OFFICER = "officer-password-1"
CLERK = "clerk-password-1"
NOTICE = "3301002026120100001"


def client_for(desk_app, desk, name: str, role: str, departments: list[str], password: str):
    desk.users.add(name, role, departments, password)
    client = desk_app()
    assert login(client, name, password).status_code == 303
    client.token = csrf_of(client.get("/").text)
    return client


@pytest.fixture
def officer(desk_app, desk):
    return client_for(desk_app, desk, "olga", "officer", [], OFFICER)


def mint_bill(client, **form):
    fields = {"item": "18", "amount": "200.00", "payer": "张三", "notice": NOTICE, "due": "", **form}
    return client.post("/mint/bill", data={**fields, "csrf": client.token})


def test_an_officer_mints_a_bill_as_the_cli_does_and_again_gets_the_same_code(officer, desk):
    due = today() + timedelta(days=15)
    first = mint_bill(officer, due=str(due))
    [bill] = desk.list_codes()
    assert first.status_code == 303 and first.headers["location"] == f"/codes/{bill.id}"
    assert (bill.kind, bill.bill.amount_fen, bill.bill.payer, bill.bill.notice, bill.bill.due) == (
        "bill",
        20000,
        "张三",
        NOTICE,
        due,
    )
    again = mint_bill(officer, due=str(due))
    assert again.headers["location"] == f"/codes/{bill.id}" and len(desk.list_codes()) == 1
    assert [a["detail"] for a in desk.users.actions(user="olga", limit=2)] == ["bill existing", "bill new"]


@pytest.mark.parametrize(
    "form, args",
    [
        ({"amount": "0"}, ["--amount", "0"]),
        ({"amount": "12.345"}, ["--amount", "12.345"]),
        ({"amount": "二百"}, ["--amount", "二百"]),
        ({"payer": ""}, ["--payer", ""]),
        ({"notice": "x" * 100}, ["--notice", "x" * 100]),
        ({"due": "2020-01-01"}, ["--due", "2020-01-01"]),
        ({"item": "99"}, ["--item", "99"]),
    ],
)
def test_an_invalid_bill_form_shows_the_clis_message_and_mints_nothing(officer, desk, cli, form, args):
    defaults = {"--item": "18", "--amount": "200.00", "--payer": "张三", "--notice": NOTICE}
    defaults.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = cli("mint", "bill", *[part for pair in defaults.items() for part in pair])
    assert result.exit_code == 2
    expected = result.stderr.strip().removeprefix("Error: ")
    answer = mint_bill(officer, **form)
    assert answer.status_code == 400
    assert html.escape(expected, quote=False) in answer.text.replace("&#34;", '"').replace("&#39;", "'")
    assert desk.list_codes() == []


def test_a_bills_page_shows_its_notice_amount_due_and_only_the_notice_templates(officer, desk, tmp_path):
    bill, _ = desk.mint_bill("18", "200.00", "张三", NOTICE, today())
    listing = officer.get("/?kind=bill").text
    assert f"通知书 {NOTICE} · ¥200.00" in listing and bill.id in listing
    page = officer.get(f"/codes/{bill.id}").text
    assert "张三" in page and NOTICE in page and "¥200.00" in page and "今日应缴" in page
    assert f"/codes/{bill.id}/notice-a4.pdf" in page and f"/codes/{bill.id}/slip-a5.pdf" in page
    assert "poster-a4" not in page and "labels-a4" not in page
    preview = officer.get(f"/codes/{bill.id}/web.png")
    assert preview.status_code == 200 and read_image_bytes(preview.content) == [bill.payload]
    scene, _ = desk.mint_scene("09", "窗口 1")
    scene_page = officer.get(f"/codes/{scene.id}").text
    assert "notice-a4" not in scene_page and "poster-a4" in scene_page

    notice = officer.get(f"/codes/{bill.id}/notice-a4.pdf")
    assert notice.status_code == 200 and notice.headers["content-type"] == "application/pdf"
    assert read_pdf_pages(notice.content) == [[bill.payload]]
    assert officer.get(f"/codes/{scene.id}/notice-a4.pdf").status_code == 404  # a notice prints bills only
    assert officer.get(f"/codes/{scene.id}/print/notice-a4").status_code == 404
    assert officer.get(f"/codes/{bill.id}/poster-a4.pdf").status_code == 404
    assert officer.get(f"/codes/{bill.id}/print/notice-a4").status_code == 200


def test_a_late_bill_shows_the_late_fee_and_a_paid_one_shows_its_payment(officer, desk, tmp_path, monkeypatch):
    bill, _ = desk.mint_bill("18", "200.00", "张三", NOTICE, today())
    import qrpay.clock

    late_day = today() + timedelta(days=3)
    monkeypatch.setattr(qrpay.clock, "today", lambda tz: late_day)  # three days late
    late = officer.get(f"/codes/{bill.id}").text
    assert "今日应缴</dt><dd>¥218.00（含加处罚款 ¥18.00）" in late
    monkeypatch.undo()
    statement = Path(tmp_path / "s.csv")
    statement.write_text(
        f"txn_id,paid_at,amount,code,reference\nT-77,{today()} 10:00,200.00,{bill.payment_code},{NOTICE}\n", "utf-8"
    )
    assert [row["class"] for row in reconcile(desk, statement).rows] == ["matched"]
    page = officer.get(f"/codes/{bill.id}").text
    assert "已缴款" in page and "T-77" in page and "今日应缴" not in page


def test_a_clerk_sees_only_their_departments_bills(desk_app, desk):
    fine, _ = desk.mint_bill("18", "200.00", "张三", NOTICE, today())  # 交警
    fee, _ = desk.mint_bill("01", "1000.00", "李四", "JY-1", today())  # 教育
    clerk = client_for(desk_app, desk, "wang", "clerk", [desk.catalog.items["01"].department], CLERK)
    listing = clerk.get("/?kind=bill").text
    assert fee.id in listing and fine.id not in listing
    assert clerk.get(f"/codes/{fine.id}").status_code == 404
    assert clerk.get(f"/codes/{fine.id}/notice-a4.pdf").status_code == 404
    assert clerk.post("/mint/bill", data={"csrf": clerk.token}).status_code == 403
