"""Every reader has limits a real user never meets and an attacker always does: a few hundred
bytes must never cost gigabytes. Each limit is one clean error (or, in an audit, one file's
finding while the audit goes on), with the register unchanged."""

from __future__ import annotations

import csv
import io
import json
import resource
import subprocess
import sys

import pytest
from conftest import BASE_URL_24
from PIL import Image

from qrpay import csvfile
from qrpay.render import web

HUGE_PAGE_PDF = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 14400 14400]>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""


def one_line(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_tiny_pdf_with_a_huge_page_is_refused_without_rasterising(keyring, home, tmp_path):
    path = tmp_path / "huge.pdf"
    path.write_bytes(HUGE_PAGE_PDF)
    env = {"QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL_24, "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "qrpay", "verify", path], env=env, capture_output=True, text=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert run.returncode == 2 and "40,000 x 40,000 pixels" in run.stderr and len(run.stderr.splitlines()) == 1
    assert len(HUGE_PAGE_PDF) < 300 and peak_mib < 400  # rasterised, the page would take 1.6 GB


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_whose_header_claims_too_many_pixels_is_refused(cli, keyring, tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000), 1).save(path)  # a few kB on disk, 144 Mpx decoded
    assert path.stat().st_size < 100_000
    one_line(cli("verify", path), "12,000 x 12,000 pixels")


def test_an_audit_reports_the_bad_file_and_goes_on(cli, desk, tmp_path):
    code = desk.mint_scene("09", "window 3")[0]
    photos = tmp_path / "photos"
    photos.mkdir()
    assert cli("render", code.id, "-t", "web", "-o", photos / "good.png").exit_code == 0
    (photos / "huge.pdf").write_bytes(HUGE_PAGE_PDF)
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    result = cli("audit", photos, "--json")
    assert result.exit_code == 1, result.stderr
    files = {entry["path"].rsplit("/", 1)[1]: entry for entry in json.loads(result.stdout)["files"]}
    assert files["good.png"]["status"] == "genuine"
    assert files["huge.pdf"]["status"] == "no-code-found" and "pixels" in files["huge.pdf"]["codes"][0]["reason"]
    assert files["broken.png"]["status"] == "no-code-found"


def statement(path, rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["txn_id", "paid_at", "amount", "code", "reference"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [("x" * 1001, "at most 1000"), ("y" * 20_000, "over 16,384 characters")],
    ids=["cell", "record"],
)
def test_an_overlong_cell_or_line_is_refused(cli, desk, code, tmp_path, cell, fragment):
    path = statement(tmp_path / "s.csv", [["T1", "2026-05-01 10:00", "1.00", code.payment_code, cell]])
    one_line(cli("reconcile", path), fragment)
    assert desk.register.db.execute("SELECT count(*) FROM statements").fetchone()[0] == 0


def test_too_many_rows_or_bytes_are_refused(cli, desk, code, tmp_path, monkeypatch):
    rows = [[f"T{n}", "2026-05-01 10:00", "1.00", code.payment_code, f"r{n}"] for n in range(20)]
    path = statement(tmp_path / "s.csv", rows)
    monkeypatch.setattr(csvfile, "MAX_ROWS", 10)
    one_line(cli("reconcile", path), "over 10 rows")
    monkeypatch.setattr(csvfile, "MAX_ROWS", 1000)
    monkeypatch.setattr(csvfile, "MAX_FILE_BYTES", 500)
    one_line(cli("reconcile", path), "is over 0 MiB")
    assert desk.register.db.execute("SELECT count(*) FROM statement_lines").fetchone()[0] == 0


def test_a_batch_csv_row_beyond_the_limit_mints_nothing(cli, desk, tmp_path, monkeypatch):
    path = tmp_path / "rows.csv"
    path.write_text("item,scene\n" + "".join(f"09,window {n}\n" for n in range(6)), encoding="utf-8")
    monkeypatch.setattr(csvfile, "MAX_ROWS", 5)
    one_line(cli("batch", path, "-t", "labels-a4", "-o", tmp_path / "l.pdf"), "over 5 rows")
    assert desk.list_codes() == [] and not (tmp_path / "l.pdf").exists()


def test_an_emblem_that_is_a_strip_is_refused(cli, desk, tmp_path):
    code = desk.mint_scene("09", "window 3")[0]
    Image.new("RGB", (2000, 100), "red").save(tmp_path / "strip.png")
    one_line(cli("render", code.id, "-t", "poster-a4", "--emblem", tmp_path / "strip.png", "-o", tmp_path / "p.pdf"))
    assert not (tmp_path / "p.pdf").exists()


def test_a_web_image_larger_than_the_limit_is_refused_before_drawing(cli, desk, tmp_path, monkeypatch):
    code = desk.mint_scene("09", "window 3")[0]
    monkeypatch.setattr(web, "MAX_SIDE_PX", 200)
    one_line(cli("render", code.id, "-t", "web", "--scale", "4", "-o", tmp_path / "w.png"), "at most 200")
    assert not (tmp_path / "w.png").exists()
