"""Reconciliation in flat memory: the statement is streamed into the register, classified by
ordered queries a page at a time, and the report written as it is read. These tests pin that
the streamed run is exactly what the in-memory rules give, across page boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qrpay.emergency import books as books_module
from qrpay.emergency import reconcile as reconcile_module
from qrpay.emergency import runs
from qrpay.emergency.books import Books, Result
from qrpay.emergency.ledger import classify
from qrpay.emergency.reconcile import reconcile
from qrpay.emergency.statement import StatementFile
from qrpay.errors import InputError

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

HEADER = "txn_id,paid_at,amount,code,reference\n"


def statement(path: Path, *lines: str) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def in_memory(books: Books, sid: int) -> list[Result]:
    """The results of a run on *sid* as the rules give them with every line held."""
    lines, logged = classify(books.txns(), books.entries())
    results = [Result(o.cls, line, o.entry, o.reason) for (s, line), o in sorted(lines.items()) if s == sid]
    return results + [Result("unpaid", None, e, o.reason) for e, o in logged.items() if o.cls == "unpaid"]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(books_module, "BATCH", 2)  # every query and insert crosses page boundaries


def test_the_streamed_run_is_what_the_rules_give_over_many_statements(tmp_path, desk, log, code, small_pages):
    other, _ = desk.mint_open("05")
    desk.revoke(other.id, "sticker found over the poster")
    desk.register.db.execute(
        "UPDATE codes SET revoked_at = '2024-05-01T02:00:00+00:00' WHERE serial = ?", (other.serial,)
    )
    forged = code.payload[:-12] + ("A" if code.payload[-12] != "A" else "B") + code.payload[-11:]
    for reference, amount in (("RX-1", "120"), ("RX-2", "88"), ("RX-3", "50"), ("RX-4", "10"), ("RX-9", "1")):
        log.add(code.id, amount, reference, at="2024-05-01 09:00")
    log.add(other.id, "30", "RV-1", at="2024-05-01 09:00")
    first = [
        f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",
        f"T2,2024-05-01 09:15,80.00,{code.payment_code},rx-2",
        f"T3,2024-05-01 09:16,88.00,{code.payment_code},RX-2",
        f"T4,2024-05-01 09:30,10.00,{forged},RX-4",
        f"T5,2024-05-01 09:31,10.00,{code.payload},RX-4",
        f"T6,2024-05-01 09:32,10.00,{code.payload},RX-4",
        f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",
        f"T7,2024-05-02 09:00,30.00,{other.payload},RV-1",
        f"T8,2024-05-02 09:00,7.00,{code.payload},",
        f"T10,2024-05-02 09:00,2.00,{code.payload},rx-9",
    ]
    second = [
        f"T1,2024-05-01 09:05,120.00,{code.payload},RX-1",  # the same payment again
        f"T5,2024-05-01 09:31,11.00,{code.payload},RX-4",  # same txn, other details
        f"T9,2024-05-03 09:00,50.00,{code.payload},ＲＸ-3",  # full-width reference
        f"T9,2024-05-03 09:00,50.00,{code.payload},RX-3",
        f"T3,2024-05-01 09:16,88.00,{code.payment_code},RX-2",
    ]
    paths = [statement(tmp_path / "a.csv", *first), statement(tmp_path / "b.csv", *second)]
    paths.append(statement(tmp_path / "c.csv", *second[:2], *first[:3]))
    books = Books(desk.register)
    reports = []
    for path in [*paths, *paths]:  # the second round sees statements imported after the first
        report = reconcile(desk, path)
        sid = report.statement["id"]
        expected = in_memory(books, sid)
        assert list(runs.results(books, sid, books.entries())) == expected
        assert list(books.results(report.run.id)) == expected and report.run == books.latest_run(sid)
        assert report.summary == {cls: sum(r.cls == cls for r in expected) for cls in report.summary}
        reports.append(report)
    assert {row["class"] for report in reports for row in report.rows} >= {
        "matched", "amount_mismatch", "forged", "revoked", "duplicate", "unlogged", "unpaid"
    }  # fmt: skip
    assert reports[0].new_run and reports[3].new_run  # statement a's lines changed class meanwhile
    again = [reconcile(desk, path) for path in paths]
    assert [r.run for r in again] == [r.run for r in reports[3:]] and not any(r.new_run for r in again)


def test_the_json_is_streamed_as_one_dump_would_write_it(tmp_path, desk, log, code, small_pages):
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    log.add(code.id, "60", "=HYPERLINK(1)", at="2024-05-01 09:00")
    path = statement(
        tmp_path / "s.csv",
        f"T1,2024-05-01 09:05,120,{code.payload},RX-1",
        f"T2,2024-05-01 09:06,5,{code.payload},不动产",
        f'T3,2024-05-01 09:07,5,{code.payload},"a""b"',
    )
    for report in (reconcile(desk, path), reconcile(desk, statement(tmp_path / "empty.csv"))):
        whole = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
        assert "".join(report.json_chunks()) == whole
        assert json.loads(whole)["rows"] == report.rows and len(report.rows) == sum(report.summary.values())


def test_a_statement_that_changes_between_its_two_reads_records_nothing(tmp_path, desk, log, code, monkeypatch):
    before = statement(tmp_path / "before.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1")
    checked = StatementFile(before, desk.settings.tz, "s.csv").check()
    monkeypatch.setattr(reconcile_module.StatementFile, "check", lambda self: checked)
    now = statement(tmp_path / "s.csv", f"T1,2024-05-01 09:05,121,{code.payload},RX-1")
    counts = Books(desk.register).counts()
    with pytest.raises(InputError, match="changed while it was read"):
        reconcile(desk, now, name="s.csv")
    assert Books(desk.register).counts() == counts


def test_a_txn_id_listed_again_and_again_is_classified_as_the_rules_say(tmp_path, desk, log, code, monkeypatch):
    monkeypatch.setattr(books_module, "BATCH", 3)
    monkeypatch.setattr(books_module, "MAX_KNOWN", 1)  # sightings forgotten and learnt again
    log.add(code.id, "120", "RX-1", at="2024-05-01 09:00")
    reconcile(desk, statement(tmp_path / "a.csv", f"T2,2024-05-01 09:05,120,{code.payload},RX-1"))
    lines = [f"T{1 + n % 3},2024-05-01 09:05,{120 + n % 2},{code.payload},RX-{n % 2}" for n in range(17)]
    report = reconcile(desk, statement(tmp_path / "b.csv", *lines))
    books = Books(desk.register)
    assert list(books.results(report.run.id)) == in_memory(books, report.statement["id"])
    reasons = [row["reason"] for row in report.rows if row["class"] == "duplicate"]
    assert len(reasons) == 15 and sum("listed again" in reason for reason in reasons) == 14  # T2: other details


def test_the_log_entries_standing_is_what_the_rules_give(tmp_path, desk, log, code, small_pages):
    for reference, amount in (("RX-1", "120"), ("RX-2", "88"), ("RX-3", "50")):
        log.add(code.id, amount, reference, at="2024-05-01 09:00")
    reconcile(
        desk,
        statement(
            tmp_path / "a.csv",
            f"T1,2024-05-01 09:05,120,{code.payload},RX-1",
            f"T2,2024-05-01 09:06,80,{code.payload},rx-2",
            f"T1,2024-05-01 09:05,120,{code.payload},RX-1",
        ),
    )
    reconcile(desk, statement(tmp_path / "b.csv", f"T1,2024-05-01 09:05,120,{code.payload},RX-1"))
    books = Books(desk.register)
    _, expected = classify(books.txns(), books.entries())
    assert runs.logged(books, books.entries()) == expected
    assert [outcome.cls for _, outcome in log.entries()] == ["matched", "amount_mismatch", "unpaid"]
