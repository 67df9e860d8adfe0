"""The ledger's rules on plain values: amounts, times, CSV files and classification."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qrpay.emergency.ledger import (
    CLASSES,
    Entry,
    Txn,
    classify,
    decode,
    format_amount,
    parse_amount,
    parse_time,
    read_statement,
    read_table,
    reference_key,
    summarize,
)
from qrpay.errors import InputError

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text, fen",
    [
        ("120", 12000),
        ("120.5", 12050),
        ("120.00", 12000),
        ("0.01", 1),
        ("1,200.00", 120000),
        ("¥88", 8800),
        (" 7.10 ", 710),
        ("１２０．５０", 12050),
        ("￥1,200,000.5", 120000050),
        ("¥ 88", 8800),
        ("100,000,000.00", 10000000000),
    ],
)
def test_amounts_are_read_exactly_in_fen(text, fen):
    assert parse_amount(text) == fen


@pytest.mark.parametrize(
    "text, words",
    [
        ("-5.00", "negative"),
        ("12.345", "3 decimal places"),
        ("0", "zero"),
        ("0.00", "zero"),
        ("abc", "not an amount"),
        ("1e3", "not an amount"),
        ("12,34", "not an amount"),
        ("", "not an amount"),
        ("1234567890123", "too large"),
        ("100000000.01", "too large; amounts are at most 100000000.00 yuan"),
        ("1,20,0", "not an amount"),
        ("¥¥88", "not an amount"),
        ("-¥5", "negative"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(text, words):
    with pytest.raises(ValueError, match=words):
        parse_amount(text)


@pytest.mark.parametrize("text, fen", [("-120.00", -12000), ("-¥5", -500), ("¥-1,200.5", -120050), ("－５", -500)])
def test_a_statement_reads_refunds_as_negative_fen(text, fen):
    assert parse_amount(text, refunds=True) == fen


@pytest.mark.parametrize(
    "text, message",
    [
        ("-0.00", "'-0.00' is zero; an amount collected must be more than 0.00"),
        ("12.345", "'12.345' has 3 decimal places; amounts have at most 2 (fen), e.g. 120.50"),
        ("-100000000.01", "'-100000000.01' is too large; amounts are at most 100000000.00 yuan"),
    ],
)
def test_a_refund_is_bounded_and_checked_as_a_payment_is(text, message):
    with pytest.raises(ValueError) as refused:
        parse_amount(text, refunds=True)
    assert str(refused.value) == message


def test_amounts_format_back_with_two_decimals():
    assert [format_amount(fen) for fen in (1, 50, 12000, 123456)] == ["0.01", "0.50", "120.00", "1234.56"]


def test_times_without_offset_take_the_configured_zone():
    assert parse_time("2024-05-01 14:30", SHANGHAI).isoformat() == "2024-05-01T14:30:00+08:00"


def test_times_with_an_offset_keep_their_instant():
    when = parse_time("2024-05-01T06:30:00Z", SHANGHAI)
    assert when.isoformat() == "2024-05-01T14:30:00+08:00"
    assert when == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-05-01", "yesterday", "2024/05/01 10:00", "2024-13-01 10:00"])
def test_dates_without_time_and_non_iso_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_time(text, SHANGHAI)


def test_references_match_across_case_width_and_spacing():
    assert reference_key("ＲＸ-2024  0001") == reference_key("rx-2024 0001")
    assert reference_key("RX-1") != reference_key("RX-2")


def test_encoding_detection_reads_utf8_with_and_without_bom_and_gbk():
    text = "txn_id,reference\nT1,不动产登记\n"
    assert decode(text.encode("utf-8"), "s.csv") == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "s.csv") == (text, "utf-8")
    assert decode(text.encode("gbk"), "s.csv") == (text, "gb18030")


def test_undecodable_bytes_name_the_file_line_and_column():
    data = b"txn_id,reference\nT1,ok\nT2," + b"\xff\xfe\n"
    with pytest.raises(InputError, match=r"^s\.csv, line 3, column reference: .*--encoding"):
        decode(data, "s.csv")


def test_a_wrong_explicit_encoding_is_reported_not_guessed_around():
    with pytest.raises(InputError, match="not utf-8 text"):
        decode("a,b\n不,动\n".encode("gbk"), "s.csv", "utf-8")
    with pytest.raises(InputError, match="unknown encoding"):
        decode(b"a\n", "s.csv", "klingon")


def test_missing_header_columns_are_named(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_text("txn_id,paid_at,amount,reference\n")
    with pytest.raises(InputError, match=r"s\.csv, line 1, column code: missing from the header"):
        read_statement(path, SHANGHAI, name="s.csv")


def test_short_and_long_lines_name_their_line_and_column(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n\n1,2\n")
    with pytest.raises(InputError, match=r"t\.csv, line 4, column c: missing"):
        read_table(path, "t.csv", ("a", "b", "c"))
    path.write_text("a,b,c\n1,2,3,4\n")
    with pytest.raises(InputError, match=r"t\.csv, line 2, column 4: an extra field"):
        read_table(path, "t.csv", ("a", "b", "c"))


def test_every_bad_cell_is_counted_and_the_first_is_named(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_text("txn_id,paid_at,amount,code,reference\nT1,2024-05-01 10:00,12.345,x,r\nT2,not a time,-0,x,r\n")
    with pytest.raises(InputError) as caught:
        read_statement(path, SHANGHAI, name="s.csv")
    message = str(caught.value)
    assert message.startswith("s.csv, line 2, column amount: '12.345' has 3 decimal places")
    assert "nothing was recorded from s.csv; 2 more problem(s)" in message


def test_the_same_payments_give_the_same_digest_whatever_the_encoding(tmp_path: Path):
    text = "txn_id,paid_at,amount,code,reference\nT1,2024-05-01 10:00,12,x,不动产\n"
    (tmp_path / "a.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "b.csv").write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    a, b = (read_statement(tmp_path / name, SHANGHAI) for name in ("a.csv", "b.csv"))
    assert a.digest == b.digest and a.encoding != b.encoding


# -- classification ------------------------------------------------------------------------


def entry(id: int, amount: int = 12000, reference: str = "R1", serial: int = 1) -> Entry:
    return Entry(id, serial, amount, reference, None, "2024-05-01T10:00:00+08:00", "test", "now")


def txn(
    line: int,
    txn_id: str,
    amount: int = 12000,
    reference: str = "R1",
    *,
    statement: int = 1,
    serial: int | None = 1,
    standing: str = "ok",
) -> Txn:
    return Txn(
        statement, line, txn_id, "2024-05-01T10:05:00+08:00", amount, "code", reference, serial, standing, standing
    )


def classes(lines: dict) -> dict:
    return {spot: outcome.cls for spot, outcome in lines.items()}


def test_a_payment_matching_code_reference_and_amount_is_matched():
    lines, logged = classify([txn(2, "T1")], [entry(1)])
    assert classes(lines) == {(1, 2): "matched"} and logged[1].cls == "matched"


def test_a_payment_of_another_amount_is_a_mismatch_and_pays_the_entry():
    lines, logged = classify([txn(2, "T1", 10000)], [entry(1)])
    assert lines[1, 2].cls == "amount_mismatch" and "paid 100.00, logged 120.00" in lines[1, 2].reason
    assert logged[1].cls == "amount_mismatch"


def test_an_entry_prefers_the_payment_of_equal_amount_and_the_other_is_unlogged():
    lines, logged = classify([txn(2, "T1", 10000), txn(3, "T2", 12000)], [entry(1)])
    assert classes(lines) == {(1, 2): "unlogged", (1, 3): "matched"}
    assert "second payment" in lines[1, 2].reason


def test_forged_and_unknown_codes_never_pay_an_entry():
    lines, logged = classify(
        [txn(2, "T1", standing="forged", serial=None), txn(3, "T2", standing="unknown_code", serial=None)], [entry(1)]
    )
    assert classes(lines) == {(1, 2): "forged", (1, 3): "unknown_code"} and logged[1].cls == "unpaid"


def test_a_payment_through_a_revoked_code_still_pays_its_entry_but_is_flagged():
    lines, logged = classify([txn(2, "T1", standing="revoked")], [entry(1)])
    assert lines[1, 2].cls == "revoked" and lines[1, 2].entry == 1 and logged[1].cls == "revoked"


def test_a_txn_listed_twice_in_one_statement_is_a_duplicate_after_the_first():
    lines, _ = classify([txn(2, "T1"), txn(3, "T1"), txn(4, "T1")], [entry(1)])
    assert classes(lines) == {(1, 2): "matched", (1, 3): "duplicate", (1, 4): "duplicate"}


def test_the_same_txn_in_a_later_statement_is_the_same_payment_not_a_duplicate():
    lines, logged = classify([txn(2, "T1"), txn(7, "T1", statement=2)], [entry(1)])
    assert classes(lines) == {(1, 2): "matched", (2, 7): "matched"}


def test_a_txn_id_reused_with_other_details_in_a_later_statement_is_a_duplicate():
    lines, _ = classify([txn(2, "T1"), txn(7, "T1", 500, statement=2)], [entry(1)])
    assert lines[2, 7].cls == "duplicate" and "other details" in lines[2, 7].reason


def test_a_genuine_payment_without_an_entry_is_unlogged_and_an_entry_without_one_is_unpaid():
    lines, logged = classify([txn(2, "T1", reference="R9")], [entry(1)])
    assert lines[1, 2].cls == "unlogged" and logged[1].cls == "unpaid"


def test_summary_always_has_every_class():
    assert summarize(["matched", "matched", "unpaid"]) == {**dict.fromkeys(CLASSES, 0), "matched": 2, "unpaid": 1}


def test_a_binary_or_utf16_file_is_refused_as_not_csv_text(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_bytes("txn_id,paid_at\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"s\.csv, line 1: contains NUL bytes"):
        read_table(path, "s.csv", ("txn_id",))
    assert read_table(path, "s.csv", ("txn_id",), encoding="utf-16").columns == ("txn_id", "paid_at")
