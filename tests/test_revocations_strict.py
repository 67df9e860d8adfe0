"""The revocation list is parsed strictly: JSON that could be read two ways (a duplicate key),
a signature spelled other than qrpay writes it, extra fields, NaN or absurd nesting are all
refused, even where the HMAC itself would still match."""

from __future__ import annotations

import json

import pytest

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def exported(cli, desk, tmp_path):
    code = desk.mint_scene("09", "window 1")[0]
    desk.revoke(code.id, "sticker pasted over")
    path = tmp_path / "revoked.json"
    assert cli("revocations", "export", "-o", path).exit_code == 0
    return path, json.loads(path.read_text(encoding="utf-8"))


def verdict(cli, path):
    result = cli("revocations", "verify", path, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_the_exported_list_verifies(cli, exported):
    assert verdict(cli, exported[0])[0] == 0


def test_a_duplicate_key_is_refused_although_the_last_value_would_verify(cli, exported, tmp_path):
    path, document = exported
    body = json.dumps(document, ensure_ascii=False)
    forged = tmp_path / "dup.json"
    forged.write_text(body.replace('"kid":', '"kid": 99, "kid":', 1), encoding="utf-8")
    assert json.loads(forged.read_text(encoding="utf-8"))["kid"] == document["kid"]  # a lax parser accepts it
    code, result = verdict(cli, forged)
    assert code == 1 and "appears twice" in result["reason"]


def test_a_signature_with_stray_bits_or_padding_is_refused(cli, exported, tmp_path):
    path, document = exported
    signature = document["signature"]
    last = B64.index(signature[-1])
    twin = signature[:-1] + B64[last ^ 1]  # the same 32 bytes, another spelling (2 unused bits)
    for spelled in (twin, signature + "=", " " + signature):
        forged = tmp_path / "sig.json"
        forged.write_text(json.dumps({**document, "signature": spelled}), encoding="utf-8")
        code, result = verdict(cli, forged)
        assert code == 1 and "spelled" in result["reason"], (spelled, result)
    assert path.read_text(encoding="utf-8") == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: {**d, "extra": 1}, "exactly the fields"),
        (lambda d: {**d, "count": d["count"] + 1}, "count must be"),
        (lambda d: {**d, "kid": True}, "whole number"),
        (lambda d: {**d, "revoked": [{**d["revoked"][0], "note": "x"}]}, "exactly the fields"),
        (lambda d: {**d, "revoked": [{**d["revoked"][0], "reason": 1}]}, "is a text"),
    ],
    ids=["extra-field", "count", "bool-kid", "extra-entry-field", "number-reason"],
)
def test_a_list_not_exactly_in_qrpay_s_shape_is_refused(cli, exported, tmp_path, change, reason):
    forged = tmp_path / "shape.json"
    forged.write_text(json.dumps(change(exported[1])), encoding="utf-8")
    code, result = verdict(cli, forged)
    assert code == 1 and reason in result["reason"]


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"format": NaN}', '{"format": 1, "kid": Infinity}'],
    ids=["deep", "nan", "infinity"],
)
def test_absurd_json_is_refused_quickly_and_cleanly(cli, keyring, tmp_path, text):
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")
    code, result = verdict(cli, path)
    assert code == 1 and "not strict JSON" in result["reason"]
