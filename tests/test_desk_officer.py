"""qrpay desk, the officers' pages: minting and revoking as the CLI does, emergency kits, reconciliation."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from helpers import in_months
from test_desk import csrf_of, login

from qrpay.qr.decode import read_pdf_pages

pytestmark = pytest.mark.usefixtures("engine")
OFFICER = "officer-password-1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def officer(desk_app, desk, cheap_hashes):
    desk.users.add("olga", "officer", [], OFFICER)
    client = desk_app()
    assert login(client, "olga", OFFICER).status_code == 303
    client.token = csrf_of(client.get("/").text)
    return client


def post(client, path, **form):
    return client.post(path, data={**form, "csrf": client.token})


def cli_error(cli, *args) -> str:
    result = cli(*args)
    assert result.exit_code == 2
    return result.stderr.strip().removeprefix("Error: ")


def test_minting_each_kind_goes_to_the_new_codes_page_and_is_recorded(officer, desk):
    scene = post(officer, "/mint/scene", item="09", scene="窗口 7")
    opened = post(officer, "/mint/open", item="06", valid_from="", valid_until="")
    unified = post(officer, "/mint/unified", group="education")
    minted = desk.list_codes()
    assert [(c.kind, c.scene) for c in minted] == [("scene", "窗口 7"), ("open", None), ("unified", None)]
    assert [r.headers["location"] for r in (scene, opened, unified)] == [f"/codes/{c.id}" for c in minted]
    again = post(officer, "/mint/scene", item="09", scene="窗口 7")  # the live code of that purpose
    assert again.headers["location"] == f"/codes/{minted[0].id}" and len(desk.list_codes()) == 3
    trail = desk.users.actions(user="olga")
    assert [(a["action"], a["detail"]) for a in trail[:4]] == [
        ("mint", "scene existing"),
        ("mint", "unified new"),
        ("mint", "open new"),
        ("mint", "scene new"),
    ]


@pytest.mark.parametrize(
    ("path", "form", "cli_args"),
    [
        ("/mint/scene", {"item": "99", "scene": "窗口 1"}, ["mint", "scene", "--item", "99", "--scene", "窗口 1"]),
        ("/mint/scene", {"item": "09", "scene": ""}, ["mint", "scene", "--item", "09", "--scene", ""]),
        ("/mint/scene", {"item": "09", "scene": "x" * 300}, ["mint", "scene", "--item", "09", "--scene", "x" * 300]),
        ("/mint/open", {"item": "01"}, ["mint", "open", "--item", "01"]),
        (
            "/mint/open",
            {"item": "06", "valid_from": "2020-13-01"},
            ["mint", "open", "--item", "06", "--valid-from", "2020-13-01"],
        ),
        (
            "/mint/open",
            {"item": "06", "valid_from": str(in_months(2)), "valid_until": str(in_months(1))},
            ["mint", "open", "--item", "06", "--valid-from", str(in_months(2)), "--valid-until", str(in_months(1))],
        ),
        ("/mint/unified", {"group": "parking"}, ["mint", "unified", "parking"]),
    ],
)
def test_an_invalid_mint_form_shows_the_clis_message_with_400_and_mints_nothing(
    officer, desk, cli, path, form, cli_args
):
    expected = cli_error(cli, *cli_args)
    response = post(officer, path, **form)
    assert response.status_code == 400
    shown = re.search(r'<p class="error" id="form-error" role="alert">(.*?)</p>', response.text, re.S).group(1)
    assert html.unescape(shown) == expected
    assert desk.list_codes() == []


def test_a_scene_is_shown_escaped(officer, desk):
    response = post(officer, "/mint/scene", item="09", scene='<img src=x onerror="alert(1)">')
    page = officer.get(response.headers["location"]).text
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_revoking_needs_a_reason_and_records_it(officer, desk):
    code = desk.mint_scene("09", "窗口 1")[0]
    empty = post(officer, f"/codes/{code.id}/revoke", reason="  ")
    assert empty.status_code == 400 and not desk.get(code.id).revoked
    assert html.escape(cli_error_text_for_empty_reason(desk, code.id), quote=True) in empty.text
    done = post(officer, f"/codes/{code.id}/revoke", reason="窗口撤销")
    assert done.status_code == 303 and desk.get(code.id).revoked_reason == "窗口撤销"
    assert desk.users.actions(user="olga", limit=1)[0] | {"id": 0, "at": ""} == {
        "id": 0,
        "at": "",
        "user": "olga",
        "address": "192.0.2.20",
        "action": "revoke",
        "target": code.id,
        "detail": "窗口撤销",
    }
    again = post(officer, f"/codes/{code.id}/revoke", reason="again")
    assert again.status_code == 409 and "已于" in again.text and desk.get(code.id).revoked_reason == "窗口撤销"


def cli_error_text_for_empty_reason(desk, code_id: str) -> str:
    try:
        desk.revoke(code_id, "  ")
    except Exception as exc:  # the same InputError the CLI prints
        return str(exc)
    raise AssertionError("an empty reason was accepted")


def test_the_emergency_kit_is_a_real_pdf_of_open_codes_recorded_with_the_user(officer, desk):
    assert officer.get("/emergency").status_code == 200
    response = post(officer, "/emergency/kit", **{"item-06": "1"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    (code,) = desk.list_codes(kind="open")
    pages = read_pdf_pages(response.content)
    assert [code.payload] in pages and pages[0] == []  # the cover holds no code
    action = desk.users.actions(user="olga", limit=1)[0]
    assert action["action"] == "kit" and action["target"] == code.id


def test_a_kit_of_an_item_that_is_not_emergency_eligible_is_refused(officer, desk):
    response = post(officer, "/emergency/kit", **{"item-01": "1"})
    assert response.status_code == 400 and "not emergency-eligible" in response.text
    assert desk.list_codes() == []


def statement(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["txn_id", "paid_at", "amount", "code", "reference"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_reconciling_an_uploaded_statement_shows_the_summary_and_gives_the_report(officer, desk, log):
    code = desk.mint_open("06")[0]
    log.add(code.id, "12.50", "R-1")
    log.add(code.id, "30.00", "R-2")
    paid_at = f"{desk.today()} 10:00:00"
    data = statement(
        [["T1", paid_at, "12.50", code.payment_code, "R-1"], ["T2", paid_at, "5.00", "0000 0000 0000", "X"]]
    )
    files = {"statement": ("bank.csv", data, "text/csv")}
    page = officer.post("/reconcile", data={"csrf": officer.token, "as": "page"}, files=files)
    assert page.status_code == 200
    counts = dict(re.findall(r'data-class="([a-z_]+)">(\d+)<', page.text))
    assert counts["matched"] == "1" and sum(map(int, counts.values())) == 3
    report = officer.post("/reconcile", data={"csrf": officer.token, "as": "csv"}, files=files)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert sorted(row["class"] for row in rows) == sorted(k for k, v in counts.items() for _ in range(int(v)))
    trail = [a for a in desk.users.actions(user="olga") if a["action"] == "reconcile"]
    assert len(trail) == 2 and trail[0]["target"] == "bank.csv" and "matched=1" in trail[0]["detail"]


def test_an_excel_statement_is_reconciled_as_a_csv_one(officer, desk, log, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    form = officer.get("/reconcile").text
    assert re.search(r'<input id="statement"[^>]*accept="[^"]*\.xlsx', form) and "Excel" in form
    code = desk.mint_open("06")[0]
    log.add(code.id, "12.50", "R-1")
    book = Workbook()
    book.active.append(["txn_id", "paid_at", "amount", "code", "reference"])
    book.active.append(
        ["T1", datetime.combine(desk.today(), datetime.min.time()).replace(hour=10), 12.5, code.payment_code, "R-1"]
    )
    book.save(tmp_path / "bank.xlsx")
    files = {"statement": ("银行对账单.xlsx", (tmp_path / "bank.xlsx").read_bytes(), XLSX)}
    page = officer.post("/reconcile", data={"csrf": officer.token, "as": "page"}, files=files)
    assert page.status_code == 200, page.text
    assert dict(re.findall(r'data-class="([a-z_]+)">(\d+)<', page.text))["matched"] == "1"
    assert "银行对账单.xlsx" in page.text
    broken = {"statement": ("bank.xlsx", b"PK\x03\x04 not really a workbook", XLSX)}
    refused = officer.post("/reconcile", data={"csrf": officer.token}, files=broken)
    assert refused.status_code == 400 and 'id="form-error"' in refused.text and "bank.xlsx" in refused.text


def test_a_bad_statement_is_the_error_on_the_page(officer):
    files = {"statement": ("bad.csv", b"not,a,statement\n1,2,3\n", "text/csv")}
    response = officer.post("/reconcile", data={"csrf": officer.token}, files=files)
    assert response.status_code == 400 and 'id="form-error"' in response.text
    missing = officer.post("/reconcile", data={"csrf": officer.token}, files={"statement": ("", b"", "text/csv")})
    assert missing.status_code == 400


def test_the_audit_page_lists_the_trail(officer, desk):
    desk.mint_scene("09", "窗口 1")
    post(officer, "/mint/scene", item="09", scene="窗口 2")
    page = officer.get("/audit").text
    assert "发码" in page and "登录" in page and "192.0.2.20" in page
    only = officer.get("/audit", params={"user": "nobody"}).text
    assert "发码" not in only.split("<tbody>")[1]
