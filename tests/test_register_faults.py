"""Register faults: damaged, foreign, newer or read-only register files.

A file that is not a healthy register is refused with one error naming it, and is left
byte for byte as it was, with nothing created beside it. A read-only register still answers
list, show and verify; minting and revoking fail with one clean line.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import BASE_URL_24
from typer.testing import CliRunner

import qrpay
from qrpay import Qrpay, RegisterError, Settings
from qrpay.cli import app
from qrpay.keys import Keyring
from qrpay.register import Register
from qrpay.register.files import SQLITE_MAGIC

NOBODY = 65534


def run(home: Path, *args: str):
    return CliRunner().invoke(
        app, ["--home", str(home), "--base-url", BASE_URL_24, *map(str, args)], catch_exceptions=False
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def one_error_line(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> dict:
    """A genuine register with enough codes to span several pages, built once."""
    home = tmp_path_factory.mktemp("template")
    ring = Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url=BASE_URL_24)) as desk:
        codes = [desk.mint_scene("09", f"window {n}")[0] for n in range(40)]
        root = desk.register.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'codes'").fetchone()[0]
    return {
        "bytes": (home / "register.sqlite3").read_bytes(),
        "keyring": ring.path.read_bytes(),
        "codes": codes,
        "codes_root": root,
    }


@pytest.fixture
def home(tmp_path: Path, template: dict) -> Path:
    """A home holding the template's keyring (the register is up to each test)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "keyring.json").write_bytes(template["keyring"])
    (home / "keyring.json").chmod(0o600)
    return home


def _sqlite_file(folder: Path, *, wal: bool = False, version: int = 0, app_id: int = 0) -> bytes:
    path = folder / f"made-{wal}-{version}-{app_id}.db"
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO notes (body) VALUES (?)", [(f"note {n}",) for n in range(200)])
    db.execute(f"PRAGMA user_version = {version}")
    db.execute(f"PRAGMA application_id = {app_id}")
    db.commit()
    db.close()
    return path.read_bytes()


def _newer(template: dict, folder: Path) -> bytes:
    path = folder / "newer.db"
    path.write_bytes(template["bytes"])
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    return path.read_bytes()


def _damaged_page(template: dict, folder: Path) -> bytes:
    data = bytearray(template["bytes"])
    start = (template["codes_root"] - 1) * 4096
    data[start : start + 8] = b"\xff" * 8
    return bytes(data)


