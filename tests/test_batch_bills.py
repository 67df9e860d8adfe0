"""qrpay batch with bills: notices from CSV files and Excel workbooks (made here with openpyxl),
Chinese or English headers, every row checked first, one PDF or a folder of one PDF per notice."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from helpers import assert_one_error_line, page_texts, today

from qrpay import InputError
from qrpay.batch import run
from qrpay.qr.decode import read_file, read_pdf_pages

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

CHINESE = ["项目编码", "金额", "缴款人", "通知书编号", "缴款期限"]


def workbook(path: Path, rows: list[list[object]], header: list[str] = CHINESE) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]], header: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def count_codes(desk) -> int:
    return desk.register.db.execute("SELECT count(*) FROM codes").fetchone()[0]


def test_a_workbook_of_bills_prints_one_notice_per_page(desk, tmp_path):
    due = today() + timedelta(days=20)
    source = workbook(
        tmp_path / "pupils.xlsx",
        [
            ["01", 1200, "王小明", "JY2026-0001", due],  # a number and an Excel date
            ["01", "¥1,200.50", "李小红", "JY2026-0002", due.isoformat()],  # text
            ["02", 980.5, "欧阳娜娜", "JY2026-0003", f"{due.year}年{due.month}月{due.day}日"],
        ],
    )
    batch = run(desk, source, "notice-a4", tmp_path / "notices.pdf")
    assert (batch.minted, batch.reused, batch.to_dict()["pages"]) == (3, 0, 3)
    bills = [code.bill for code, _ in batch.codes]
    assert [(bill.amount_fen, bill.payer, bill.notice, bill.due) for bill in bills] == [  # type: ignore[union-attr]
        (120000, "王小明", "JY2026-0001", due),
        (120050, "李小红", "JY2026-0002", due),
        (98050, "欧阳娜娜", "JY2026-0003", due),
    ]
    pages = read_pdf_pages((tmp_path / "notices.pdf").read_bytes(), 200)
    assert pages == [[code.payload] for code, _ in batch.codes]
    texts = page_texts(tmp_path / "notices.pdf")
    assert "王小明" in texts[0] and "人民币壹仟贰佰元整" in texts[0]
    assert "李小红" in texts[1] and "人民币壹仟贰佰元零伍角" in texts[1]
    assert "欧阳娜娜" in texts[2] and "980.50" in texts[2]
    again = run(desk, source, "notice-a4", tmp_path / "notices.pdf")  # the same notices, reprinted
    assert (again.minted, again.reused) == (0, 3)
    assert [code.id for code, _ in again.codes] == [code.id for code, _ in batch.codes]


def test_a_folder_of_one_pdf_per_notice_with_a_manifest(cli, desk, tmp_path):
    due = (today() + timedelta(days=10)).isoformat()
    rows = [["bill", "18", "200", "张三", f"3301002026120100{n:03d}", due] for n in range(1, 5)]
    source = write_csv(tmp_path / "fines.csv", rows, ["kind", "item", "amount", "payer", "notice", "due"])
    folder = tmp_path / "slips"
    result = cli("batch", source, "--template", "slip-a5", "-o", folder, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["count"] == data["minted"] == 4 and data["pages"] == 4
    assert [entry["notice"] for entry in data["codes"]] == [row[4] for row in rows]
    assert all(entry["amount"] == "200.00" for entry in data["codes"])
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    assert [entry["notice"] for entry in manifest] == [row[4] for row in rows]
    assert {entry["file"] for entry in manifest} | {"manifest.csv"} == {path.name for path in folder.iterdir()}
    for entry, code in zip(manifest, data["codes"]):
        assert entry["file"] == f"{code['id']}.pdf" and entry["due"] == due
        assert read_file(folder / entry["file"]) == [code["payload"]]
    shown = json.loads(cli("show", data["codes"][0]["id"], "--json").stdout)
    assert [render["template"] for render in shown["renders"]] == ["slip-a5"]


def test_every_bad_row_is_reported_and_nothing_is_minted(desk, tmp_path):
    due = today() + timedelta(days=5)
    source = workbook(
        tmp_path / "bad.xlsx",
        [
            ["18", 200, "张三", "N-1", due],  # good
            ["18", "abc", "李四", "N-2", due],  # amount not a number
            ["18", 0, "王五", "N-3", due],  # amount zero
            ["18", 200.555, "赵六", "N-4", due],  # three decimals
            ["18", 200, "", "N-5", due],  # no payer
            ["18", 200, "钱七", "N-1", due],  # the same notice as line 2
            ["18", 200, "孙八", "N-7", "next week"],  # not a date
            ["18", 200, "周九", "N-8", today() - timedelta(days=1)],  # already past
            ["99", 200, "吴十", "N-9", due],  # no such item
            ["18", 200, "郑一", "", due],  # no notice
            ["18", 200, "某" * 80, "N-11", due],  # too long for its place on the notice
        ],
    )
    with pytest.raises(InputError) as raised:
        run(desk, source, "notice-a4", tmp_path / "bad.pdf")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("10 problem(s) in bad.xlsx, nothing was minted")
    for line, column in [
        (3, "amount"),
        (4, "amount"),
        (5, "amount"),
        (6, "payer"),
        (7, "notice"),
        (8, "due"),
        (9, "due"),
        (10, "item"),
        (11, "notice"),
        (12, "payer"),
    ]:
        assert f"line {line}, column {column}:" in message, (line, column, message)
    assert "line 2," not in message and "the same notice as line 2" in message and "too long" in message
    assert count_codes(desk) == 0 and not (tmp_path / "bad.pdf").exists()


def test_a_changed_amount_for_a_notice_with_a_live_bill_is_refused_before_minting(desk, tmp_path):
    desk.mint_bill("18", "200", "张三", "N-1")
    source = workbook(tmp_path / "fix.xlsx", [["18", 250, "张三", "N-1", None], ["18", 100, "李四", "N-2", None]])
    with pytest.raises(
        InputError, match=r"line 2, column notice: notice N-1 already has the live bill C\d+ .*revoke it"
    ):
        run(desk, source, "notice-a4", tmp_path / "fix.pdf")
    assert count_codes(desk) == 1


def test_kinds_and_templates_must_agree(cli, desk, tmp_path):
    bills = write_csv(
        tmp_path / "b.csv", [["bill", "18", "200", "张三", "N-1"]], ["kind", "item", "amount", "payer", "notice"]
    )
    assert_one_error_line(
        cli("batch", bills, "-t", "poster-a4", "-o", tmp_path / "p.pdf"),
        "line 2, column kind: template poster-a4 does not print bill codes",
        "notice-a4 or slip-a5",
    )
    scenes = write_csv(tmp_path / "s.csv", [["09", "窗口 1"]], ["item", "scene"])  # with a notice: bill rows
    assert_one_error_line(
        cli("batch", scenes, "-t", "notice-a4", "-o", tmp_path / "n.pdf"),
        "line 2, column scene: only scene codes have a scene; leave it empty for a bill code",
    )
    explicit = write_csv(tmp_path / "e.csv", [["scene", "09", "窗口 1"]], ["kind", "item", "scene"])
    assert_one_error_line(
        cli("batch", explicit, "-t", "slip-a5", "-o", tmp_path / "e.pdf"),
        "line 2, column kind: template slip-a5 does not print scene codes (only bill)",
    )
    mixed = write_csv(tmp_path / "m.csv", [["scene", "09", "窗口 1", "200"]], ["kind", "item", "scene", "amount"])
    assert_one_error_line(
        cli("batch", mixed, "-t", "poster-a4", "-o", tmp_path / "m.pdf"),
        "line 2, column amount: only bill rows have amount",
    )
    bill_file = workbook(tmp_path / "fees.xlsx", [["01", 1200, "王小明", "JY-1", None]])
    assert_one_error_line(
        cli("batch", bill_file, "-t", "labels-a4", "-o", tmp_path / "l.pdf"),
        "fees.xlsx has bill column(s) amount, payer, notice, due, and template labels-a4 does not print bills",
        "notice-a4 or slip-a5",
    )
    assert count_codes(desk) == 0


def test_header_problems_name_the_column(desk, tmp_path):
    both = workbook(tmp_path / "both.xlsx", [], header=["item", "项目编码", "金额"])
    with pytest.raises(InputError, match="two columns of the header name item"):
        run(desk, both, "notice-a4", tmp_path / "x.pdf")
    none = workbook(tmp_path / "none.xlsx", [["200"]], header=["金额"])
    with pytest.raises(InputError, match=r"no column item \(项目编码\)"):
        run(desk, none, "notice-a4", tmp_path / "x.pdf")
    other = workbook(tmp_path / "other.xlsx", [["18"]], header=["项目编码", "班级"])
    with pytest.raises(InputError, match="unknown column.*'班级'"):
        run(desk, other, "notice-a4", tmp_path / "x.pdf")
