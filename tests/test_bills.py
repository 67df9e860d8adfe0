"""Bills through the API and the CLI: minting, idempotence, the signed amount, the masked payer."""

import json
from datetime import timedelta

import pytest
from conftest import register_rows
from helpers import assert_one_error_line, today

from qrpay import InputError, Qrpay
from qrpay.codes import paycode, token
from qrpay.codes.bill import Bill, mask_payer
from qrpay.codes.money import parse_yuan, yuan
from qrpay.register.store import Purpose

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

NOTICE = "3301002026120100001"


def test_a_bill_is_minted_once_per_item_and_notice(desk):
    due = today() + timedelta(days=15)
    code, new = desk.mint_bill("18", "200.00", "张三", NOTICE, due)
    assert new and code.kind == "bill"
    assert code.bill == Bill(20000, "张三", NOTICE, due)
    again, new_again = desk.mint_bill("18", "200", " 张三 ", NOTICE, due.isoformat())
    assert (again.id, new_again) == (code.id, False)
    other, _ = desk.mint_bill("18", "200.00", "张三", NOTICE + "2", due)
    assert other.serial != code.serial
    assert desk.verify(code.payload).status == "genuine"
    assert desk.get(code.id).bill == code.bill


def test_the_same_notice_with_another_amount_is_refused_until_the_bill_is_revoked(desk):
    code, _ = desk.mint_bill("18", "200.00", "张三", NOTICE)
    with pytest.raises(InputError, match="already has the live bill"):
        desk.mint_bill("18", "300.00", "张三", NOTICE)
    desk.revoke(code.id, "amount corrected")
    corrected, new = desk.mint_bill("18", "300.00", "张三", NOTICE)
    assert new and corrected.bill.amount_fen == 30000


def test_a_bill_token_signs_its_amount_and_due_date(desk):
    due = today() + timedelta(days=3)
    code, _ = desk.mint_bill("18", "1234.56", "李四", NOTICE, due)
    claims = token.parse(code.token)
    assert (claims.kind, claims.serial, claims.amount_fen, claims.due) == ("bill", code.serial, 123456, due)
    assert len(code.token) == 34 and code.qr_version <= 4


def test_a_register_whose_amount_was_changed_makes_the_bill_forged(desk):
    code, _ = desk.mint_bill("18", "200.00", "张三", NOTICE)
    with desk.transaction():
        desk.register.db.execute("UPDATE codes SET amount_fen = 100 WHERE serial = ?", (code.serial,))
    for text in (code.payload, code.payment_code):
        verdict = desk.verify(text)
        assert verdict.status == "forged" and "amount" in verdict.reason


def test_bill_payment_codes_are_sixteen_digits_and_verify(desk):
    code, _ = desk.mint_bill("18", "200.00", "张三", NOTICE)
    assert len(code.payment_code.replace(" ", "")) == paycode.BILL_LENGTH
    parsed = paycode.parse(code.payment_code)
    assert (parsed.kind, parsed.number, parsed.serial) == ("bill", 18, code.serial)
    verdict = desk.verify(code.payment_code)
    assert verdict.status == "genuine" and verdict.code.id == code.id
    scene, _ = desk.mint_scene("09", "window 3")
    assert len(scene.payment_code.replace(" ", "")) == paycode.LENGTH  # the other kinds keep twelve


def test_verify_shows_the_payer_masked_and_show_unmasked(desk, cli):
    code, _ = desk.mint_bill("18", "200.00", "欧阳娜娜", NOTICE)
    result = cli("verify", code.payment_code, "--json")
    row = json.loads(result.stdout)[0]
    assert (row["payer"], row["amount"], row["notice"], row["due"]) == ("欧***", "200.00", NOTICE, None)
    assert "欧阳娜娜" not in result.stdout + result.stderr
    shown = json.loads(cli("show", code.id, "--json").stdout)
    assert shown["payer"] == "欧阳娜娜" and shown["kind"] == "bill"


