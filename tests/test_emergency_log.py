"""The collection log: adding, importing and listing what was collected under the fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qrpay import Qrpay, Settings
from qrpay.emergency.books import Books
from qrpay.emergency.log import CollectionLog
from qrpay.errors import InputError

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_an_entry_is_stored_exactly_with_the_configured_time_zone(log, code, engine):
    entry, new = log.add(code.id, "120.50", "RX-1", payer="张三", at="2024-05-01 10:00")
    assert new and entry.amount == 12050 and entry.at == "2024-05-01T10:00:00+08:00"
    assert log.describe(entry)["amount"] == "120.50"
    type_of = {"sqlite": "typeof(amount_fen)", "postgresql": "pg_typeof(amount_fen)::text"}[engine]
    assert log.books.db.execute(f"SELECT amount_fen, {type_of} FROM log_entries").fetchone() == (
        12050,
        {"sqlite": "integer", "postgresql": "bigint"}[engine],
    )


def test_the_payment_code_or_link_names_the_code_as_well_as_the_id(log, code):
    assert log.add(code.payment_code, "1", "A", at="2024-05-01 10:00")[0].serial == code.serial
    assert log.add(code.payload, "1", "B", at="2024-05-01 10:00")[0].serial == code.serial


def test_logging_the_same_collection_again_returns_the_first_entry(log, code):
    first, _ = log.add(code.id, "120", "RX-1", payer="张三", at="2024-05-01 10:00")
    again, new = log.add(code.id, "120.00", "rx-1")
    assert not new and again == first and len(log.books.entries()) == 1


def test_a_reference_already_logged_with_another_amount_is_refused(log, code):
    log.add(code.id, "120", "RX-1", at="2024-05-01 10:00")
    with pytest.raises(InputError, match=r"--reference: reference 'RX-1' is already logged for C0000001 as entry #1"):
        log.add(code.id, "99", "RX-1")


@pytest.mark.parametrize(
    "amount, words",
    [("-120", "negative"), ("12.345", "3 decimal places"), ("0", "zero"), ("1,20,0", "not an amount of yuan")],
)
def test_bad_amounts_are_refused_and_nothing_is_logged(log, code, amount, words):
    with pytest.raises(InputError, match=f"--amount: .*{words}"):
        log.add(code.id, amount, "RX-1")
    assert log.books.entries() == []


@pytest.mark.parametrize("amount", ["¥1,200.00", "￥1200", "１，２００"])
def test_an_amount_is_logged_as_people_write_it(log, code, amount):
    entry, _ = log.add(code.id, amount, "RX-1")
    assert entry.amount == 120000


def test_the_catalog_limits_of_the_item_apply(home, desk, code):
    (home / "catalog.toml").write_text('[items."06"]\namount_min = "20"\namount_max = "500.00"\n', "utf-8")
    log = CollectionLog(Qrpay(desk.settings))
    with pytest.raises(InputError, match="below the minimum 20 for item 06"):
        log.add(code.id, "19.99", "RX-1")
    with pytest.raises(InputError, match="above the maximum 500.00"):
        log.add(code.id, "500.01", "RX-1")
    assert log.add(code.id, "500", "RX-1")[1]
    log.qrpay.close()


def test_only_genuine_open_codes_can_be_logged(desk, log, code):
    scene, _ = desk.mint_scene("06", "window 3")
    with pytest.raises(InputError, match="C0000002 is a scene code"):
        log.add(scene.id, "1", "R")
    with pytest.raises(InputError, match="not a genuine code"):
        log.add("C0000099", "1", "R")
    forged = code.payload.replace("https://pay.hz.gov.cn/", "https://pay.hz-gov.cn/")
    with pytest.raises(InputError, match="not a genuine code.*does not lead to the platform"):
        log.add(forged, "1", "R")


def test_a_code_revoked_after_the_collection_can_still_be_logged(desk, log, code):
    desk.revoke(code.id, "poster damaged")
    assert log.add(code.id, "1", "R1", at="2024-05-01 10:00")[1]
    with pytest.raises(InputError, match="was revoked at .* before .*when this collection was taken"):
        log.add(code.id, "1", "R2")


def test_a_collection_outside_the_validity_window_is_refused(desk, log):
    start = desk.today().replace(day=1)
    windowed, _ = desk.mint_open("07", valid_from=start)
    with pytest.raises(InputError, match=f"valid {start} to …, not on 2024-05-01"):
        log.add(windowed.id, "1", "R1", at="2024-05-01 10:00")


def test_a_time_in_the_future_is_refused(log, code):
    with pytest.raises(InputError, match="--at: .* is in the future"):
        log.add(code.id, "1", "R1", at="2199-01-01 10:00")


def test_import_logs_every_line_and_reimport_adds_nothing(tmp_path, log, code):
    path = write(
        tmp_path / "log.csv",
        "code,amount,reference,payer,at\n"
        f"{code.id},120.00,RX-1,张三,2024-05-01 10:00\n"
        f"{code.payment_code},88,RX-2,,2024-05-01T10:30:00+08:00\n",
    )
    first = log.import_csv(path)
    assert [entry.reference for entry in first.added] == ["RX-1", "RX-2"] and first.existing == []
    again = log.import_csv(path)
    assert again.added == [] and len(again.existing) == 2 and len(log.books.entries()) == 2


def test_a_gbk_log_file_is_detected(tmp_path, log, code):
    path = write(tmp_path / "log.csv", f"code,amount,reference,payer\n{code.id},120,不动产-1,王五\n", "gbk")
    assert log.import_csv(path).added[0].payer == "王五"


@pytest.mark.parametrize(
    "line, where",
    [
        ("{id},12.345,RX-9,,2024-05-01 10:00", "line 3, column amount"),
        ("{id},-5,RX-9,,2024-05-01 10:00", "line 3, column amount"),
        ("{id},5,RX-9,,5 May", "line 3, column at"),
        ("C0000077,5,RX-9,,2024-05-01 10:00", "line 3, column code"),
        ("{id},5,,,2024-05-01 10:00", "line 3, column reference"),
        ("{id},5,RX-1,,2024-05-01 10:00", "line 3, column reference: repeats line 2"),
    ],
)
def test_one_bad_line_rejects_the_whole_file(tmp_path, log, code, line, where):
    path = write(
        tmp_path / "log.csv",
        f"code,amount,reference,payer,at\n{code.id},120,RX-1,,2024-05-01 10:00\n" + line.format(id=code.id) + "\n",
    )
    with pytest.raises(InputError, match=f"log.csv, {where}.*nothing was recorded"):
        log.import_csv(path)
    assert Books(log.qrpay.register).counts()["log_entries"] == 0


def test_cli_log_add_and_list(cli, desk, code):
    added = cli(
        "emergency",
        "log",
        "add",
        "--code",
        code.payment_code,
        "--amount",
        "120.00",
        "--reference",
        "RX-1",
        "--payer",
        "张三",
        "--at",
        "2024-05-01T10:00",
        "--json",
    )
    assert added.exit_code == 0, added.stderr
    data = json.loads(added.stdout)
    assert {k: data[k] for k in ("id", "code", "item", "amount", "reference", "at", "new")} == {
        "id": 1,
        "code": code.id,
        "item": "06",
        "amount": "120.00",
        "reference": "RX-1",
        "at": "2024-05-01T10:00:00+08:00",
        "new": True,
    }
    listed = cli("emergency", "log", "list", "--json")
    assert [(row["id"], row["status"]) for row in json.loads(listed.stdout)] == [(1, "unpaid")]
    table = cli("emergency", "log", "list")
    assert "RX-1" in table.stdout and "张三" in table.stdout and "unpaid" in table.stdout


def test_cli_log_errors_are_one_line_exit_2(cli, code):
    result = cli("emergency", "log", "add", "--code", code.id, "--amount", "1.001", "--reference", "R")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --amount: '1.001' has 3 decimal places; amounts have at most 2 (fen), e.g. 120.50"
    ]


def test_cli_log_import_reports_what_it_added(cli, tmp_path, code):
    path = write(tmp_path / "log.csv", f"code,amount,reference\n{code.id},1,A\n{code.id},2,B\n")
    result = cli("emergency", "log", "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["added"]) == 2 and data["already_logged"] == []
    again = cli("emergency", "log", "import", path)
    assert again.stdout.strip() == f"Logged 0 new entries from {path} (2 already logged)."


def test_cli_log_import_of_an_undecodable_file_needs_an_encoding(cli, desk, tmp_path, code):
    path = tmp_path / "log.csv"
    path.write_bytes(f"code,amount,reference\n{code.id},1,".encode() + b"\xff\xff\n")
    result = cli("emergency", "log", "import", path)
    assert result.exit_code == 2 and "line 2, column reference" in result.stderr and "--encoding" in result.stderr
    assert Books(desk.register).counts()["log_entries"] == 0


def test_times_without_offset_use_the_configured_time_zone(home, keyring, monkeypatch):
    monkeypatch.setenv("QRPAY_TZ", "Europe/Berlin")
    with Qrpay(Settings.load(home=home)) as berlin:
        code, _ = berlin.mint_open("06")
        entry, _ = CollectionLog(berlin).add(code.id, "1", "R1", at="2024-05-01 10:00")
    assert entry.at == "2024-05-01T10:00:00+02:00"
