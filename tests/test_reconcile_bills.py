"""Reconciliation knows bills and refunds: exact amounts (late fee included) match, others say by
how much they differ, a second payment is a duplicate, a refund reopens what it paid."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import today

from qrpay.emergency.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

HEADER = "txn_id,paid_at,amount,code,reference\n"
DUE = today() + timedelta(days=5)


def statement(path: Path, *lines: str) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), "utf-8")
    return path


def at(days_after_due: int) -> str:
    return f"{DUE + timedelta(days=days_after_due)} 10:00"


def rows(report) -> list[tuple[str, str]]:
    return [(row["class"], row["reason"]) for row in report.rows]


@pytest.fixture
def fine(desk):
    return desk.mint_bill("18", "200.00", "张三", "3301002026120100001", DUE)[0]


def test_the_exact_amount_matches_and_others_say_under_or_over_by_how_much(tmp_path, desk, fine):
    other = desk.mint_bill("18", "150.00", "李四", "N2", DUE)[0]
    third = desk.mint_bill("01", "1000.00", "王五", "JY-1", DUE)[0]  # item 01: no late-fee rule
    report = reconcile(
        desk,
        statement(
            tmp_path / "s.csv",
            f"T1,{at(0)},200.00,{fine.payment_code},3301002026120100001",
            f"T2,{at(-2)},140.00,{other.payload},N2",
            f"T3,{at(30)},1000.50,{third.payment_code},JY-1",
        ),
    )
    assert [cls for cls, _ in rows(report)] == ["matched", "amount_mismatch", "amount_mismatch"]
    reasons = [reason for _, reason in rows(report)]
    assert "under-paid by 10.00: paid 140.00, 150.00 due" in reasons[1]
    assert "over-paid by 0.50: paid 1000.50, 1000.00 due" in reasons[2]
    assert report.rows[0]["code"] == fine.id


@pytest.mark.parametrize(
    "days, paid, cls",
    [
        (0, "200.00", "matched"),  # on the due day: no late fee
        (1, "206.00", "matched"),  # the day after: 3 % of the fine
        (1, "200.00", "amount_mismatch"),  # the fine alone, a day late: 6.00 short
        (10, "260.00", "matched"),
        (40, "400.00", "matched"),  # capped at the fine itself
        (40, "420.00", "amount_mismatch"),
    ],
)
def test_a_late_payment_owes_the_late_fee_due_on_the_day_it_was_paid(tmp_path, desk, fine, days, paid, cls):
    report = reconcile(desk, statement(tmp_path / "s.csv", f"T1,{at(days)},{paid},{fine.payload},R"))
    assert report.rows[0]["class"] == cls, report.rows[0]["reason"]
    if days and cls == "matched":
        assert "late fee" in report.rows[0]["reason"]


def test_a_second_payment_of_a_bill_is_a_duplicate_and_show_says_paid(tmp_path, desk, fine, cli):
    assert json.loads(cli("show", fine.id, "--json").stdout)["paid"] is None
    first = statement(tmp_path / "a.csv", f"T1,{at(0)},200.00,{fine.payload},R")
    reconcile(desk, first)
    second = statement(
        tmp_path / "b.csv", f"T2,{at(1)},206.00,{fine.payment_code},R", f"T1,{at(0)},200.00,{fine.payload},R"
    )
    report = reconcile(desk, second)
    assert [cls for cls, _ in rows(report)] == ["duplicate", "matched"]
    assert "already paid by txn T1" in report.rows[0]["reason"]
    shown = json.loads(cli("show", fine.id, "--json").stdout)
    assert shown["paid"] == {"txn_id": "T1", "paid_at": shown["paid"]["paid_at"], "amount": "200.00"}
    assert "PAID 200.00 yuan by txn T1" in cli("show", fine.id).stdout
    again = reconcile(desk, second)
    assert not again.new_run and again.summary == report.summary


def test_a_refund_reverses_the_payment_and_reopens_the_bill(tmp_path, desk, fine):
    report = reconcile(
        desk,
        statement(
            tmp_path / "s.csv",
            f"T1,{at(0)},200.00,{fine.payload},R",
            f"R1,{at(0)},-200.00,{fine.payload},R",
            f"T2,{at(2)},212.00,{fine.payload},R",
        ),
    )
    assert [cls for cls, _ in rows(report)] == ["refunded", "refunded", "matched"]
    assert "refunded by txn R1" in report.rows[0]["reason"] and "refunds txn T1" in report.rows[1]["reason"]
    assert report.rows[1]["amount"] == "-200.00"
    assert desk.bill_payment(fine).txn_id == "T2"


def test_a_refunded_bill_is_open_again(tmp_path, desk, fine):
    reconcile(desk, statement(tmp_path / "a.csv", f"T1,{at(0)},200.00,{fine.payload},R"))
    assert desk.bill_payment(fine).txn_id == "T1"
    reconcile(desk, statement(tmp_path / "b.csv", f"R1,{at(0)},-200.00,{fine.payment_code},R"))
    assert desk.bill_payment(fine) is None


def test_a_refund_reopens_the_log_entry_it_paid(tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    report = reconcile(
        desk,
        statement(
            tmp_path / "s.csv",
            f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",
            f"R1,2024-05-02 09:05,-120.00,{code.payment_code},rx-1",
        ),
    )
    assert [(row["class"], row["line"], row["entry"]) for row in report.rows] == [
        ("refunded", 2, None),
        ("refunded", 3, None),
        ("unpaid", None, 1),
    ]


@pytest.mark.parametrize(
    "refund",
    [
        "R1,2024-05-02 09:05,-100.00,{code},RX-1",  # not the amount paid
        "R1,2024-05-02 09:05,-120.00,{code},RX-2",  # another reference
        "R1,2024-05-01 09:00,-120.00,{code},RX-1",  # listed before the payment
    ],
)
def test_a_refund_that_reverses_no_payment_is_a_mismatch_and_the_payment_stands(tmp_path, desk, log, code, refund):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    lines = ["T1,2024-05-01 09:05,120.00,{code},RX-1", refund]
    if "09:00" in refund:
        lines.reverse()
    report = reconcile(desk, statement(tmp_path / "s.csv", *(line.format(code=code.payload) for line in lines)))
    got = {row["txn_id"]: row["class"] for row in report.rows if row["txn_id"]}
    assert got == {"T1": "matched", "R1": "amount_mismatch"}
    assert "reverses no earlier payment" in next(row["reason"] for row in report.rows if row["txn_id"] == "R1")


def test_one_refund_reverses_one_payment(tmp_path, desk, fine):
    report = reconcile(
        desk,
        statement(
            tmp_path / "s.csv",
            f"T1,{at(0)},200.00,{fine.payload},R",
            f"R1,{at(0)},-200.00,{fine.payload},R",
            f"R2,{at(0)},-200.00,{fine.payload},R",
        ),
    )
    assert [cls for cls, _ in rows(report)] == ["refunded", "refunded", "amount_mismatch"]


def test_a_statement_may_be_an_excel_workbook(tmp_path, desk, fine, cli):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["txn_id", "paid_at", "amount", "code", "reference"])
    paid_at = datetime.combine(DUE + timedelta(days=1), datetime.min.time()).replace(hour=10)
    sheet.append(["T1", paid_at, 206, fine.payment_code, "3301002026120100001"])  # a day late: 3 % more
    sheet.append(["T2", paid_at, 206.0, fine.payload, "3301002026120100001"])
    sheet.append(["R1", paid_at, -206, fine.payload, "3301002026120100001"])
    path = tmp_path / "statement.xlsx"
    book.save(path)
    result = cli("reconcile", path, "--json")
    assert result.exit_code == 0, result.stderr  # a refund and the payment it reverses are accounted for
    report = json.loads(result.stdout)
    # the refund reverses the earliest payment of its amount (T1); T2 then pays the bill
    assert [row["class"] for row in report["rows"]] == ["refunded", "matched", "refunded"]
    assert report["statement"]["encoding"] == "xlsx" and report["summary"]["refunded"] == 2
    assert report["rows"][0]["amount"] == "206.00" and report["rows"][2]["amount"] == "-206.00"
    assert desk.bill_payment(fine).txn_id == "T2"
