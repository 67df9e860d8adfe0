"""The signed revocation list: what it holds, and that no change to it goes unnoticed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from qrpay import revocations
from qrpay.keys import Keyring

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


@pytest.fixture
def listed(cli, desk, tmp_path):
    """Three codes, two revoked, and the list exported through the CLI."""
    codes = [desk.mint_scene("09", f"window {n}")[0] for n in range(3)]
    desk.revoke(codes[0].id, "sticker pasted over")
    desk.revoke(codes[2].id, "窗口撤销")
    path = tmp_path / "revoked.json"
    result = cli("revocations", "export", "-o", path, "--json")
    assert result.exit_code == 0, result.stderr
    return path, codes, json.loads(result.stdout)


def test_export_lists_every_revoked_code_with_hash_time_and_reason(listed, desk):
    path, codes, summary = listed
    document = json.loads(path.read_text("utf-8"))
    assert summary == {"path": str(path), "count": 2, "kid": 1, "generated_at": document["generated_at"]}
    assert document["format"] == 1 and document["kid"] == 1 and document["count"] == 2
    for entry, code in zip(document["revoked"], (desk.get(codes[0].id), desk.get(codes[2].id))):
        assert entry == {
            "id": code.id,
            "payment_code": code.payment_code,
            "token_sha256": hashlib.sha256(code.token.encode()).hexdigest(),
            "revoked_at": code.revoked_at,
            "reason": code.revoked_reason,
        }
    assert codes[1].id not in path.read_text("utf-8")


def test_an_untouched_list_verifies(listed, cli):
    path, _, _ = listed
    result = cli("revocations", "verify", path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["valid"] is True
    assert cli("revocations", "verify", path).stdout.startswith("VALID")


def _tamperings(document: dict):
    """Every way to change one thing in the list, each as (what, changed document)."""
    for index, entry in enumerate(document["revoked"]):
        for field, value in entry.items():
            changed = json.loads(json.dumps(document))
            changed["revoked"][index][field] = value[:-1] + ("0" if value[-1] != "0" else "1")
            yield f"entry {index} {field}", changed
        dropped = json.loads(json.dumps(document))
        del dropped["revoked"][index]
        yield f"entry {index} removed", dropped
    added = json.loads(json.dumps(document))
    added["revoked"].append(dict(document["revoked"][0], id="C0000999"))
    yield "entry added", added
    for field in ("generated_at", "count"):
        changed = json.loads(json.dumps(document))
        changed[field] = "2020-01-01T00:00:00+00:00" if field == "generated_at" else 1
        yield field, changed
    signature = json.loads(json.dumps(document))
    signature["signature"] = signature["signature"][::-1]
    yield "signature", signature


def test_any_change_to_the_list_breaks_the_signature(listed, cli, tmp_path):
    path, _, _ = listed
    document = json.loads(path.read_text("utf-8"))
    checked = 0
    for what, changed in _tamperings(document):
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps(changed, ensure_ascii=False), "utf-8")
        result = cli("revocations", "verify", forged, "--json")
        assert result.exit_code == 1, what
        assert json.loads(result.stdout)["valid"] is False, what
        checked += 1
    assert checked >= 14


def test_reformatting_the_json_does_not_break_the_signature(listed, cli, tmp_path):
    path, _, _ = listed
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(json.loads(path.read_text("utf-8")), separators=(",", ":")), "utf-8")
    assert cli("revocations", "verify", compact).exit_code == 0


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[]", b'{"format": 1}', b"not json"])
def test_what_is_not_a_revocation_list_is_invalid(cli, keyring, tmp_path, content):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    result = cli("revocations", "verify", path)
    assert result.exit_code == 1 and result.stdout.startswith("INVALID")


def test_a_missing_list_is_an_error(cli, keyring, tmp_path):
    result = cli("revocations", "verify", tmp_path / "none.json")
    assert result.exit_code == 2 and "revocations export" in result.stderr


def test_a_list_signed_by_another_keyring_or_a_retired_key_is_invalid(listed, desk, tmp_path):
    path, _, _ = listed
    stranger = Keyring.init(tmp_path / "other" / "keyring.json")
    assert not revocations.check(path, stranger).valid  # key 1 there is another secret
    stranger.rotate()
    stranger.retire(1)
    check = revocations.check(path, stranger)
    assert not check.valid and "retired" in check.reason
    desk.keyring.rotate()
    desk.keyring.retire(1)
    assert "retired" in revocations.check(path, desk.keyring).reason


def test_the_list_uses_its_own_salt_so_a_code_signature_cannot_stand_in(desk):
    from qrpay.codes import token

    assert revocations.SALT != token.SALT


def test_the_signature_is_checked_in_constant_time(listed, desk, monkeypatch):
    path, _, _ = listed
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert revocations.check(path, desk.keyring).valid
    assert calls


def test_the_signature_follows_the_recipe_in_security_md(listed, desk):
    """The platform reimplements the check from docs/SECURITY.md, so pin it with the standard library."""
    path, _, _ = listed
    document = json.loads(path.read_text("utf-8"))
    key = desk.keyring.get(document["kid"]).secret
    derived = hmac.new(key, b"qrpay.revocations.v1", hashlib.sha256).digest()
    body = json.dumps(
        {k: v for k, v in document.items() if k != "signature"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    expected = base64.urlsafe_b64encode(hmac.new(derived, body, hashlib.sha256).digest()).rstrip(b"=")
    assert hmac.compare_digest(expected.decode(), document["signature"])
