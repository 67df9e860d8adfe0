from datetime import date

import pytest
from helpers import BASE_URL_24

from qrpay import MalformedToken
from qrpay.codes import token
from qrpay.qr.encode import encode, version_of

SECRET = b"k" * 32
LONGEST = token.Claims("open", 255, 89, token.MAX_SERIAL, date(2026, 12, 1), token.LAST_DATE)


@pytest.mark.parametrize(
    "claims",
    [
        token.Claims("unified", 1, 91, 1),
        token.Claims("scene", 3, 9, 4242),
        token.Claims("open", 2, 6, 77, date(2026, 12, 1), None),
        token.Claims("open", 2, 6, 78, None, date(2027, 1, 31)),
        LONGEST,
    ],
)
def test_claims_round_trip_through_a_signed_token(claims):
    signed = token.sign(claims, SECRET)
    assert token.parse(signed) == claims
    assert token.signature_ok(signed, SECRET)
    assert not token.signature_ok(signed, b"x" * 32)


def test_token_is_compact_and_carries_an_80_bit_tag():
    scene = token.sign(token.Claims("scene", 1, 9, 1), SECRET)
    longest = token.sign(LONGEST, SECRET)
    assert (len(scene), len(longest)) == (23, 29)
    tag = longest.split(".")[1]
    assert len(token._unb64(tag)) * 8 == 80


def test_every_kind_fits_qr_version_4_at_level_m_with_a_24_character_base_url():
    assert len(BASE_URL_24) == 24
    for claims in (
        token.Claims("unified", 255, 92, token.MAX_SERIAL),
        token.Claims("scene", 255, 89, token.MAX_SERIAL),
        LONGEST,
    ):
        payload = BASE_URL_24 + token.sign(claims, SECRET)
        symbol = encode(payload)
        assert symbol.version <= 4 and symbol.error == "M"
        assert version_of(payload) == symbol.version


@pytest.mark.parametrize("length", range(20, 75, 3))
def test_the_encoder_never_needs_a_larger_symbol_than_segno_at_the_same_level(length):
    """qrpay encodes with zxing-cpp for speed; segno, the reference encoder, bounds its choices."""
    import segno

    payload = (BASE_URL_24 + token.sign(LONGEST, SECRET) + "Ab9-_" * 20)[:length]
    for level in "LMQH":
        ours = encode(payload, error=level)
        reference = segno.make(payload, error=level, micro=False, boost_error=False)
        assert ours.error == level and ours.size == 17 + 4 * ours.version
        assert ours.version <= reference.version


def test_a_json_token_in_a_url_would_need_a_much_larger_symbol():
    from itsdangerous import URLSafeSerializer

    naive = URLSafeSerializer("secret").dumps(
        {"v": 1, "kid": 1, "kind": "open", "item": "06", "serial": 77, "from": "2026-12-01", "until": "2027-01-31"}
    )
    assert version_of(BASE_URL_24 + naive) >= 7


def test_the_key_id_travels_inside_the_token():
    signed = token.sign(token.Claims("scene", 7, 9, 1), SECRET)
    assert token.parse(signed).kid == 7


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        ".",
        "GAEJAAAB.",
        ".35L1YmygzyUNqA",
        "GAEJAAAB.35L1YmygzyUNqA.x",
        "GAEJAAA=.35L1YmygzyUNqA",
        "GAEJAAAB.35L1YmygzyUN",
        "AAAAAAAA.35L1YmygzyUNqA",
        "GAEJAAAB\u00e9.35L1YmygzyUNqA",
    ],
)
def test_malformed_tokens_raise_the_tools_own_error(text):
    with pytest.raises(MalformedToken):
        token.parse(text)


def test_non_canonical_base64_is_refused_so_a_changed_character_never_passes():
    import base64

    signed = token.sign(token.Claims("scene", 1, 9, 1), SECRET)
    body, tag = signed.split(".")
    lenient = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    # 80 bits in 14 characters leave 4 unused bits in the last one: other characters decode the same
    twins = [
        tag[:-1] + c
        for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        if c != tag[-1] and lenient(tag[:-1] + c) == lenient(tag)
    ]
    assert twins
    for twin in twins:
        with pytest.raises(MalformedToken, match="canonical"):
            token.parse(f"{body}.{twin}")