def test_mint_bill_through_the_cli(cli, desk):
    due = (today() + timedelta(days=30)).isoformat()
    args = ("mint", "bill", "--item", "18", "--amount", "200.00", "--payer", "张三", "--notice", NOTICE, "--due", due)
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"id", "kind", "item", "payload", "payment_code", "qr_version"} <= set(data)
    assert (data["kind"], data["item"], data["amount"], data["payer"], data["notice"], data["due"]) == (
        "bill",
        "18",
        "200.00",
        "张三",
        NOTICE,
        due,
    )
    assert data["new"] is True
    again = json.loads(cli(*args, "--json").stdout)
    assert (again["id"], again["new"]) == (data["id"], False)
    text = cli("show", data["id"]).stdout
    assert "200.00 yuan" in text and NOTICE in text
    listed = json.loads(cli("list", "--kind", "bill", "--json").stdout)
    assert [row["id"] for row in listed] == [data["id"]]


@pytest.mark.parametrize(
    "options, fragment",
    [
        (("--amount", "0"), "more than 0"),
        (("--amount", "-5"), "more than 0"),  # a negative amount is an amount, just not one a bill can carry
        (("--amount", "12.345"), "at most 2 decimals"),
        (("--amount", "abc"), "not an amount"),
        (("--amount", "1,20,0"), "not an amount"),
        (("--amount", "100000000.01"), "above the limit"),
        (("--due", "2020-02-30"), "not a date"),
        (("--due", (today() - timedelta(days=1)).isoformat()), "already past"),
        (("--payer", " "), "payer is empty"),
        (("--notice", "a\u200bb"), "invisible"),
        (("--item", "77"), "unknown item"),
    ],
)
def test_bad_bill_input_is_one_error_line_and_changes_nothing(cli, desk, home, options, fragment):
    desk.mint_scene("09", "window 3")
    before = register_rows(home)
    fields = {"--item": "18", "--amount": "200.00", "--payer": "张三", "--notice": NOTICE}
    fields.update(dict(zip(options[::2], options[1::2])))
    result = cli("mint", "bill", *[part for pair in fields.items() for part in pair])
    assert_one_error_line(result, fragment, stdout_empty=True)
    assert register_rows(home) == before


def test_mint_many_takes_bill_purposes_all_or_none(desk):
    good = desk.bill_purpose("18", "200.00", "张三", NOTICE)
    other = desk.bill_purpose("01", "1500", "王五", "JY-2026-0001")
    assert isinstance(good, Purpose) and good.bill.amount_fen == 20000
    minted = desk.mint_many([good, other])
    assert [new for _, new in minted] == [True, True]
    clash = desk.bill_purpose("18", "999.00", "张三", NOTICE)
    with pytest.raises(InputError):
        desk.mint_many([desk.bill_purpose("18", "1", "赵六", "NEW-1"), clash])
    assert len(desk.list_codes(kind="bill")) == 2  # the first of that batch was rolled back


def test_a_stand_in_bill_prints_as_wide_as_a_real_one_and_never_verifies(desk):
    purpose = desk.bill_purpose("18", "200.00", "张三", NOTICE, today() + timedelta(days=9))
    fake = desk.stand_in(purpose)
    real, _ = desk.mint_bill("18", "200.00", "张三", NOTICE, today() + timedelta(days=9))
    assert len(fake.payload) == len(real.payload) and len(fake.payment_code) == len(real.payment_code)
    assert desk.verify(fake.payload).status != "genuine"


@pytest.mark.parametrize(
    "name, masked", [("张三", "张*"), ("欧阳娜娜", "欧***"), ("杭州某某科技有限公司", "杭*********"), ("王", "*")]
)
def test_mask_payer(name, masked):
    assert mask_payer(name) == masked


@pytest.mark.parametrize("text, fen", [("200", 20000), ("200.5", 20050), ("0.01", 1), ("1,234.56", 123456)])
def test_yuan_round_trips(text, fen):
    assert parse_yuan(text) == fen
    assert parse_yuan(yuan(fen)) == fen


