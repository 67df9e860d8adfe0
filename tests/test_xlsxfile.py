"""Excel workbooks read as the same bounded tables as CSV files: cells as the text Excel shows,
rows numbered as Excel numbers them, limits and zip-bomb checks before anything is parsed."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from helpers import today
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from qrpay import xlsxfile
from qrpay.errors import InputError
from qrpay.xlsxfile import cell_text, read_file, read_workbook, stream_file


def workbook(path: Path, rows: list[list[object]], *, title_rows: int = 0, epoch: object = None) -> Path:
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    for _ in range(title_rows):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_numbers_read_as_the_decimal_text_excel_shows(tmp_path):
    day = today()
    path = workbook(
        tmp_path / "fees.xlsx",
        [
            ["Amount", "Count", "Due", "Paid at"],
            [200.0, 3, day, datetime.combine(day, time(9, 30))],
            [200.5, 12345678901, datetime.combine(day, time(0)), None],
            [0.1 + 0.2, -7, None, "text"],
            [1e-5, 0, None, None],
        ],
    )
    table = read_workbook(path, path.name, required=("amount",))
    assert table.columns == ("amount", "count", "due", "paid at")
    assert [row.cells for row in table.rows] == [
        {"amount": "200", "count": "3", "due": day.isoformat(), "paid at": f"{day.isoformat()} 09:30:00"},
        {"amount": "200.5", "count": "12345678901", "due": day.isoformat(), "paid at": ""},
        {"amount": "0.3", "count": "-7", "due": "", "paid at": "text"},
        {"amount": "0.00001", "count": "0", "due": "", "paid at": ""},
    ]


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False))
def test_an_amount_typed_in_excel_reads_back_as_typed(amount):
    """Excel stores a typed amount as the nearest double; the text read is the amount itself."""
    assert Decimal(cell_text(float(amount))) == amount


def test_other_cell_values_read_as_excel_shows_them():
    assert cell_text(True) == "TRUE"
    assert cell_text(time(8, 5)) == "08:05:00"
    assert cell_text(timedelta(hours=30)) == "1 day, 6:00:00"
    assert cell_text(None) == ""


def test_dates_of_a_1904_workbook_read_as_the_same_day(tmp_path):
    day = today()
    path = workbook(tmp_path / "mac.xlsx", [["due"], [day]], epoch=CALENDAR_MAC_1904)
    assert read_workbook(path, path.name, ("due",)).rows[0].cells == {"due": day.isoformat()}  # type: ignore[index]


def test_header_is_the_first_non_blank_row_and_lines_are_excel_rows(tmp_path):
    path = workbook(
        tmp_path / "pupils.xlsx",
        [["项目编码", "金额 ", "缴款人"], ["01", 1200, "张三"], [], [None, None, None], ["02", "980.50", "李四"]],
        title_rows=2,
    )
    table = read_workbook(path, path.name, required=("项目编码",))
    assert table.columns == ("项目编码", "金额", "缴款人")
    assert [(row.line, row.cells) for row in table.rows] == [
        (4, {"项目编码": "01", "金额": "1200", "缴款人": "张三"}),
        (7, {"项目编码": "02", "金额": "980.50", "缴款人": "李四"}),
    ]


def test_short_rows_are_padded_and_a_value_beyond_the_header_is_refused(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [["item", "amount"], ["01"]])
    assert read_workbook(path, "a.xlsx", ("item",)).rows[0].cells == {"item": "01", "amount": ""}  # type: ignore[index]
    path = workbook(tmp_path / "b.xlsx", [["item", "amount"], ["01", 5, "stray"]])
    with pytest.raises(InputError, match=r"b.xlsx, line 2, column C: a value 'stray' beyond the header's 2 columns"):
        read_workbook(path, "b.xlsx", ("item",))


def test_header_problems_name_the_row_and_column(tmp_path):
    path = workbook(tmp_path / "h.xlsx", [["item", "Item"]])
    with pytest.raises(InputError, match="h.xlsx, line 1, column item: named twice"):
        read_workbook(path, "h.xlsx", ("item",))
    path = workbook(tmp_path / "m.xlsx", [[None], ["scene", "kind"]])
    with pytest.raises(
        InputError, match=r"m.xlsx, line 2, column item: missing from the header \(it has: scene, kind\)"
    ):
        read_workbook(path, "m.xlsx", ("item",))
    path = workbook(tmp_path / "e.xlsx", [])
    with pytest.raises(InputError, match="e.xlsx: the first sheet is empty"):
        read_workbook(path, "e.xlsx", ("item",))


def test_limits_on_rows_columns_and_row_length(tmp_path, monkeypatch):
    path = workbook(tmp_path / "wide.xlsx", [[f"c{i}" for i in range(xlsxfile.MAX_COLUMNS + 1)]])
    with pytest.raises(InputError, match=f"line 1: over {xlsxfile.MAX_COLUMNS} columns"):
        read_workbook(path, "wide.xlsx", ())
    path = workbook(tmp_path / "long.xlsx", [["a", "b"], ["x" * 9000, "y" * 9000]])
    with pytest.raises(InputError, match="line 2: the row is over 16,384 characters"):
        read_workbook(path, "long.xlsx", ())
    path = workbook(tmp_path / "many.xlsx", [["a"], *([i] for i in range(6))])
    monkeypatch.setattr(xlsxfile, "MAX_ROWS", 5)
    with pytest.raises(InputError, match="many.xlsx has over 5 rows"):
        read_workbook(path, "many.xlsx", ())


def test_files_that_are_not_workbooks_are_refused_in_one_line(tmp_path):
    cases = {
        "text.xlsx": b"item,amount\n01,5\n",
        "old.xlsx": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600,  # an Excel 97-2003 file
        "cut.xlsx": workbook(tmp_path / "whole.xlsx", [["a"], [1]]).read_bytes()[:300],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError) as raised:
            read_file(tmp_path / name, name, ("item",))
        assert "\n" not in str(raised.value) and name in str(raised.value)
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(InputError, match="a zip file but not an .xlsx workbook"):
        read_file(other, other.name, ())
    with pytest.raises(InputError, match="is a folder"):
        read_workbook(tmp_path, "x.xlsx", ())


def _repack(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for part in old.infolist():
            new.writestr(part.filename, replace.pop(part.filename, old.read(part.filename)))
        for name, data in replace.items():
            new.writestr(name, data)
    return target


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    plain = workbook(tmp_path / "plain.xlsx", [["a"], [1]])
    bomb = _repack(plain, tmp_path / "bomb.xlsx", {"xl/media/padding.bin": b"\0" * (4 * 2**20)})
    assert bomb.stat().st_size < 64 * 1024  # small on disk
    monkeypatch.setattr(xlsxfile, "MAX_UNPACKED", 2 * 2**20)
    with pytest.raises(InputError, match="bomb.xlsx would unpack to 4 MiB"):
        read_workbook(bomb, bomb.name, ())
    monkeypatch.setattr(xlsxfile, "MAX_PARTS", 5)
    with pytest.raises(InputError, match="holds .* parts"):
        read_workbook(plain, plain.name, ())


def test_xml_entities_are_refused_not_expanded(tmp_path):
    plain = workbook(tmp_path / "plain.xlsx", [["a"], ["x"]])
    with zipfile.ZipFile(plain) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    bad = laughs + sheet.split("?>", 1)[-1].replace("<t>x</t>", "<t>&lol2;</t>")
    target = _repack(plain, tmp_path / "laughs.xlsx", {"xl/worksheets/sheet1.xml": bad.encode()})
    with pytest.raises(InputError, match="laughs.xlsx is not a readable .xlsx workbook"):
        read_workbook(target, target.name, ())


def test_either_kind_opens_by_its_suffix_or_signature(tmp_path):
    rows = [["item", "amount"], ["18", "200.00"]]
    (tmp_path / "rows.csv").write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    book = workbook(tmp_path / "rows.xlsx", [list(row) for row in rows])
    misnamed = tmp_path / "saved-as.csv"
    misnamed.write_bytes(book.read_bytes())
    read = [read_file(path, path.name, ("item",)) for path in (tmp_path / "rows.csv", book, misnamed)]
    assert [table.rows for table in read][0] == read[1].rows == read[2].rows
    assert [table.encoding for table in read] == ["utf-8", "xlsx", "xlsx"]
    streamed = stream_file(book, book.name, ("item",))
    assert [row.cells for row in streamed.rows] == [{"item": "18", "amount": "200.00"}]
    with pytest.raises(InputError, match="--encoding applies to CSV files"):
        read_file(book, book.name, ("item",), encoding="gbk")


def test_a_leap_day_reads_as_itself(tmp_path):
    path = workbook(tmp_path / "d.xlsx", [["due"], [date(2000, 2, 29)]])
    assert read_workbook(path, "d.xlsx", ()).rows[0].cells["due"] == "2000-02-29"  # type: ignore[index]
