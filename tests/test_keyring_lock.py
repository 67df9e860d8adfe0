"""Keyring changes are serialised across processes: every rotation lands, a retirement is never
undone, and no command makes a new keyring beside a register that holds codes.

The races run real processes (the CLI as subprocesses, and forked workers released together
by a barrier), not mocks.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from conftest import BASE_URL_24

from qrpay.keys import Keyring

ROUNDS = 12


def qrpay_process(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL_24}
    return subprocess.Popen(
        [sys.executable, "-m", "qrpay", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _rotate_together(path: str, barrier, times: int) -> None:
    barrier.wait()
    for _ in range(times):
        Keyring.load(Path(path)).rotate()


def _retire_together(path: str, barrier, kid: int) -> None:
    barrier.wait()
    Keyring.load(Path(path)).retire(kid)


def test_concurrent_cli_rotations_all_land(keyring, home):
    runs = [qrpay_process(home, "keys", "rotate", "--json") for _ in range(6)]
    kids = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        kids.append(json.loads(out)["kid"])
    ring = Keyring.load(keyring.path)
    assert sorted(kids) == list(range(2, 8))
    assert [key.kid for key in ring.keys] == list(range(1, 8))
    assert len({key.secret for key in ring.keys}) == 7


def test_rotations_in_forked_processes_released_at_once_all_land(keyring):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_rotate_together, args=(str(keyring.path), barrier, ROUNDS)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert [key.kid for key in Keyring.load(keyring.path).keys] == list(range(1, 2 + 4 * ROUNDS))


def test_a_retirement_racing_rotations_is_never_undone(keyring):
    keyring.rotate()  # key 2 signs, key 1 may be retired
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_rotate_together, args=(str(keyring.path), barrier, ROUNDS)) for _ in range(3)]
    workers.append(ctx.Process(target=_retire_together, args=(str(keyring.path), barrier, 1)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    ring = Keyring.load(keyring.path)
    assert not ring.get(1).active
    assert [key.kid for key in ring.keys] == list(range(1, 3 + 3 * ROUNDS))


def test_the_lock_leaves_no_file_behind(keyring, home):
    keyring.rotate()
    assert sorted(path.name for path in home.iterdir()) == ["keyring.json"]


def _one_error(run: subprocess.Popen, fragment: str) -> None:
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2, out + err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], err


def test_no_command_makes_a_keyring_beside_a_register_of_codes(desk, home, tmp_path):
    desk.mint_scene("09", "window 3")
    desk.close()
    (home / "keyring.json").rename(tmp_path / "keyring-backup.json")
    register = (home / "register.sqlite3").read_bytes()
    for args in (("keys", "init"), ("demo",)):
        _one_error(qrpay_process(home, *args), "restore the keyring from its backup")
        assert not (home / "keyring.json").exists()
        assert (home / "register.sqlite3").read_bytes() == register
    assert {path.name for path in home.iterdir()} <= {
        "register.sqlite3",
        "register.sqlite3-wal",
        "register.sqlite3-shm",
    }


def test_a_keyring_path_that_is_a_folder_is_one_error(home):
    (home / "keyring.json").mkdir(parents=True)
    _one_error(qrpay_process(home, "keys", "rotate"), "not a file")
    _one_error(qrpay_process(home, "keys", "init"), "already exists")
    assert (home / "keyring.json").is_dir() and not any((home / "keyring.json").iterdir())
