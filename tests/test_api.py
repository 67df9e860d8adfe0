"""The Python API: minting, idempotency, verification statuses, rotation and revocation."""

from datetime import date, timedelta

import pytest
from conftest import BASE_URL_24

from qrpay import InputError, KeyringError, NotFoundError, Qrpay, RegisterError, Settings
from qrpay.keys import Keyring

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


def count(desk: Qrpay) -> int:
    return desk.register.db.execute("SELECT count(*) FROM codes").fetchone()[0]


def test_minted_codes_are_https_urls_on_the_base_url_and_verify(desk):
    for code, new in (desk.mint_unified("traffic-fine"), desk.mint_scene("09", "window 3"), desk.mint_open("06")):
        assert new and code.payload == BASE_URL_24 + code.token
        assert code.qr_version <= 4
        for form in (code.payload, code.token, code.payment_code, code.payment_code.replace(" ", "")):
            verdict = desk.verify(form)
            assert (verdict.status, verdict.code.id) == ("genuine", code.id)


def test_minting_the_same_purpose_returns_the_existing_code(desk):
    first, _ = desk.mint_unified("education")
    again, new = desk.mint_unified("education")
    assert (again, new) == (first, False)
    scene, _ = desk.mint_scene("09", "window 3")
    assert desk.mint_scene("9", "  window   3 ") == (scene, False)  # same item, same normalised scene
    assert desk.mint_scene("09", "window 4")[0].serial != scene.serial
    window = dict(valid_from="2030-01-01", valid_until="2030-01-31")
    assert desk.mint_open("06", **window)[0] == desk.mint_open("06", **window)[0]
    assert desk.mint_open("06")[0].serial != desk.mint_open("06", **window)[0].serial
    assert count(desk) == 5


def test_after_revocation_the_same_purpose_mints_a_new_code(desk):
    old, _ = desk.mint_unified("traffic-fine")
    desk.revoke(old.id, "poster damaged")
    new, created = desk.mint_unified("traffic-fine")
    assert created and new.serial != old.serial
    assert desk.verify(old.payload).status == "revoked"
    assert desk.verify(new.payload).status == "genuine"


def test_revoked_codes_report_when_and_why(desk):
    code, _ = desk.mint_scene("09", "window 3")
    revoked = desk.revoke(code.id, "sticker pasted over")
    verdict = desk.verify(code.payment_code)
    assert verdict.status == "revoked" and "sticker pasted over" in verdict.reason
    assert revoked.revoked_at
    with pytest.raises(RegisterError, match="already revoked"):
        desk.revoke(code.id, "again")


def test_validity_window_gives_expired_and_not_yet_valid(desk, monkeypatch):
    code, _ = desk.mint_open("06", valid_from="2030-03-01", valid_until="2030-03-31")
    for today, status in (
        (date(2030, 2, 28), "not-yet-valid"),
        (date(2030, 3, 1), "genuine"),
        (date(2030, 3, 31), "genuine"),
        (date(2030, 4, 1), "expired"),
    ):
        monkeypatch.setattr(desk, "today", lambda today=today: today)
        assert desk.verify(code.payload).status == status


def test_rotation_keeps_old_codes_verifying_and_new_codes_use_the_new_key(desk, home):
    old, _ = desk.mint_scene("09", "window 3")
    Keyring.load(home / "keyring.json").rotate()
    rotated = Qrpay(Settings.load(home=home))
    new, _ = rotated.mint_scene("09", "window 4")
    assert (old.kid, new.kid) == (1, 2)
    assert rotated.verify(old.payload).status == "genuine"
    assert rotated.mint_scene("09", "window 3") == (old, False)  # reprinting keeps the hanging poster valid
    rotated.close()


def test_retiring_a_key_makes_its_codes_unknown_key_and_is_refused_while_codes_are_live(desk):
    code, _ = desk.mint_scene("09", "window 3")
    desk.keyring.rotate()
    with pytest.raises(KeyringError, match="still signs 1 live code"):
        desk.retire_key(1)
    desk.retire_key(1, force=True)
    verdict = desk.verify(code.payload)
    assert verdict.status == "unknown-key" and "retired" in verdict.reason


