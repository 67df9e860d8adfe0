"""Every CSV qrpay writes is safe to open in a spreadsheet: a cell that would start a formula
(=, +, -, @, tab, CR) is prefixed with ' (OWASP's CSV-injection rule); plain numbers stay."""

from __future__ import annotations

import csv
import io

import pytest

from qrpay.csvfile import safe_cell

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_formula_like_cell_is_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-12.50", "+3", "-0.5", "1e5", "120.00", "RX-1", "窗口 3", ""])
def test_numbers_and_plain_text_are_left_alone(text):
    assert safe_cell(text) == text


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_reconcile_report_neutralises_statement_text(cli, desk, log, code, tmp_path):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["txn_id", "paid_at", "amount", "code", "reference"])
    writer.writerows(
        [f"T{n}", f"2024-05-01 09:0{n}", "120.00", code.payment_code, ref] for n, ref in enumerate(DANGEROUS[:4])
    )
    source = tmp_path / "s.csv"
    source.write_text(buffer.getvalue(), encoding="utf-8")
    before = source.read_bytes()
    result = cli("reconcile", source, "-o", tmp_path / "report.csv")
    assert result.exit_code == 1, result.stderr  # unlogged payments: discrepancies
    rows = read_csv((tmp_path / "report.csv").read_bytes())
    references = [row["reference"] for row in rows if row["line"]]
    assert references == ["'" + ref for ref in DANGEROUS[:4]]
    assert all(not value.startswith(("=", "+", "@", "\t", "\r")) for row in rows for value in row.values())
    assert {row["amount"] for row in rows if row["line"]} == {"120.00"}
    assert source.read_bytes() == before


def test_the_batch_manifest_neutralises_scenes(cli, desk, tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text('item,scene\n09,"=1+2"\n09,@home\n09,-window\n', encoding="utf-8")
    result = cli("batch", source, "-t", "web", "-o", tmp_path / "web")
    assert result.exit_code == 0, result.stderr
    rows = read_csv((tmp_path / "web" / "manifest.csv").read_bytes())
    assert [row["scene"] for row in rows] == ["'=1+2", "'@home", "'-window"]
    assert [code.scene for code in desk.list_codes()] == ["=1+2", "@home", "-window"]  # the register keeps the text