@pytest.mark.parametrize("written", ["¥1,200.50", "￥1200.5", " １，２００．５０ ", "1,200.50"])
def test_a_bill_amount_may_be_written_as_people_write_it(cli, desk, written):
    args = ("mint", "bill", "--item", "18", "--amount", written, "--payer", "张三", "--notice", NOTICE, "--json")
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["amount"] == "1200.50"
    [bill] = desk.list_codes()
    assert bill.bill is not None and bill.bill.amount_fen == 120050


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "amount is empty; give it in yuan, like 200 or 200.50"),
        ("1,20,0", "amount '1,20,0' is not an amount of yuan; write it like 200 or 200.50 (at most 2 decimals)"),
        ("１２．３４５", "amount '12.345' has 3 decimals; write it like 200 or 200.50 (at most 2 decimals)"),
        ("¥0.00", "amount '¥0.00' must be more than 0 yuan"),
        ("-¥5", "amount '-¥5' must be more than 0 yuan"),
        ("100,000,000.01", "amount '100,000,000.01' is above the limit of 100000000.00 yuan"),
    ],
)
def test_a_refused_bill_amount_is_one_sentence_naming_it(text, message):
    with pytest.raises(InputError) as refused:
        parse_yuan(text)
    assert str(refused.value) == message


def test_an_older_register_migrates_and_gains_bills(desk, engine, monkeypatch):
    """A register made by the previous schema (migrations 0001-0003, with a code, a render and a
    statement line in it, written as that qrpay wrote them) opens with this qrpay, keeps its rows
    and takes bills."""
    from qrpay.codes.seal import seal
    from qrpay.register import schema, store

    old = schema.MIGRATIONS[:3]
    key = desk.keyring.signing_key
    fields = seal("scene", 9, "window 3", None, None, 1, key.kid, key.secret, desk.settings.base_url)
    desk.close()
    with monkeypatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", old)
        patch.setattr("qrpay.register.dialect.MIGRATIONS", old)
        with Qrpay(desk.settings) as before, before.transaction():
            assert before.register.migrations() == [name for name, _ in old]
            db = before.register.db
            db.execute(
                "INSERT INTO codes (kind, number, scene, kid, token, payload, payment_code, qr_version, created_at) "
                "VALUES ('scene', 9, 'window 3', ?, ?, ?, ?, 3, 't')",
                (fields["kid"], fields["token"], fields["payload"], fields["payment_code"]),
            )
            db.execute(
                "INSERT INTO renders (serial, template, path, sha256, created_at) VALUES (1, 'p', '/x', 'h', 't')"
            )
            db.execute("INSERT INTO statements (digest, name, encoding, imported_at) VALUES ('d', 'n', 'utf-8', 't')")
            db.execute(
                "INSERT INTO statement_lines VALUES "
                "((SELECT id FROM statements), 1, 'T1', 't', 500, 'c', 'r', 1, 'ok', 'genuine')"
            )
    with Qrpay(desk.settings) as after:
        assert after.register.migrations()[:4] == ["0001_codes", "0002_renders", "0003_emergency", "0004_bills"]
        scene = after.get("C0000001")
        assert (scene.scene, scene.token, scene.bill) == ("window 3", fields["token"], None)
        assert after.verify(scene.payload).status == "genuine"
        assert after.renders(scene)[0]["path"] == "/x"
        again, new = after.mint_scene("09", "window 3")
        assert (again.id, new) == (scene.id, False)
        bill, new = after.mint_bill("18", "200.00", "张三", NOTICE)
        assert new and bill.serial == 2 and after.verify(bill.payment_code).status == "genuine"
        db = after.register.db
        assert db.execute("SELECT amount_fen, serial FROM statement_lines").fetchone() == (500, 1)
        if engine == "sqlite":
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
