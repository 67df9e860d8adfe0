"""Emergency kits: one PDF of a cover, each item's emergency poster and its staff log sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import in_months, page_texts

from qrpay.emergency.kit import make_kit
from qrpay.errors import InputError
from qrpay.qr.decode import read_file

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


@pytest.fixture(scope="module")
def default_kit(tmp_path_factory):
    """The default kit, built once for the module: it is the slowest thing these tests do."""
    from qrpay import Qrpay, Settings
    from qrpay.keys import Keyring

    home = tmp_path_factory.mktemp("kit-home")
    Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url="https://pay.hz.gov.cn/q/")) as desk:
        kit = make_kit(desk, tmp_path_factory.mktemp("kit-out") / "kit.pdf")
        yield desk, kit


def test_every_code_in_the_kit_reads_back_as_its_payload(default_kit):
    _, kit = default_kit
    assert read_file(kit.path) == [code.payload for code in kit.codes]


def test_the_default_kit_holds_the_emergency_items_cover_posters_and_sheets(default_kit):
    desk, kit = default_kit
    assert [f"{code.number:02d}" for code in kit.codes] == ["05", "06", "07", "08", "09"]
    assert all(code.kind == "open" for code in kit.codes) and kit.pages == 11
    texts = page_texts(kit.path)
    assert "应急缴款包" in texts[0]
    for code in kit.codes:
        assert code.id in texts[0] and code.payment_code in texts[0]
    for index, code in enumerate(kit.codes):
        poster, sheet = texts[1 + 2 * index], texts[2 + 2 * index]
        assert "应急缴款" in poster and code.payment_code in poster
        assert "应急缴款登记表" in sheet and code.id in sheet
        assert all(heading in sheet for heading in ("付款时间", "业务编号", "付款人", "金额", "经办人"))


def test_the_kit_is_recorded_among_each_codes_renders(default_kit):
    desk, kit = default_kit
    for code in kit.codes:
        assert [(r["template"], r["path"]) for r in desk.register.renders(code.serial)] == [
            ("emergency-kit", str(kit.path.resolve()))
        ]


def test_a_second_kit_reuses_the_codes_and_gives_the_same_bytes(default_kit, tmp_path):
    desk, kit = default_kit
    again = make_kit(desk, tmp_path / "again.pdf")
    assert again.codes == kit.codes and again.minted == ()
    assert again.path.read_bytes() == kit.path.read_bytes()


def test_items_and_a_validity_window_choose_the_codes(cli, desk, tmp_path):
    start, end = desk.today(), in_months(12, desk.today())
    out = tmp_path / "kit.pdf"
    result = cli(
        "emergency",
        "kit",
        "--item",
        "09",
        "--item",
        "06",
        "--valid-from",
        start,
        "--valid-until",
        end,
        "-o",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(out) and data["pages"] == 5
    assert [(c["item"], c["valid_from"], c["valid_until"]) for c in data["codes"]] == [
        ("09", str(start), str(end)),
        ("06", str(start), str(end)),
    ]
    assert read_file(out) == [c["payload"] for c in data["codes"]]
    assert [desk.verify(c["payment_code"]).status for c in data["codes"]] == ["genuine", "genuine"]


def test_an_item_that_is_not_emergency_eligible_mints_nothing(cli, desk, tmp_path):
    result = cli("emergency", "kit", "--item", "06", "--item", "18", "-o", tmp_path / "kit.pdf")
    assert result.exit_code == 2 and "18 are not emergency-eligible" in result.stderr
    assert desk.list_codes() == [] and not (tmp_path / "kit.pdf").exists()


def test_the_output_must_be_a_pdf(desk, tmp_path):
    with pytest.raises(InputError, match="name the output file .pdf"):
        make_kit(desk, tmp_path / "kit.png")


def test_the_default_output_never_replaces_a_file_qrpay_did_not_write(desk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stranger = tmp_path / "output" / f"emergency-kit-{desk.today()}.pdf"
    stranger.parent.mkdir()
    stranger.write_bytes(b"someone's file")
    with pytest.raises(InputError, match="qrpay did not write it"):
        make_kit(desk, items=["06"])
    assert stranger.read_bytes() == b"someone's file" and desk.list_codes() == []


def test_the_default_output_is_replaced_when_qrpay_wrote_it(desk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = make_kit(desk, items=["06"])
    assert first.path == Path("output") / f"emergency-kit-{desk.today()}.pdf"
    assert make_kit(desk, items=["06"]).sha256 == first.sha256


def test_a_kit_defaults_to_30_days_from_today(desk, tmp_path):
    from datetime import timedelta

    from qrpay.emergency.kit import DEFAULT_DAYS, make_kit

    kit = make_kit(desk, tmp_path / "kit.pdf", items=["06"])
    code = kit.codes[0]
    assert DEFAULT_DAYS == 30
    assert (code.valid_from, code.valid_until) == (desk.today(), desk.today() + timedelta(days=29))