def test_forged_codes(desk, tmp_path, monkeypatch):
    code, _ = desk.mint_scene("09", "window 3")
    monkeypatch.delenv("QRPAY_DATABASE_URL", raising=False)  # the forger has a register of his own
    other = Qrpay(Settings.load(home=tmp_path / "elsewhere", base_url=BASE_URL_24))
    Keyring.init(other.settings.keyring_path)
    fake, _ = other.mint_scene("09", "window 3")  # same serial, same key id, different secret
    assert desk.verify(fake.payload).status == "forged"
    lookalike = code.payload.replace("pay.hz.gov.cn", "pay-hz.gov.cn.example")
    verdict = desk.verify(lookalike)
    assert verdict.status == "forged" and "does not lead to the platform" in verdict.reason
    other.close()


@pytest.mark.parametrize(
    "text, status",
    [
        ("", "malformed"),
        ("hello", "malformed"),
        ("1234 5678", "malformed"),
        ("2090 0000 0107", "malformed"),
        ("https://pay.hz.gov.cn/q/", "malformed"),
    ],
)
def test_inputs_that_are_not_codes_are_malformed(desk, text, status):
    assert desk.verify(text).status == status


def test_valid_payment_code_or_token_unknown_to_this_register_is_not_found(desk, tmp_path):
    from qrpay.codes import paycode, token

    assert desk.verify(paycode.make("scene", 9, 4242)).status == "not-found"
    signed = token.sign(token.Claims("scene", 1, 9, 4242), desk.keyring.signing_key.secret)
    assert desk.verify(signed).status == "not-found"


def test_unknown_key_id(desk):
    from qrpay.codes import token

    signed = token.sign(token.Claims("scene", 9, 9, 1), b"z" * 32)
    assert desk.verify(signed).status == "unknown-key"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda d: d.mint_scene("42", "window 1"), NotFoundError, "unknown item"),
        (lambda d: d.mint_scene("09", ""), InputError, "empty"),
        (lambda d: d.mint_scene("09", "x" * 65), InputError, "limit is 64"),
        (lambda d: d.mint_scene("09", "window\x073"), InputError, r"U\+0007"),
        (lambda d: d.mint_scene("09", "window\u202e3"), InputError, r"U\+202E"),
        (lambda d: d.mint_unified("parking"), NotFoundError, "traffic-fine"),
        (lambda d: d.mint_open("01"), InputError, "not emergency-eligible"),
        (lambda d: d.mint_open("06", valid_from="31/12/2026"), InputError, "YYYY-MM-DD"),
        (lambda d: d.mint_open("06", valid_from="2030-02-01", valid_until="2030-01-01"), InputError, "after"),
        (lambda d: d.mint_open("06", valid_until="2021-01-01"), InputError, "already past"),
        (lambda d: d.get("C0000999"), NotFoundError, "qrpay list"),
        (lambda d: d.get("42"), InputError, "C0000042"),
        (lambda d: d.revoke("C0000001", "   "), InputError, "reason is empty"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(desk, call, error, message):
    desk.mint_scene("09", "window 3")
    with pytest.raises(error, match=message):
        call(desk)
    assert count(desk) == 1
    assert not desk.get("C0000001").revoked


def test_minting_without_a_keyring_says_how_to_create_one(home):
    desk = Qrpay(Settings.load(home=home))
    with pytest.raises(KeyringError, match="qrpay keys init"):
        desk.mint_scene("09", "window 3")
    assert count(desk) == 0
    desk.close()


def test_list_filters_and_limit(desk):
    desk.mint_unified("traffic-fine")
    scene, _ = desk.mint_scene("09", "window 3")
    desk.mint_scene("09", "window 4")
    desk.revoke(scene.id, "moved")
    assert [c.kind for c in desk.list_codes()] == ["unified", "scene", "scene"]
    assert len(desk.list_codes(item="09")) == 2
    assert len(desk.list_codes(item="traffic-fine")) == 1
    assert [c.id for c in desk.list_codes(revoked=True)] == [scene.id]
    assert len(desk.list_codes(limit=1)) == 1


def test_register_records_named_migrations_and_uses_wal(desk, engine):
    desk.mint_unified("education")
    assert desk.register.migrations()[:2] == ["0001_codes", "0002_renders"]
    if engine == "sqlite":
        assert desk.register.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_code_validity_is_inside_the_signed_token(desk):
    from qrpay.codes import token

    code, _ = desk.mint_open("07", valid_from=date.today() + timedelta(days=1), valid_until="2030-01-31")
    claims = token.parse(code.token)
    assert (claims.valid_from, claims.valid_until) == (code.valid_from, code.valid_until)
