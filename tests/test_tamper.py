"""Tampering: no changed, cut or lengthened token, payload or payment code ever verifies.

Property tests (hypothesis) mutate genuine codes one character at a time; fuzz tests feed
the parsers arbitrary text and bytes, which must only ever give a status or the tool's own
error. A longer, coverage-guided run lives in bench/fuzz.py.
"""

from __future__ import annotations

import hmac
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BASE_URL_24
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qrpay import STATUSES, MalformedToken, Qrpay, QrpayError, Settings
from qrpay.cli import app
from qrpay.codes import paycode, token
from qrpay.keys import Keyring

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEPARATORS = re.compile(r"[\s\-]")


def _open_desk(home: Path) -> Qrpay:
    return Qrpay(Settings.load(home=home, base_url=BASE_URL_24, timezone="Asia/Shanghai"))


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """A desk with one code of each kind, shared by the property tests (they only read)."""
    home = tmp_path_factory.mktemp("tamper")
    Keyring.init(home / "keyring.json")
    desk = _open_desk(home)
    codes = [
        desk.mint_unified("traffic-fine")[0],
        desk.mint_scene("09", "window 3")[0],
        desk.mint_open("06", valid_from="2026-01-01", valid_until="2199-01-31")[0],
    ]
    yield desk, codes
    desk.close()


def _forms(codes) -> list[str]:
    return [form for code in codes for form in (code.token, code.payload)]


def _status(desk: Qrpay, text: str) -> str:
    status = desk.verify(text).status
    assert status in STATUSES
    return status


def test_the_genuine_forms_verify(issued):
    desk, codes = issued
    for code in codes:
        for form in (code.token, code.payload, code.payment_code, code.payment_code.replace(" ", "-")):
            assert _status(desk, form) == "genuine"


# -- tokens and payload URLs -------------------------------------------------------------------


@FAST
@given(data=st.data())
def test_every_single_character_change_of_a_token_or_payload_is_refused(issued, data):
    desk, codes = issued
    text = data.draw(st.sampled_from(_forms(codes)))
    index = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.characters(codec="utf-8"))
    assume(char != text[index])
    changed = text[:index] + char + text[index + 1 :]
    assert _status(desk, changed) != "genuine"


@FAST
@given(data=st.data())
def test_every_truncation_of_a_token_or_payload_is_refused(issued, data):
    desk, codes = issued
    text = data.draw(st.sampled_from(_forms(codes)))
    cut = data.draw(st.integers(0, len(text) - 1))
    assert _status(desk, text[:cut]) != "genuine"


@FAST
@given(data=st.data())
def test_every_extension_of_a_token_or_payload_is_refused(issued, data):
    """Text added anywhere; only surrounding whitespace (scanners add it) is forgiven."""
    desk, codes = issued
    text = data.draw(st.sampled_from(_forms(codes)))
    index = data.draw(st.integers(0, len(text)))
    extra = data.draw(st.text(min_size=1, max_size=8))
    longer = text[:index] + extra + text[index:]
    assume(longer.strip() != text)
    assert _status(desk, longer) != "genuine"


def test_every_exhaustive_single_byte_change_of_a_token_is_refused(issued):
    """All 64 base64 letters at every position: no property-test luck involved."""
    desk, codes = issued
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for code in codes:
        for index, original in enumerate(code.token):
            for char in alphabet.replace(original, ""):
                changed = code.token[:index] + char + code.token[index + 1 :]
                assert _status(desk, changed) != "genuine", changed


def test_the_genuine_token_under_a_look_alike_host_is_forged(issued):
    desk, codes = issued
    for host in ("https://pay.hz.gov.cn.evil.example/q/", "https://pay-hz.gov.cn/q/", "http://pay.hz.gov.cn/q/"):
        assert _status(desk, host + codes[1].token) == "forged"


# -- payment codes -----------------------------------------------------------------------------


def _digits(code) -> str:
    return SEPARATORS.sub("", code.payment_code)


@FAST
@given(data=st.data())
def test_every_single_character_change_of_a_payment_code_is_refused(issued, data):
    """A change counts when the digits change: spaces and dashes between groups are ignored."""
    desk, codes = issued
    text = data.draw(st.sampled_from([code.payment_code for code in codes] + [_digits(code) for code in codes]))
    index = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.one_of(st.sampled_from("0123456789"), st.characters(codec="utf-8")))
    changed = text[:index] + char + text[index + 1 :]
    assume(SEPARATORS.sub("", changed) != SEPARATORS.sub("", text))
    assert _status(desk, changed) != "genuine"


def test_every_digit_substitution_and_adjacent_swap_of_a_payment_code_is_refused(issued):
    desk, codes = issued
    for code in codes:
        digits = _digits(code)
        for index, original in enumerate(digits):
            for char in "0123456789".replace(original, ""):
                assert _status(desk, digits[:index] + char + digits[index + 1 :]) == "malformed"
            if index + 1 < len(digits) and digits[index] != digits[index + 1]:
                swapped = digits[:index] + digits[index + 1] + digits[index] + digits[index + 2 :]
                assert _status(desk, swapped) == "malformed"


