import os
import stat

import pytest

from qrpay import KeyringError
from qrpay.keys import Keyring


def test_init_creates_an_owner_only_keyring_with_key_1(tmp_path):
    ring = Keyring.init(tmp_path / "keyring.json")
    assert stat.S_IMODE(os.stat(ring.path).st_mode) == 0o600
    assert ring.signing_key.kid == 1
    assert "secret" not in repr(ring.signing_key)


def test_init_refuses_to_overwrite_an_existing_keyring(tmp_path):
    path = tmp_path / "keyring.json"
    Keyring.init(path)
    before = path.read_bytes()
    with pytest.raises(KeyringError, match="already exists"):
        Keyring.init(path)
    assert path.read_bytes() == before


def test_rotate_makes_the_newest_key_sign_and_keeps_the_old_one(tmp_path):
    ring = Keyring.init(tmp_path / "keyring.json")
    first = ring.signing_key
    ring.rotate()
    reloaded = Keyring.load(ring.path)
    assert reloaded.signing_key.kid == 2
    assert reloaded.get(1).secret == first.secret and reloaded.get(1).active


def test_retire_keeps_at_least_one_active_key(tmp_path):
    ring = Keyring.init(tmp_path / "keyring.json")
    with pytest.raises(KeyringError, match="last active key"):
        ring.retire(1)
    ring.rotate()
    ring.retire(2)
    assert Keyring.load(ring.path).signing_key.kid == 1
    with pytest.raises(KeyringError, match="already retired"):
        ring.retire(2)
    with pytest.raises(KeyringError, match="no key 9"):
        ring.retire(9)


def test_a_keyring_others_can_read_is_refused_with_the_chmod_to_run(tmp_path):
    ring = Keyring.init(tmp_path / "keyring.json")
    os.chmod(ring.path, 0o644)
    with pytest.raises(KeyringError, match=f"chmod 600 {ring.path}"):
        Keyring.load(ring.path)


def test_missing_or_damaged_keyring_says_what_to_do(tmp_path):
    with pytest.raises(KeyringError, match="qrpay keys init"):
        Keyring.load(tmp_path / "nope.json")
    damaged = tmp_path / "keyring.json"
    damaged.write_text("{not json")
    os.chmod(damaged, 0o600)
    with pytest.raises(KeyringError, match="damaged"):
        Keyring.load(damaged)
