"""Every -o follows one rule: qrpay never replaces a file it did not write.

Refused: an existing file the register does not record (byte for byte), anything that is not a
regular file (FIFO, device), a symlink to a foreign file, any path inside QRPAY_HOME, and a
folder holding the command's input. Allowed: a new name, and a file qrpay wrote itself.
After every refusal the keyring, the register and the user's files are unchanged, byte for byte.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest


def snapshot(*folders: Path) -> dict[str, bytes | str]:
    """Every file's bytes; the register (open in WAL mode) as the full SQL dump of its contents."""
    seen: dict[str, bytes | str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                seen[str(path)] = "-> " + os.readlink(path)
            elif path.name.endswith(".sqlite3"):
                with closing(sqlite3.connect(path)) as db:
                    seen[str(path)] = "\n".join(db.iterdump())
            elif path.is_file() and not path.name.endswith(("-wal", "-shm")):
                seen[str(path)] = path.read_bytes()
    return seen


def refused(result, fragment: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def revoked(desk):
    code = desk.mint_scene("09", "window 1")[0]
    desk.revoke(code.id, "test")
    return code


@pytest.mark.parametrize("name", ["keyring.json", "register.sqlite3", "poster.pdf"])
def test_no_output_goes_inside_the_home(cli, desk, scene_id, home, work, name):
    before = snapshot(home, work)
    refused(cli("render", scene_id, "-t", "poster-a4", "-o", home / name), "inside qrpay's home")
    assert snapshot(home, work) == before


@pytest.mark.parametrize(
    "args",
    [
        ("revocations", "export", "-o", "{home}/keyring.json"),
        ("backup", "-o", "{home}/keyring.json"),
        ("backup", "-o", "{home}/copy.sqlite3"),
        ("emergency", "kit", "--item", "06", "-o", "{home}/kit.pdf"),
    ],
    ids=["revocations", "backup-over-keyring", "backup-into-home", "kit"],
)
def test_every_command_keeps_out_of_the_home(cli, desk, revoked, home, work, args):
    before = snapshot(home, work)
    refused(cli(*(arg.format(home=home) for arg in args)), "inside qrpay's home")
    assert snapshot(home, work) == before


@pytest.mark.parametrize(
    "args",
    [
        ("render", "{live}", "-t", "poster-a4", "-o", "mine.pdf"),
        ("revocations", "export", "-o", "mine.pdf"),
        ("emergency", "kit", "--item", "06", "-o", "mine.pdf"),
        ("batch", "rows.csv", "-t", "labels-a4", "-o", "mine.pdf"),
    ],
    ids=["render", "revocations", "kit", "batch"],
)
def test_a_file_qrpay_did_not_write_is_never_replaced(cli, desk, revoked, scene_id, home, work, args):
    (work / "mine.pdf").write_bytes(b"the user's own document")
    (work / "rows.csv").write_text("item,scene\n09,window 2\n", encoding="utf-8")
    before = snapshot(home, work)
    refused(cli(*(arg.format(live=scene_id) for arg in args)), "qrpay did not write it")
    assert snapshot(home, work) == before


def test_a_poster_is_re_rendered_over_itself_but_not_once_changed(cli, scene_id, work):
    assert cli("render", scene_id, "-t", "poster-a4", "-o", "p.pdf").exit_code == 0
    assert cli("render", scene_id, "-t", "poster-a4", "-o", "p.pdf").exit_code == 0
    (work / "p.pdf").write_bytes((work / "p.pdf").read_bytes() + b"% the user's note\n")
    changed = (work / "p.pdf").read_bytes()
    refused(cli("render", scene_id, "-t", "poster-a4", "-o", "p.pdf"), "qrpay did not write it")
    assert (work / "p.pdf").read_bytes() == changed


def test_a_symlink_to_a_foreign_file_is_refused_one_to_a_poster_is_followed(cli, scene_id, home, work):
    (work / "secret.txt").write_bytes(b"not a poster")
    (work / "link.pdf").symlink_to(work / "secret.txt")
    before = snapshot(home, work)
    refused(cli("render", scene_id, "-t", "poster-a4", "-o", "link.pdf"), "qrpay did not write it")
    assert snapshot(home, work) == before

    assert cli("render", scene_id, "-t", "poster-a4", "-o", "real.pdf").exit_code == 0
    (work / "poster.pdf").symlink_to(work / "real.pdf")
    assert cli("render", scene_id, "-t", "poster-a4", "-o", "poster.pdf").exit_code == 0
    assert (work / "poster.pdf").is_symlink() and (work / "real.pdf").read_bytes().startswith(b"%PDF")


def test_a_symlink_into_the_home_is_refused(cli, scene_id, home, work):
    (work / "poster.pdf").symlink_to(home / "keyring.json")
    before = snapshot(home, work)
    refused(cli("render", scene_id, "-t", "poster-a4", "-o", "poster.pdf"), "inside qrpay's home")
    assert snapshot(home, work) == before


def test_a_fifo_or_a_device_is_refused(cli, scene_id, home, work):
    os.mkfifo(work / "pipe.pdf")
    before = snapshot(home, work)
    refused(cli("render", scene_id, "-t", "poster-a4", "-o", "pipe.pdf"), "not a regular file")
    refused(cli("revocations", "export", "-o", "/dev/null"), "not a regular file")
    assert snapshot(home, work) == before
    assert (work / "pipe.pdf").exists() and Path("/dev/null").is_char_device()


def test_a_web_batch_never_swaps_out_the_folder_holding_its_own_csv(cli, desk, home, work):
    (work / "rows.csv").write_text("item,scene\n09,window 2\n", encoding="utf-8")
    before = snapshot(home, work)
    refused(cli("batch", "rows.csv", "-t", "web", "-o", "."), "an input of this command")
    assert snapshot(home, work) == before


def test_a_web_batch_folder_with_a_file_qrpay_did_not_write_is_kept(cli, desk, home, work):
    (work / "rows.csv").write_text("item,scene\n09,window 2\n", encoding="utf-8")
    assert cli("batch", "rows.csv", "-t", "web", "-o", "web").exit_code == 0
    image = next((work / "web").glob("*.png"))
    image.write_bytes(b"someone replaced the image")  # the manifest still lists the name
    before = snapshot(home, work)
    refused(cli("batch", "rows.csv", "-t", "web", "-o", "web"), "qrpay did not write")
    assert snapshot(home, work) == before


@pytest.fixture
def scene_id(desk) -> str:
    return desk.mint_scene("09", "window 3")[0].id