BAD_FILES = {
    "empty file": (lambda t, f: b"", "empty file"),
    "random bytes": (lambda t, f: random.Random(1).randbytes(5000), "not an SQLite database"),
    "a CSV file": (lambda t, f: b"id,amount\nC0000001,12.00\n", "not an SQLite database"),
    "SQLite magic then garbage": (lambda t, f: SQLITE_MAGIC + random.Random(2).randbytes(4080), "another program"),
    "cut inside the header": (lambda t, f: t["bytes"][:60], "truncated"),
    "cut mid-page": (lambda t, f: t["bytes"][: len(t["bytes"]) // 2 + 123], "damaged"),
    "cut at a page boundary": (lambda t, f: t["bytes"][: 4096 * 3], "damaged"),
    "a damaged page": (_damaged_page, "damaged"),
    "another program's database": (lambda t, f: _sqlite_file(f), "another program"),
    "another program's WAL database": (lambda t, f: _sqlite_file(f, wal=True), "another program"),
    "newer schema": (_newer, "newer than this qrpay"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_register_file_is_refused_by_name_and_left_exactly_as_it_was(name, template, home, tmp_path):
    build, fragment = BAD_FILES[name]
    register = home / "register.sqlite3"
    register.write_bytes(build(template, tmp_path))
    before = snapshot(home)

    with pytest.raises(RegisterError) as raised:
        Register.open(register)
    assert str(register) in str(raised.value) and fragment in str(raised.value)
    assert snapshot(home) == before

    code = template["codes"][0]
    for args in (
        ["list"],
        ["show", code.id],
        ["verify", code.payment_code],
        ["mint", "scene", "--item", "09", "--scene", "window 99"],
        ["revoke", code.id, "--reason", "test"],
        ["backup", "-o", tmp_path / "b"],
    ):
        one_error_line(run(home, *args), str(register), fragment)
        assert snapshot(home) == before, args
    assert not (tmp_path / "b").exists()


def test_a_healthy_register_opens_and_nothing_else_is_left_beside_it(template, home):
    (home / "register.sqlite3").write_bytes(template["bytes"])
    result = run(home, "list")
    assert result.exit_code == 0 and result.stdout.count("\n") == 40
    assert sorted(os.listdir(home)) == ["keyring.json", "register.sqlite3"]


def test_a_new_register_is_owner_only_and_never_seen_half_made(tmp_path, monkeypatch):
    path = tmp_path / "reg" / "register.sqlite3"
    with Register.open(path) as register:
        assert register.migrations()
    assert path.stat().st_mode & 0o777 == 0o600
    assert os.listdir(path.parent) == ["register.sqlite3"]  # the temporary file is gone


def test_a_register_created_meanwhile_by_another_process_is_kept(tmp_path, template):
    path = tmp_path / "register.sqlite3"
    real_link = os.link

    def someone_was_first(src, dst):
        Path(dst).write_bytes(template["bytes"])
        real_link(src, dst)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "link", someone_was_first)
        with Register.open(path) as register:
            assert len(register.list_codes()) == 40
    assert os.listdir(tmp_path) == ["register.sqlite3"]


def test_a_filesystem_without_hard_links_still_gets_a_register(tmp_path):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "link", no_links)
        with Register.open(tmp_path / "register.sqlite3") as register:
            assert register.list_codes() == []
    assert os.listdir(tmp_path) == ["register.sqlite3"]


def test_no_register_and_create_false_says_so(tmp_path):
    with pytest.raises(RegisterError, match="no register at"):
        Register.open(tmp_path / "register.sqlite3", create=False)
    assert not list(tmp_path.iterdir())


# -- read-only registers ----------------------------------------------------------------------


def _read_only_checks(home: Path, template: dict, fragment: str) -> None:
    """Reads answer, writes fail with one line naming the fix, and nothing changes on disk."""
    before = snapshot(home)
    code = template["codes"][3]
    assert run(home, "list").stdout.count("\n") == 40
    assert code.payment_code in run(home, "show", code.id).stdout
    for form in (code.payload, code.payment_code):
        assert run(home, "verify", form).exit_code == 0
    again = run(home, "mint", "scene", "--item", "09", "--scene", "window 3")
    assert again.exit_code == 0 and code.id in again.stdout  # the same purpose is only a read
    for args in (["mint", "scene", "--item", "09", "--scene", "window 99"], ["revoke", code.id, "--reason", "test"]):
        one_error_line(run(home, *args), "cannot change register", "read-only", fragment)
    assert snapshot(home) == before
    assert sorted(os.listdir(home)) == sorted(before)


def test_a_read_only_register_file_reads_but_refuses_writes(template, home):
    register = home / "register.sqlite3"
    register.write_bytes(template["bytes"])
    register.chmod(0o444)
    _read_only_checks(home, template, f"chmod u+w {register}")


def test_a_register_in_a_read_only_folder_reads_but_refuses_writes(template, home):
    (home / "register.sqlite3").write_bytes(template["bytes"])
    home.chmod(0o555)
    try:
        _read_only_checks(home, template, f"chmod u+w {home}")
    finally:
        home.chmod(0o755)


def test_a_register_opened_read_only_refuses_every_write_but_can_be_backed_up(template, home):
    (home / "register.sqlite3").write_bytes(template["bytes"])
    with Register.open(home / "register.sqlite3", readonly=True) as register:
        assert len(register.list_codes()) == 40
        with pytest.raises(RegisterError, match="opened read-only; reading it still works"):
            register.revoke(1, "test")
        register.backup(home / "copy.sqlite3")
        with pytest.raises(RegisterError, match="opened read-only"):
            register.restore(home / "copy.sqlite3")
    assert snapshot(home)["register.sqlite3"] == template["bytes"]


def test_a_read_only_register_from_an_older_qrpay_says_it_needs_upgrading(template, home):
    register = home / "register.sqlite3"
    register.write_bytes(template["bytes"])
    db = sqlite3.connect(register)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    register.chmod(0o444)
    one_error_line(run(home, "list"), "needs upgrading", f"chmod u+w {register}")


# -- as a user without write permission (root ignores permissions, so drop to nobody) -------


def _as_nobody(home: str, commands: list[list[str]], results) -> None:
    """Run CLI commands in-process after giving up root (fork keeps the loaded modules)."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    found = []
    for args in commands:
        result = CliRunner().invoke(app, ["--home", home, "--base-url", BASE_URL_24, *args])
        crash = None if isinstance(result.exception, (SystemExit, type(None))) else repr(result.exception)
        found.append((result.exit_code, result.stdout, result.stderr, crash))
    results.put(found)


def _others_can_read(path: Path) -> bool:
    """Whether every folder down to *path* lets other users through, and *path* lets them read."""
    folders = [folder for folder in path.resolve().parents]
    return all(folder.stat().st_mode & 0o001 for folder in folders) and bool(path.stat().st_mode & 0o004)


def _run_as_nobody(home: Path, commands: list[list[str]]) -> list[tuple]:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_as_nobody, args=(str(home), commands, results))
    child.start()
    found = results.get(timeout=60)
    child.join(timeout=60)
    return found


@pytest.fixture
def shared_home(template):
    """A root-owned home under /tmp that others may read: the register another user keeps."""
    if os.geteuid() != 0:
        pytest.skip("needs root to hand files to another user; as non-root the chmod tests above are already real")
    if not _others_can_read(Path(qrpay.__file__).parent / "codes" / "catalog.toml"):
        pytest.skip("qrpay is installed where other users cannot read it, so another user cannot run it here")
    home = Path(tempfile.mkdtemp(prefix="qrpay-shared-", dir="/tmp"))
    home.chmod(0o755)
    (home / "register.sqlite3").write_bytes(template["bytes"])
    (home / "register.sqlite3").chmod(0o644)
    keyring = home / "keyring.json"
    keyring.write_bytes(template["keyring"])
    keyring.chmod(0o600)
    os.chown(keyring, NOBODY, NOBODY)  # the reader's own copy of the keyring
    yield home
    shutil.rmtree(home)


def test_another_users_register_in_a_folder_they_cannot_write_reads_for_real(template, shared_home):
    code = template["codes"][5]
    before = snapshot(shared_home)
    found = _run_as_nobody(
        shared_home,
        [
            ["list"],
            ["verify", code.payload],
            ["show", code.id],
            ["mint", "scene", "--item", "09", "--scene", "window 99"],
        ],
    )
    (listed, verified, shown, minted) = found
    assert all(crash is None for *_, crash in found), found
    assert listed[0] == 0 and listed[1].count("\n") == 40
    assert verified[0] == 0 and shown[0] == 0
    assert minted[0] == 2 and "read-only" in minted[2] and len(minted[2].splitlines()) == 1
    assert snapshot(shared_home) == before


def test_another_users_live_register_with_a_wal_is_read_including_the_wal(template, shared_home):
    """While the owner's process holds recent codes in the -wal, a reader still sees them."""
    with Qrpay(Settings.load(home=shared_home, base_url=BASE_URL_24)) as owner:
        fresh, _ = owner.mint_scene("09", "window 41")  # stays in the -wal while this stays open
        assert Path(f"{shared_home}/register.sqlite3-wal").stat().st_size > 0
        [(status, out, err, crash)] = _run_as_nobody(shared_home, [["show", fresh.id]])
    assert crash is None and status == 0, err
    assert fresh.payment_code in out


def test_a_home_that_is_a_file_or_a_register_that_is_a_folder_is_one_clean_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "home" / "register.sqlite3").mkdir(parents=True)
    for home, fragment in (
        (tmp_path / "afile", "is a file, not a folder"),
        (tmp_path / "afile" / "sub", "is a file, not a folder"),
        (tmp_path / "home", "Is a directory"),
    ):
        one_error_line(run(home, "list"), fragment)
    assert (tmp_path / "afile").read_text() == "not a folder"
