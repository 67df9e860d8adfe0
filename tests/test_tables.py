"""Terminal tables: a header row, columns aligned by display width, amounts right-aligned."""

from rich.cells import cell_len

from qrpay.cli.tables import MAX_WIDTH, text_table


def test_columns_line_up_by_display_width_with_chinese_text():
    table = text_table(("CODE", "PAYER", "AT"), [("C0000001", "张三", "10:00"), ("C0000002", "Li", "10:05")])
    header, first, second = table.splitlines()
    assert header.split() == ["CODE", "PAYER", "AT"]
    at = cell_len(header[: header.index("AT")])
    assert cell_len(first[: first.index("10:00")]) == at == cell_len(second[: second.index("10:05")])


def test_named_columns_are_right_aligned_and_none_shows_as_a_dash():
    lines = text_table(("AMOUNT", "PAYER"), [("1200.00", None), ("8.50", "张三")], right=("AMOUNT",)).splitlines()
    ends = [line.index(word) + len(word) for line, word in zip(lines, ("AMOUNT", "1200.00", "8.50"))]
    assert ends == [7, 7, 7] and lines[2].startswith("   8.50")
    assert lines[1].split() == ["1200.00", "-"]


def test_long_cells_are_cut_with_an_ellipsis_except_in_the_last_column():
    lines = text_table(("NAME", "WHY"), [("费" * 40, "x" * 200)]).splitlines()
    name = lines[1].split("  ")[0]
    assert name.endswith("…") and cell_len(name) <= MAX_WIDTH
    assert lines[1].endswith("x" * 200)


def test_markup_in_cells_is_printed_as_it_is():
    assert "[bold]R-1[/]" in text_table(("REFERENCE",), [("[bold]R-1[/]",)])
