"""Keys stay secret: an exposed keyring is refused, and no output, file or traceback holds a key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

from typer.main import get_command

from qrpay import revocations
from qrpay.cli import app
from qrpay.codes import token
from qrpay.keys import Keyring


def secret_forms(ring: Keyring) -> list[bytes]:
    """Every way a key could leak: raw, as a Python bytes literal, base64 (both alphabets, with
    and without padding), hex, and the keys itsdangerous derives from it for codes and lists."""
    forms = []
    for key in ring.keys:
        for secret in (
            key.secret,
            *(hmac.new(key.secret, salt, hashlib.sha256).digest() for salt in (token.SALT, revocations.SALT)),
        ):
            for text in (
                base64.b64encode(secret),
                base64.urlsafe_b64encode(secret),
                secret.hex().encode(),
                secret.hex().upper().encode(),
            ):
                forms += [text, text.rstrip(b"=")]
            forms += [secret, repr(secret)[2:-1].encode()]  # the repr a traceback's locals would show
    return forms


def assert_no_secret(blob: bytes | str, ring: Keyring, where: str) -> None:
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else blob
    for form in secret_forms(ring):
        assert form not in data, f"key material in {where}"


def test_a_keyring_others_can_read_stops_signing_and_verifying_until_chmod_600(cli, home):
    assert cli("keys", "init").exit_code == 0
    minted = cli("mint", "scene", "--item", "09", "--scene", "window 3", "--json")
    payload = minted.stdout.split('"payload": "')[1].split('"')[0]
    ring = home / "keyring.json"
    for mode in (0o644, 0o640, 0o604, 0o660):
        ring.chmod(mode)
        for args in (
            ["mint", "scene", "--item", "09", "--scene", "window 4"],
            ["verify", payload],
            ["keys", "rotate"],
            ["revocations", "export", "-o", home / "r.json"],
        ):
            result = cli(*args)
            assert result.exit_code == 2, args
            assert result.stderr.count("\n") == 1 and f"chmod 600 {ring}" in result.stderr
    assert not (home / "r.json").exists()
    ring.chmod(0o600)
    assert cli("verify", payload).exit_code == 0


def test_no_command_prints_or_writes_key_material(cli, home, tmp_path):
    """Every command that exists before rendering, on success and on error, text and --json."""
    out = tmp_path / "out"
    runs = [
        ["keys", "init"],
        ["keys", "init"],
        ["info"],
        ["info", "--json"],
        ["catalog"],
        ["catalog", "--json"],
        ["mint", "unified", "traffic-fine", "--json"],
        ["mint", "unified", "education"],
        ["mint", "scene", "--item", "09", "--scene", "window 3", "--json"],
        ["mint", "open", "--item", "06", "--valid-until", "2199-01-01", "--json"],
        ["mint", "scene", "--item", "99", "--scene", "x"],
        ["mint", "open", "--item", "18"],
        ["keys", "rotate"],
        ["keys", "rotate", "--json"],
        ["keys", "list"],
        ["keys", "list", "--json"],
        ["verify", "C0000001"],
        ["verify", "2090 0000 0169", "--json"],
        ["verify", "garbage.x"],
        ["list"],
        ["list", "--json"],
        ["show", "C0000002"],
        ["show", "C0000002", "--json"],
        ["show", "C9"],
        ["revoke", "C0000002", "--reason", "test"],
        ["revoke", "C0000002", "--reason", "again"],
        ["keys", "retire", "1"],
        ["keys", "retire", "1", "--force", "--json"],
        ["keys", "retire", "9"],
        ["backup", "-o", out / "b.sqlite3"],
        ["backup", "-o", out / "b.sqlite3", "--json"],
        ["revocations", "export", "-o", out / "revoked.json", "--json"],
        ["revocations", "verify", out / "revoked.json"],
        ["revocations", "verify", out / "b.sqlite3", "--json"],
        ["restore", out / "b.sqlite3"],
        ["restore", out / "revoked.json"],
    ]
    ring_path = home / "keyring.json"
    captured = []
    for args in runs:
        result = cli(*args)
        assert "Traceback" not in result.stderr, args
        captured.append((args, result.stdout + result.stderr))
    tokens = [line for _, text in captured for line in text.split() if line.startswith("https://")]
    assert tokens
    for payload in tokens[:2]:
        result = cli("verify", payload, "--json")
        captured.append((["verify", payload], result.stdout + result.stderr))

    ring = Keyring.load(ring_path)
    assert len(ring.keys) == 3
    for args, text in captured:
        assert_no_secret(text, ring, " ".join(map(str, args)))
    for written in (home / "register.sqlite3", out / "b.sqlite3", out / "revoked.json"):
        assert_no_secret(written.read_bytes(), ring, written.name)


def test_no_help_text_holds_key_material(cli, home):
    assert cli("keys", "init").exit_code == 0
    ring = Keyring.load(home / "keyring.json")

    def walk(command, path: list[str]):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path in walk(get_command(app), []):
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert_no_secret(result.stdout + result.stderr, ring, " ".join(path) + " --help")


def test_tracebacks_never_show_locals_and_a_key_hides_its_secret(keyring):
    assert app.pretty_exceptions_show_locals is False
    key = keyring.signing_key
    for text in (repr(key), str(key), repr(keyring), str(keyring.keys)):
        assert_no_secret(text, keyring, "a repr")
    assert key.public_dict().keys() == {"kid", "created_at", "retired_at"}


CRASH = """
import sys
from qrpay.codes import token
from qrpay.cli import main
def crash(signed, secret):  # the key is a local of the failing frame
    raise RuntimeError("unexpected failure while checking a signature")
token.signature_ok = crash
sys.argv = ["qrpay", "verify", sys.argv[1]]
main()
"""


def test_an_unexpected_crash_while_the_key_is_in_hand_does_not_print_it(cli, home):
    assert cli("keys", "init").exit_code == 0
    minted = cli("mint", "unified", "education", "--json")
    payload = minted.stdout.split('"payload": "')[1].split('"')[0]
    result = subprocess.run(
        [sys.executable, "-c", CRASH, payload],
        capture_output=True,
        timeout=60,
        env={"QRPAY_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert result.returncode != 0
    assert b"unexpected failure while checking a signature" in result.stderr  # a traceback was printed
    ring = Keyring.load(Path(home) / "keyring.json")
    assert_no_secret(result.stdout + result.stderr, ring, "the traceback")
