"""Verification: every status a code can have, and a code's standing at a moment."""

from datetime import datetime, timedelta

import pytest
from helpers import BASE_URL_24, in_months

from qrpay import STATUSES, Qrpay, RegisterError, Settings
from qrpay.keys import Keyring
from qrpay.verify import STANDINGS

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


def test_revoked_codes_report_when_and_why(desk):
    code, _ = desk.mint_scene("09", "window 3")
    revoked = desk.revoke(code.id, "sticker pasted over")
    verdict = desk.verify(code.payment_code)
    assert verdict.status == "revoked" and "sticker pasted over" in verdict.reason
    assert revoked.revoked_at
    with pytest.raises(RegisterError, match="already revoked"):
        desk.revoke(code.id, "again")


def test_validity_window_gives_expired_and_not_yet_valid(desk):
    start, end = in_months(2), in_months(3)
    code, _ = desk.mint_open("06", valid_from=start, valid_until=end)
    for day, status in (
        (start - timedelta(days=1), "not-yet-valid"),
        (start, "genuine"),
        (end, "genuine"),
        (end + timedelta(days=1), "expired"),
    ):
        with Qrpay(desk.settings, today=lambda day=day: day) as then:
            assert then.today() == day
            assert then.verify(code.payload).status == status


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


def test_every_status_is_one_of_the_contract_statuses(desk):
    code, _ = desk.mint_scene("09", "window 3")
    for text in (code.payload, "", "hello", code.payload + "x", code.payment_code):
        assert desk.verify(text).status in STATUSES


def test_standing_at_a_moment_sees_revocations_after_it_as_ok(desk, code):
    before = datetime.now(desk.settings.tz) - timedelta(hours=1)
    desk.revoke(code.id, "poster torn")
    assert desk.standing_at(code.id, before).standing == "ok"
    later = desk.standing_at(code.payment_code, datetime.now(desk.settings.tz) + timedelta(minutes=1))
    assert (later.standing, later.code) == ("revoked", desk.get(code.id))
    assert "poster torn" in later.reason


def test_standing_outside_the_window_is_expired_and_unknown_codes_say_so(desk):
    start, end = in_months(1), in_months(2)
    windowed, _ = desk.mint_open("06", valid_from=start, valid_until=end)
    found = desk.standing_at(windowed.id, datetime.now(desk.settings.tz))
    assert found.standing == "expired" and f"valid {start} to {end}" in found.reason
    for text, why in (
        ("", "no code given"),
        ("C0000099", "no code C0000099"),
        ("Cx", "not a code id"),
        ("hello", "malformed"),
    ):
        found = desk.standing_at(text, datetime.now(desk.settings.tz))
        assert (found.standing, found.code) == ("unknown_code", None) and why in found.reason
    assert {desk.standing_at(t, datetime.now(desk.settings.tz)).standing for t in ("", windowed.id)} <= set(STANDINGS)
