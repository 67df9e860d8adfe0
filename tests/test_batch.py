"""qrpay batch: all rows or none, idempotent re-runs, sheets and folders that read back, recorded renders."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from helpers import assert_one_error_line, in_months

from qrpay import InputError, Qrpay
from qrpay.batch import read_requests, run
from qrpay.csvfile import MAX_PROBLEMS
from qrpay.qr.decode import read_file, read_pdf_pages
from qrpay.render import load_template, sheets

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

SAMPLE = Path(__file__).parent.parent / "templates" / "sample-batch.csv"


def write_csv(
    path: Path, rows: list[list[str]], header: tuple[str, ...] = ("item", "scene"), encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def scene_rows(count: int, prefix: str = "窗口") -> list[list[str]]:
    """*count* distinct scene codes over items 01-17."""
    return [[f"{number % 17 + 1:02d}", f"{prefix} {number // 17 + 1}"] for number in range(count)]


def count_codes(desk: Qrpay) -> int:
    return desk.register.db.execute("SELECT count(*) FROM codes").fetchone()[0]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_bad_rows_stop_the_batch_before_anything_is_minted_or_written(cli, desk, tmp_path, out):
    rows = [
        ["09", "window 1", "", "", ""],
        ["99", "window 2", "", "", ""],  # unknown item
        ["09", "", "", "", ""],  # scene missing
        ["09", "window 3", "poster", "", ""],  # not a kind
        ["01", "", "open", "", ""],  # not emergency-eligible
        ["06", "", "open", "2030-02-30", ""],  # not a date
        ["09", "window 1", "", "", ""],  # same code as line 2
        ["09", "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "", "", ""],  # too long for a label
        ["09", "window 4", "", "", "2030-01-01"],  # dates belong to open codes
    ]
    source = write_csv(tmp_path / "codes.csv", rows, header=("item", "scene", "kind", "valid_from", "valid_until"))
    target = out / "labels.pdf"
    result = cli("batch", source, "--template", "labels-a4", "-o", target)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.count("\n") == 0 and message.startswith("Error: 8 problem(s) in codes.csv, nothing was minted")
    for line, column in [
        (3, "item"),
        (4, "scene"),
        (5, "kind"),
        (6, "item"),
        (7, "valid_from"),
        (8, "scene"),
        (9, "scene"),
        (10, "valid_until"),
    ]:
        assert f"line {line}, column {column}:" in message
    assert "line 2," not in message
    assert count_codes(desk) == 0
    assert list(out.iterdir()) == []


def test_a_bad_item_past_the_kept_problems_is_still_one_error_line(cli, desk, tmp_path, out):
    rows = [["09", ""]] * MAX_PROBLEMS + [["99", "window 1"]]  # past the limit problems are only counted
    source = write_csv(tmp_path / "codes.csv", rows)
    result = cli("batch", source, "--template", "labels-a4", "-o", out / "labels.pdf")
    assert_one_error_line(result, f"{MAX_PROBLEMS} problem(s) in codes.csv, nothing was minted")
    assert count_codes(desk) == 0
    assert list(out.iterdir()) == []


def test_a_bad_template_or_output_is_refused_before_minting(cli, desk, tmp_path, out):
    source = write_csv(tmp_path / "codes.csv", scene_rows(3))
    (out / "notes.txt").write_text("not ours")
    for args, fragment in [
        (("--template", "no-such-template", "-o", out / "x.pdf"), "no-such-template"),
        (("--template", "labels-a4", "-o", out / "x.png"), "ending .pdf"),
        (("--template", "web", "-o", out), "files qrpay did not write"),
        (("--template", "emergency-a4", "-o", out / "x.pdf"), "does not print scene codes"),
    ]:
        result = cli("batch", source, *args)
        assert result.exit_code == 2 and fragment in result.stderr, result.stderr
    assert count_codes(desk) == 0
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


def test_the_same_csv_again_reprints_the_same_codes_and_mints_nothing(cli, desk, tmp_path, out):
    source = write_csv(tmp_path / "codes.csv", scene_rows(30))
    first = cli("batch", source, "--template", "labels-a4", "-o", out / "a.pdf", "--json")
    again = cli("batch", source, "--template", "labels-a4", "-o", out / "b.pdf", "--json")
    assert first.exit_code == again.exit_code == 0
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert (one["minted"], one["reused"], two["minted"], two["reused"]) == (30, 0, 0, 30)
    assert [code["id"] for code in one["codes"]] == [code["id"] for code in two["codes"]]
    assert count_codes(desk) == 30
    renders = desk.register.renders(desk.get(one["codes"][0]["id"]).serial)
    assert [Path(render["path"]).name for render in renders] == ["a.pdf", "b.pdf"]
    assert renders[0]["sha256"] == hashlib.sha256((out / "a.pdf").read_bytes()).hexdigest()
    assert (out / "a.pdf").read_bytes() == (out / "b.pdf").read_bytes()  # same codes, same bytes


def test_a_revoked_code_is_minted_anew_on_the_next_run(cli, desk, tmp_path, out):
    source = write_csv(tmp_path / "codes.csv", scene_rows(3))
    first = json.loads(cli("batch", source, "-t", "labels-a4", "-o", out / "a.pdf", "--json").stdout)
    desk.revoke(first["codes"][1]["id"], "sticker damaged")
    again = json.loads(cli("batch", source, "-t", "labels-a4", "-o", out / "a.pdf", "--json").stdout)
    assert (again["minted"], again["reused"]) == (1, 2)
    assert again["codes"][1]["id"] != first["codes"][1]["id"]


def test_every_code_of_a_multi_page_sheet_reads_back_on_its_page(desk, tmp_path, out, monkeypatch):
    monkeypatch.setattr(sheets, "CHUNK_CODES", 24)  # a page per chunk: the pages of three drawings joined
    source = write_csv(tmp_path / "codes.csv", scene_rows(60))
    batch = run(desk, source, "labels-a4", out / "labels.pdf", workers=2)
    payloads = [code.payload for code, _ in batch.codes]
    pages = read_pdf_pages(out / "labels.pdf", 200)
    assert len(pages) == 3
    for number, page in enumerate(pages):
        assert sorted(page) == sorted(payloads[number * 24 : (number + 1) * 24])
    assert all(desk.verify(payload).status == "genuine" for payload in payloads)
    assert sorted(batch.files[0].decoded) == sorted(payloads)  # the self-check read each one


def test_sheets_are_the_same_with_one_worker_or_two_and_without_the_check(desk, tmp_path, out, monkeypatch):
    monkeypatch.setattr(sheets, "CHUNK_CODES", 24)
    source = write_csv(tmp_path / "codes.csv", scene_rows(50))
    run(desk, source, "labels-a4", out / "one.pdf", workers=1)
    run(desk, source, "labels-a4", out / "two.pdf", workers=2, check=False)
    assert (out / "one.pdf").read_bytes() == (out / "two.pdf").read_bytes()


def test_posters_and_tents_print_one_code_per_page(desk, tmp_path, out):
    source = write_csv(tmp_path / "codes.csv", scene_rows(3))
    for template, copies in (("poster-a4", 1), ("tent-a6", 2)):
        batch = run(desk, source, template, out / f"{template}.pdf")
        pages = read_pdf_pages(out / f"{template}.pdf", 150)
        assert pages == [[code.payload] * copies for code, _ in batch.codes]


def test_web_batch_writes_one_png_per_code_and_a_manifest_of_digests(cli, desk, tmp_path, out):
    rows = [["09", "窗口 1", ""], ["06", "", "open"], ["traffic-fine", "", "unified"]]
    source = write_csv(tmp_path / "codes.csv", rows, header=("item", "scene", "kind"))
    result = cli("batch", source, "--template", "web", "-o", out / "web", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    folder = out / "web"
    with (folder / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = list(csv.DictReader(handle))
    assert [row["item"] for row in manifest] == ["09", "06", "traffic-fine"]
    assert [row["scene"] for row in manifest] == ["窗口 1", "", ""]
    assert sorted(path.name for path in folder.iterdir()) == sorted(["manifest.csv", *(r["file"] for r in manifest)])
    for row, code in zip(manifest, data["codes"]):
        image = folder / row["file"]
        assert row["id"] == code["id"] and row["payment_code"] == code["payment_code"]
        assert row["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
        assert read_file(image) == [code["payload"]]
        renders = desk.register.renders(desk.get(code["id"]).serial)
        assert renders[-1]["path"] == str(image.resolve()) and renders[-1]["sha256"] == row["sha256"]
    rerun = cli("batch", source, "--template", "web", "-o", folder)  # a batch folder may be replaced
    assert rerun.exit_code == 0 and "reused 3" in rerun.stdout


def test_unified_rows_name_the_group_and_open_rows_carry_dates(desk, tmp_path):
    start, end = in_months(1), in_months(12)
    rows = [
        ["traffic-fine", "", "unified", "", ""],
        ["06", "", "open", start.isoformat(), end.isoformat()],
        ["education", "", "UNIFIED", "", ""],
    ]
    source = write_csv(tmp_path / "codes.csv", rows, header=("item", "scene", "kind", "valid_from", "valid_until"))
    requests = read_requests(desk, source, load_template("labels-a4"))
    assert [(r.purpose.kind, r.item) for r in requests] == [
        ("unified", "traffic-fine"),
        ("open", "06"),
        ("unified", "education"),
    ]
    assert requests[1].purpose.valid_until == end
    codes = desk.mint_many(r.purpose for r in requests)
    assert codes[0][0] == desk.mint_unified("traffic-fine")[0]
    assert codes[1][0] == desk.mint_open("06", start, end)[0]


def test_gbk_files_and_unknown_columns(desk, tmp_path):
    layout = load_template("labels-a4")
    gbk = write_csv(tmp_path / "gbk.csv", [["09", "三号窗口"]], encoding="gbk")
    assert read_requests(desk, gbk, layout)[0].purpose.scene == "三号窗口"
    typo = write_csv(tmp_path / "typo.csv", [["06", "", "2030-01-01"]], header=("item", "scene", "valid_untill"))
    with pytest.raises(InputError, match="unknown column.*valid_untill"):
        read_requests(desk, typo, layout)
    with pytest.raises(InputError, match="no rows"):
        read_requests(desk, write_csv(tmp_path / "empty.csv", []), layout)


def test_the_sample_csv_prints_on_every_template(desk, out):
    on_a_day_its_dates_allow = Qrpay(desk.settings, today=lambda: date(2026, 1, 1))  # the file's dates are fixed
    for template, output in (("labels-a4", out / "labels.pdf"), ("web", out / "web")):
        batch = run(on_a_day_its_dates_allow, SAMPLE, template, output)
        assert len(batch.codes) == 16 and batch.checked
    assert count_codes(desk) == 16


def test_minting_is_all_or_nothing_when_interrupted(desk, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "codes.csv", scene_rows(20))
    seal = Qrpay._seal
    sealed = []

    def interrupted(self, serial, purpose):
        sealed.append(serial)
        if len(sealed) == 10:
            raise KeyboardInterrupt
        return seal(self, serial, purpose)

    monkeypatch.setattr(Qrpay, "_seal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(desk, source, "labels-a4", tmp_path / "out.pdf")
    assert count_codes(desk) == 0
    assert not (tmp_path / "out.pdf").exists()


def test_a_batch_interrupted_while_reading_back_keeps_its_codes_and_writes_nothing(desk, tmp_path, out, monkeypatch):
    source = write_csv(tmp_path / "codes.csv", scene_rows(30))

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(sheets, "_read", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(desk, source, "labels-a4", out / "labels.pdf", workers=1)
    assert count_codes(desk) == 30  # minted whole before the read-back; reused by the next run
    assert list(out.iterdir()) == []
