"""What the system refuses is one line: a full disk, a folder another user owns, a file where a
folder should be, numbers and dates out of range, a terminal that cannot show Chinese.
``Error: …`` on stderr, exit 2, no traceback, no partial file, the register and keyring as they were.

The commands run as real processes; the full disk is a real 64 KiB tmpfs, the permission
error a real one (a forked process gives up root and runs as nobody).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import BASE_URL_24
from typer.testing import CliRunner

from qrpay.cli import app

NOBODY = 65534


def qrpay_run(home: Path, *args: str, env: dict | None = None):
    environment = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL_24, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "qrpay", *map(str, args)],
        env=environment,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )


def _nobody_runs(args: list[str], results) -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    result = CliRunner().invoke(app, ["--base-url", BASE_URL_24, *args])
    crash = "" if isinstance(result.exception, (SystemExit, type(None))) else repr(result.exception)
    results.put((result.exit_code, result.stderr + crash))


def _as_nobody(args: list[str]) -> tuple[int, str]:
    """Run a command in a forked process that gave up root (the venv need not be readable)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_nobody_runs, args=(args, results))
    child.start()
    found = results.get(timeout=60)
    child.join(timeout=60)
    return found


def one_error(result, *fragments: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def state(home: Path) -> tuple:
    with closing(sqlite3.connect(home / "register.sqlite3")) as db:
        dump = "\n".join(db.iterdump())
    return (home / "keyring.json").read_bytes(), dump


@pytest.fixture
def scene(desk):
    code = desk.mint_scene("09", "window 3")[0]
    desk.close()
    return code


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB file system, nearly full."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(home, scene, tiny_disk):
    (tiny_disk / "filler").write_bytes(b"x" * 56 * 1024)
    before = state(home)
    line = one_error(qrpay_run(home, "render", scene.id, "-t", "poster-a4", "-o", tiny_disk / "p.pdf"), "p.pdf")
    assert "No space left on device" in line or "disk is full" in line
    assert [path.name for path in tiny_disk.iterdir()] == ["filler"]
    assert state(home) == before


def test_a_folder_the_user_may_not_write_is_one_line(home, scene, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to run as another user")
    shared = Path("/tmp") / f"qrpay-eacces-{os.getpid()}"
    (shared / "locked").mkdir(parents=True)
    try:
        (shared / "home").mkdir()
        for name in ("keyring.json", "register.sqlite3"):
            (shared / "home" / name).write_bytes((home / name).read_bytes())
        os.chmod(shared / "home" / "keyring.json", 0o600)
        for path in (shared, shared / "home", *(shared / "home").iterdir()):
            os.chown(path, NOBODY, NOBODY)
        os.chmod(shared / "locked", 0o755)  # root's folder: others may look, not write
        warm = ["--home", str(home), "render", scene.id, "-t", "poster-a4", "-o", str(tmp_path / "warm.pdf")]
        assert CliRunner().invoke(app, ["--base-url", BASE_URL_24, *warm]).exit_code == 0  # imports loaded before fork
        before = state(shared / "home")
        args = [
            "--home",
            str(shared / "home"),
            "render",
            scene.id,
            "-t",
            "poster-a4",
            "-o",
            str(shared / "locked" / "p.pdf"),
        ]
        code, stderr = _as_nobody(args)
        assert code == 2 and len(stderr.splitlines()) == 1 and stderr.startswith("Error: "), stderr
        assert "Permission denied" in stderr and "Traceback" not in stderr
        assert list((shared / "locked").iterdir()) == []
        assert state(shared / "home") == before
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=True)


@pytest.mark.parametrize(
    ("target", "fragment"),
    [("folder", "is a folder"), ("afile/p.pdf", "is a file, not a folder")],
    ids=["EISDIR", "ENOTDIR"],
)
def test_a_folder_for_a_file_and_a_file_for_a_folder_are_one_line(home, scene, tmp_path, target, fragment):
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_bytes(b"x")
    before = state(home)
    one_error(qrpay_run(home, "render", scene.id, "-t", "poster-a4", "-o", tmp_path / target), fragment)
    assert state(home) == before and (tmp_path / "afile").read_bytes() == b"x"
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [("list", "--limit", "9" * 30), ("keys", "retire", "9" * 30)],
    ids=["limit", "key-id"],
)
def test_absurd_numbers_are_one_line(home, scene, args):
    before = state(home)
    one_error(qrpay_run(home, *args))
    assert state(home) == before


def test_a_date_at_the_end_of_time_is_one_line(home, scene, tmp_path):
    statement = tmp_path / "s.csv"
    statement.write_text(
        f"txn_id,paid_at,amount,code,reference\nT1,9999-12-31T23:59:59-12:00,1.00,{scene.payment_code},r\n",
        encoding="utf-8",
    )
    before = state(home)
    one_error(qrpay_run(home, "reconcile", statement), "paid_at", "out of the range")
    assert state(home) == before


def test_a_terminal_that_cannot_show_chinese_is_one_line(home, scene):
    result = qrpay_run(home, "catalog", env={"PYTHONIOENCODING": "latin-1"})
    one_error(result, "PYTHONIOENCODING=utf-8")
    assert "Traceback" not in result.stderr


def test_an_error_naming_chinese_text_is_shown_escaped_on_such_a_terminal(home, scene, tmp_path):
    folder = tmp_path / "海报"
    folder.mkdir()
    result = qrpay_run(home, "render", scene.id, "-t", "poster-a4", "-o", folder, env={"PYTHONIOENCODING": "ascii"})
    one_error(result, "\\u6d77\\u62a5", "is a folder")


def test_a_stale_partial_file_from_a_killed_run_is_cleaned_and_never_shown(home, scene, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    stale = tmp_path / ".p.pdf.x1y2z3.part"
    stale.write_bytes(b"%PDF- half a poster")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (day_ago, day_ago))
    fresh = tmp_path / ".p.pdf.a1b2c3.part"  # perhaps another run's, still being written: left alone
    fresh.write_bytes(b"%PDF- in progress")
    now = time.time()  # the clock qrpay reads, which may not be the file system's (faketime)
    os.utime(fresh, (now, now))
    result = qrpay_run(home, "render", scene.id, "-t", "poster-a4", "-o", tmp_path / "p.pdf")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [".p.pdf.a1b2c3.part", "p.pdf"]