@FAST
@given(data=st.data())
def test_every_truncation_or_extension_of_a_payment_code_is_refused(issued, data):
    desk, codes = issued
    text = data.draw(st.sampled_from([code.payment_code for code in codes]))
    cut = data.draw(st.integers(0, len(text) - 1))
    assert _status(desk, text[:cut]) != "genuine"
    extra = data.draw(st.text(min_size=1, max_size=4).filter(lambda s: SEPARATORS.sub("", s)))
    index = data.draw(st.integers(0, len(text)))
    assert _status(desk, text[:index] + extra + text[index:]) != "genuine"


# -- other keyrings, retired keys, constant time -----------------------------------------------


def test_tokens_from_another_keyring_are_forged_or_unknown_key(issued, tmp_path):
    desk, _ = issued
    other = tmp_path / "other"
    Keyring.init(other / "keyring.json")
    with _open_desk(other) as stranger:
        same_kid, _ = stranger.mint_scene("09", "window 3")  # kid 1 in both keyrings, other secret
        stranger.keyring.rotate()
        new_kid, _ = stranger.mint_scene("09", "window 4")  # kid 2, which the first keyring lacks
    for form in (same_kid.token, same_kid.payload):
        assert _status(desk, form) == "forged"
    verdict = desk.verify(new_kid.token)
    assert verdict.status == "unknown-key" and "does not hold" in verdict.reason


def test_a_retired_keys_codes_are_unknown_key_saying_it_was_retired(desk):
    code, _ = desk.mint_scene("09", "window 3")
    desk.keyring.rotate()
    desk.retire_key(1, force=True)
    for form in (code.payload, code.token, code.payment_code):
        verdict = desk.verify(form)
        assert verdict.status == "unknown-key"
        assert "retired on" in verdict.reason


def test_signatures_are_compared_in_constant_time(issued, monkeypatch):
    desk, codes = issued
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    genuine = codes[1].token
    flipped = genuine[:-1] + ("A" if genuine[-1] != "A" else "Q")
    assert desk.verify(genuine).status == "genuine"
    assert desk.verify(flipped).status in ("forged", "malformed")
    assert compared, "signature check did not go through hmac.compare_digest"
    assert all(len(a) == len(b) for a, b in compared)


# -- fuzzing: the parsers only ever return a value or raise the tool's own error ---------------

ANY_TEXT = st.one_of(
    st.text(),
    st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.binary().map(lambda raw: raw.decode("latin-1")),
)
NEAR_TOKEN = st.builds(
    lambda body, tag, sep: token._b64(body) + sep + token._b64(tag),
    st.binary(max_size=14),
    st.binary(max_size=12),
    st.sampled_from([".", "..", ""]),
)
NEAR_PAYMENT_CODE = st.from_regex(r"\A[0-9 \-]{10,16}\Z")


@FAST
@given(text=st.one_of(ANY_TEXT, NEAR_TOKEN))
def test_fuzz_token_parse_returns_claims_or_raises_malformed_token(text):
    try:
        claims = token.parse(text)
    except MalformedToken:
        return
    assert isinstance(claims, token.Claims)


@FAST
@given(text=st.one_of(ANY_TEXT, NEAR_PAYMENT_CODE))
def test_fuzz_payment_code_parse_returns_a_code_or_raises_malformed_token(text):
    try:
        parsed = paycode.parse(text)
    except MalformedToken:
        return
    assert isinstance(parsed, paycode.PaymentCode)
    assert paycode.parse(str(parsed)) == parsed


@FAST
@given(text=st.one_of(ANY_TEXT, NEAR_TOKEN, NEAR_PAYMENT_CODE, st.builds(lambda t: BASE_URL_24 + t, NEAR_TOKEN)))
def test_fuzz_verify_only_ever_returns_a_status(issued, text):
    desk, codes = issued
    try:
        verdict = desk.verify(text)
    except QrpayError:
        return
    assert verdict.status in STATUSES
    if verdict.genuine:
        genuine = {form for code in codes for form in (code.token, code.payload, _digits(code))}
        assert text.strip() in genuine or SEPARATORS.sub("", text) in genuine


@settings(max_examples=60, deadline=None)
@given(text=st.one_of(st.text(), NEAR_TOKEN).filter(lambda t: "\x00" not in t))
def test_fuzz_the_verify_command_exits_1_or_2_without_a_traceback(issued, text):
    desk, _ = issued
    result = CliRunner().invoke(
        app,
        ["--home", str(desk.settings.home), "--base-url", BASE_URL_24, "verify", "--", text],
        catch_exceptions=False,
    )
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.stderr


def test_the_verify_command_survives_bytes_that_are_not_utf8(issued):
    """Real argv bytes (the in-process runner cannot print undecodable text, a terminal can)."""
    desk, _ = issued
    qrpay = Path(sys.executable).with_name("qrpay")
    result = subprocess.run(
        [qrpay, "--home", desk.settings.home, "--base-url", BASE_URL_24, "verify", b"\x80\xff.\xfe", b"2090\xa00000"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr and result.stdout.count(b"MALFORMED") == 2


def test_text_too_long_to_be_a_file_name_is_checked_as_a_code(issued):
    desk, _ = issued
    assert [verdict.status for verdict in desk.verify_input("A" * 300)] == ["malformed"]
