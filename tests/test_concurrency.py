"""Several qrpay processes on one register: no lost or duplicated rows, one code per purpose.

Real processes (not threads), started together on a home with a keyring but no register
yet, so they also race to create it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import BASE_URL_24

from qrpay import Qrpay, Settings
from qrpay.keys import Keyring

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

WORKERS = 5
ROUNDS = 12

# Each worker mints the same shared purposes as every other worker, purposes of its own, and
# revokes some shared codes (racing the others to it), then mints those purposes again.
WORKER = """
import json, sys
from qrpay import Qrpay, RegisterError
worker, rounds = int(sys.argv[1]), int(sys.argv[2])
report = {"new": [], "seen": [], "revoked": [], "refused": []}
with Qrpay.open() as desk:
    for n in range(rounds):
        for code, new in (desk.mint_unified("traffic-fine"), desk.mint_scene("09", f"window {n % 4}"),
                          desk.mint_scene("05", f"desk {worker}-{n}")):
            report["new" if new else "seen"].append(code.id)
        if n % 3 == 0:
            code, new = desk.mint_scene("09", f"window {n % 4}")
            report["new" if new else "seen"].append(code.id)
            try:
                report["revoked"].append(desk.revoke(code.id, reason=f"worker {worker}").id)
            except RegisterError as exc:
                report["refused"].append(str(exc))
print(json.dumps(report))
"""


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    Keyring.init(home / "keyring.json")
    monkeypatch.setenv("QRPAY_HOME", str(home))
    monkeypatch.setenv("QRPAY_BASE_URL", BASE_URL_24)
    return home


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and "Traceback" not in err, err
    return out


def test_concurrent_minting_and_revoking_loses_and_duplicates_nothing(shared):
    processes = [_start([sys.executable, "-c", WORKER, str(n), str(ROUNDS)]) for n in range(WORKERS)]
    reports = [json.loads(_finish(process)) for process in processes]

    with Qrpay(Settings.load(home=shared)) as desk:
        codes = desk.list_codes()
        db = desk.register.db
        assert db.execute("SELECT count(*) FROM codes WHERE token IS NULL").fetchone()[0] == 0  # all sealed

    created = Counter(code_id for report in reports for code_id in report["new"])
    assert all(times == 1 for times in created.values())  # each code was new to exactly one process
    assert set(created) == {code.id for code in codes}  # and every row is one a process made
    for field in ("serial", "token", "payment_code", "payload"):
        assert len({getattr(code, field) for code in codes}) == len(codes)

    revoked = Counter(code_id for report in reports for code_id in report["revoked"])
    assert revoked and all(times == 1 for times in revoked.values())
    assert set(revoked) == {code.id for code in codes if code.revoked}
    refusals = [text for report in reports for text in report["refused"]]
    assert all("already revoked" in text for text in refusals)

    live = Counter((code.kind, code.number, code.scene) for code in codes if not code.revoked)
    assert all(times == 1 for times in live.values())  # one live code per purpose
    assert len([code for code in codes if code.kind == "unified"]) == 1
    assert len([code for code in codes if code.number == 5]) == WORKERS * ROUNDS


def test_concurrent_cli_mints_of_one_purpose_give_one_code(shared):
    qrpay = str(Path(sys.executable).with_name("qrpay"))
    processes = [_start([qrpay, "mint", "scene", "--item", "09", "--scene", "window 7", "--json"]) for _ in range(3)]
    processes += [_start([qrpay, "mint", "scene", "--item", "09", "--scene", f"desk {n}", "--json"]) for n in range(2)]
    minted = [json.loads(_finish(process)) for process in processes]

    same = minted[:3]
    assert len({code["id"] for code in same}) == 1 and sum(code["new"] for code in same) == 1
    assert len({code["id"] for code in minted[3:]}) == 2 and all(code["new"] for code in minted[3:])
    assert len({code["payment_code"] for code in minted}) == 3
