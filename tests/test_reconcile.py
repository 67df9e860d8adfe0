"""Reconciliation of statements against the collection log: every class, idempotency, bad files."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest

from qrpay.codes import paycode
from qrpay.emergency.books import Books
from qrpay.emergency.ledger import CLASSES
from qrpay.emergency.reconcile import reconcile
from qrpay.errors import InputError

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

HEADER = "txn_id,paid_at,amount,code,reference\n"


def statement(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes((HEADER + "".join(line + "\n" for line in lines)).encode(encoding))
    return path


def classes(report) -> list[tuple]:
    return [(row["class"], row["line"], row["entry"]) for row in report.rows]


def test_every_class_in_one_statement(tmp_path, desk, log, code):
    revoked, _ = desk.mint_open("05")
    desk.revoke(revoked.id, "sticker found over the poster")
    desk.register.db.execute(
        "UPDATE codes SET revoked_at = '2024-05-01T02:00:00+00:00' WHERE serial = ?", (revoked.serial,)
    )  # revoked at 10:00 Shanghai time
    later = desk.today() + timedelta(days=10)
    windowed, _ = desk.mint_open("07", valid_from=later)
    forged = code.payload[:-12] + ("A" if code.payload[-12] != "A" else "B") + code.payload[-11:]
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    log.add(code.id, "88", "RX-2", at="2024-05-01 09:10")
    log.add(code.id, "50", "RX-3", at="2024-05-01 09:20")
    path = statement(
        tmp_path / "s.csv",
        f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",
        f"T2,2024-05-01 09:15,80.00,{code.payment_code},RX-2",
        f"T3,2024-05-01 09:30,10.00,{forged},RX-4",
        f"T4,2024-05-01 09:31,10.00,{paycode.make('open', 6, 99)},RX-5",
        f"T5,2024-05-01 10:30,10.00,{revoked.payload},RX-6",
        f"T6,2024-05-01 09:30,10.00,{revoked.payload},RX-7",
        f"T7,2024-05-01 09:32,10.00,{windowed.payload},RX-8",
        f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",
        f"T8,2024-05-01 09:40,10.00,{code.payload},RX-9",
        f"T9,2024-05-01 09:45,-10.00,{code.payload},RX-9",
    )
    report = reconcile(desk, path)
    assert classes(report) == [
        ("matched", 2, 1),
        ("amount_mismatch", 3, 2),
        ("forged", 4, None),
        ("unknown_code", 5, None),
        ("revoked", 6, None),
        ("unlogged", 7, None),
        ("expired", 8, None),
        ("duplicate", 9, None),
        ("refunded", 10, None),
        ("refunded", 11, None),
        ("unpaid", None, 3),
    ]
    assert report.summary == {**dict.fromkeys(CLASSES, 1), "refunded": 2}
    assert not report.clean


def test_a_clean_statement_is_clean(tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    report = reconcile(desk, statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{code.payment_code},rx-1"))
    assert report.clean and report.summary["matched"] == 1


def test_rerunning_the_same_statement_changes_nothing(tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    log.add(code.id, "99", "RX-2", at="2024-05-01 09:00")
    path = statement(
        tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1", f"T2,2024-05-01 09:06,5,{code.payload},RX-X"
    )
    first = reconcile(desk, path)
    counts = Books(desk.register).counts()
    again = reconcile(desk, path)
    assert Books(desk.register).counts() == counts
    assert again.rows == first.rows and again.run.id == first.run.id
    assert first.new_run and first.new_statement and not again.new_run and not again.new_statement


def test_the_same_statement_reexported_as_gbk_is_recognised(tmp_path, desk, log, code):
    lines = (f"T1,2024-05-01 09:05,120,{code.payload},不动产-1",)
    first = reconcile(desk, statement(tmp_path / "a.csv", *lines))
    again = reconcile(desk, statement(tmp_path / "b.csv", *lines, encoding="gbk"))
    assert again.statement["id"] == first.statement["id"] and not again.new_statement


def test_a_second_statement_moves_an_unpaid_entry_to_matched(tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    log.add(code.id, "60", "RX-2", at="2024-05-01 09:00")
    monday = reconcile(desk, statement(tmp_path / "mon.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1"))
    assert classes(monday) == [("matched", 2, 1), ("unpaid", None, 2)]
    assert [outcome.cls for _, outcome in log.entries()] == ["matched", "unpaid"]
    tuesday = reconcile(
        desk,
        statement(
            tmp_path / "tue.csv",
            f"T1,2024-05-01 09:05,120,{code.payload},RX-1",
            f"T2,2024-05-02 08:00,60,{code.payload},RX-2",
        ),
    )
    assert classes(tuesday) == [("matched", 2, 1), ("matched", 3, 2)] and tuesday.clean
    assert [outcome.cls for _, outcome in log.entries()] == ["matched", "matched"]
    assert classes(reconcile(desk, tmp_path / "mon.csv")) == [("matched", 2, 1)]


def test_an_entry_logged_after_a_run_changes_the_next_run_of_that_statement(tmp_path, desk, log, code):
    path = statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1")
    before = reconcile(desk, path)
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    after = reconcile(desk, path)
    assert classes(before) == [("unlogged", 2, None)] and classes(after) == [("matched", 2, 1)]
    assert after.new_run and not after.new_statement
    runs = desk.register.db.execute("SELECT count(*) FROM reconciliations").fetchone()[0]
    assert runs == 2


def test_a_gbk_statement_is_detected_and_an_explicit_encoding_is_used(tmp_path, desk, log, code):
    log.add(code.id, "120", "不动产-1", at="2024-05-01 09:00")
    path = statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{code.payload},不动产-1", encoding="gbk")
    assert reconcile(desk, path).statement["encoding"] == "gb18030"
    assert reconcile(desk, path, encoding="gbk").clean


@pytest.mark.parametrize(
    "line, where",
    [
        ("T1,2024-05-01 09:05,-0.00,{payload},R", "line 3, column amount: '-0.00' is zero"),
        ("T1,2024-05-01 09:05,120.001,{payload},R", "line 3, column amount: '120.001' has 3 decimal places"),
        ("T1,2024-05-01 09:05,twelve,{payload},R", "line 3, column amount"),
        ("T1,05/01/2024 9:05,120,{payload},R", "line 3, column paid_at"),
        (",2024-05-01 09:05,120,{payload},R", "line 3, column txn_id: nothing given"),
        ("T1,2024-05-01 09:05,120,{payload}", "line 3, column reference: missing"),
    ],
)
def test_a_bad_statement_is_refused_whole_and_nothing_is_recorded(tmp_path, desk, code, line, where):
    path = statement(tmp_path / "s.csv", f"T0,2024-05-01 09:00,1,{code.payload},R0", line.format(payload=code.payload))
    with pytest.raises(InputError, match=f"s.csv, {where}"):
        reconcile(desk, path, name="s.csv")
    assert set(Books(desk.register).counts().values()) == {0}


def test_cli_prints_summary_with_every_class_and_exits_1_on_discrepancies(cli, tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    path = statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,100,{code.payload},RX-1")
    result = cli("reconcile", path, "--json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"] == {**dict.fromkeys(CLASSES, 0), "amount_mismatch": 1}
    row = data["rows"][0]
    assert (row["class"], row["txn_id"], row["amount"], row["logged_amount"], row["code"]) == (
        "amount_mismatch",
        "T1",
        "100.00",
        "120.00",
        code.id,
    )


def test_cli_exits_0_when_everything_matched_and_shows_a_table(cli, tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", payer="张三", at="2024-05-01 09:00")
    result = cli("reconcile", statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1"))
    assert result.exit_code == 0, result.stderr
    assert "matched" in result.stdout and "Everything matched." in result.stdout


def test_cli_writes_the_report_csv(cli, tmp_path, desk, log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    out = tmp_path / "out" / "report.csv"
    result = cli(
        "reconcile",
        statement(
            tmp_path / "s.csv",
            f"T1,2024-05-01 09:05,120,{code.payload},RX-1",
            f"T2,2024-05-01 09:06,7,{code.payload},无记录",
        ),
        "-o",
        out,
    )
    assert result.exit_code == 1
    rows = list(csv.DictReader(out.read_text("utf-8-sig").splitlines()))
    assert [(row["class"], row["txn_id"], row["reference"]) for row in rows] == [
        ("matched", "T1", "RX-1"),
        ("unlogged", "T2", "无记录"),
    ]
    assert [p.name for p in out.parent.iterdir()] == ["report.csv"]


def test_cli_bad_statement_is_one_error_line_exit_2(cli, tmp_path, desk, code):
    path = tmp_path / "s.csv"
    path.write_bytes(HEADER.encode() + b"T1,2024-05-01 09:05,120,x,\xff\xff\n")
    result = cli("reconcile", path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "line 2, column reference" in result.stderr
    assert set(Books(desk.register).counts().values()) == {0}


def test_a_code_signed_by_a_retired_key_is_an_unknown_code(tmp_path, desk, code):
    scene, _ = desk.mint_scene("06", "window 3")
    desk.keyring.rotate()
    desk.retire_key(1, force=True)
    report = reconcile(desk, statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{scene.payment_code},R1"))
    assert classes(report) == [("unknown_code", 2, None)] and "retired" in report.rows[0]["reason"]


def test_a_payment_through_a_scene_code_is_unlogged(tmp_path, desk):
    scene, _ = desk.mint_scene("06", "window 3")
    report = reconcile(desk, statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,120,{scene.payload},R1"))
    assert classes(report) == [("unlogged", 2, None)]


def test_the_validity_window_is_judged_by_the_date_in_the_configured_time_zone(tmp_path, desk):
    last = desk.today() + timedelta(days=30)
    windowed, _ = desk.mint_open("06", valid_until=last)
    report = reconcile(
        desk,
        statement(
            tmp_path / "s.csv",
            f"T1,{last}T23:59:00+08:00,10,{windowed.payload},R1",
            f"T2,{last}T16:30:00Z,10,{windowed.payload},R2",
        ),
    )
    assert classes(report) == [("unlogged", 2, None), ("expired", 3, None)]
    assert f"not on {last + timedelta(days=1)}" in report.rows[1]["reason"]
