"""Sealing: real codes and stand-ins come from one function, and a stand-in is never genuine."""

from helpers import BASE_URL_24, in_months

from qrpay.codes import token
from qrpay.codes.seal import STAND_IN_SERIAL, seal, stand_in
from qrpay.register.store import Purpose


def test_a_minted_code_carries_exactly_the_sealed_fields(desk):
    code, _ = desk.mint_open("06", valid_until=in_months(6))
    key = desk.keyring.signing_key
    fields = seal("open", 6, None, None, code.valid_until, code.serial, key.kid, key.secret, BASE_URL_24)
    assert fields == {"kid": code.kid, "token": code.token, "payload": code.payload, "payment_code": code.payment_code}


def test_a_stand_in_prints_as_wide_as_a_real_code_but_never_verifies(desk):
    purpose = Purpose("scene", 9, "window 3")
    real, _ = desk.mint_scene("09", "window 3")
    fake = desk.stand_in(purpose)
    assert fake == stand_in(*purpose, desk.settings.base_url)
    assert (fake.serial, token.parse(fake.token).serial) == (STAND_IN_SERIAL, STAND_IN_SERIAL)
    assert len(fake.payload) == len(real.payload) and len(fake.payment_code) == len(real.payment_code)
    assert desk.verify(fake.payload).status == "forged"
    assert desk.list_codes() == [real]
