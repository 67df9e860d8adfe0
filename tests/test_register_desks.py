"""Several desks on one register, as real processes: four batches from two desks at once, and
desks that see each other's codes and revocations at once. On PostgreSQL the two desks are two
homes sharing the keyring and the database; on SQLite they share the home (its register file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_batch import write_csv

from qrpay import Qrpay, Settings
from qrpay.qr.decode import read_pdf_pages

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

OWN, SHARED = 24, 8  # rows of each batch's own, and rows every batch has (minted once, by whoever is first)


@pytest.fixture
def desks(home: Path, keyring, tmp_path: Path, engine: str) -> list[Path]:
    """Two desks' homes: each with the same keyring, on the one register."""
    if engine == "sqlite":
        return [home, home]
    other = tmp_path / "desk-b"
    other.mkdir()
    shutil.copy2(home / "keyring.json", other / "keyring.json")
    return [home, other]


def batch(home: Path, source: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qrpay", "batch", str(source), "-t", "labels-a4", "-o", str(out), "--quiet"],
        env={**os.environ, "QRPAY_HOME": str(home)},
        cwd=home.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_four_batches_from_two_desks_at_once_mint_each_purpose_once(desks, tmp_path):
    shared = [["09", f"大厅{n}号"] for n in range(SHARED)]
    sources = []
    for n in range(4):
        own = [[f"{(k % 17) + 1:02d}", f"批{n}窗口{k}"] for k in range(OWN)]
        sources.append(write_csv(tmp_path / f"batch{n}.csv", own[: OWN // 2] + shared + own[OWN // 2 :]))
    runs = [batch(desks[n % 2], source, tmp_path / f"{source.stem}.pdf") for n, source in enumerate(sources)]
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr

    with Qrpay(Settings.load(home=desks[1])) as desk:
        codes = desk.list_codes()
    assert len(codes) == 4 * OWN + SHARED  # nothing lost, the shared purposes minted once
    for field in ("serial", "token", "payment_code", "payload"):
        assert len({getattr(code, field) for code in codes}) == len(codes)
    by_scene = {code.scene: code.payload for code in codes}
    for n, source in enumerate(sources):
        read = {text for page in read_pdf_pages(tmp_path / f"{source.stem}.pdf", 150) for text in page}
        expected = {by_scene[f"批{n}窗口{k}"] for k in range(OWN)} | {by_scene[f"大厅{k}号"] for k in range(SHARED)}
        assert read == expected  # each sheet carries the register's codes, the shared ones included


def test_a_desk_sees_another_desks_codes_and_revocations_at_once(desks):
    with Qrpay(Settings.load(home=desks[0])) as a, Qrpay(Settings.load(home=desks[1])) as b:
        code, new = a.mint_scene("09", "window 3")
        assert new and b.verify(code.payload).status == "genuine"
        again, new = b.mint_scene("09", "window 3")
        assert not new and again.id == code.id
        a.revoke(code.id, "sticker found over it")
        assert b.verify(code.payment_code).status == "revoked"  # b's open register, no reopening
