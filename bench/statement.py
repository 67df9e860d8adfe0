"""Reconciling a large statement: wall time and peak memory at two sizes, in one run.

    python bench/statement.py                  # 20,000 and 200,000 lines (about two minutes)
    python bench/statement.py --sizes 2000 20000

Each size runs ``qrpay reconcile STATEMENT.csv --json`` in a fresh process on a fresh home
(one open code, a few logged collections), and reports the process's peak resident memory
(``ru_maxrss`` of the child) and wall time; the last line gives the ratio between the sizes.
Memory flat in the row count means the ratio of peak RSS stays near 1 while time grows ~10x.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_URL = "https://pay.hz.gov.cn/q/"


def qrpay(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
    return subprocess.run([sys.executable, "-m", "qrpay", *args], env=env, check=True, capture_output=True, **kwargs)


def prepare(root: Path, rows: int) -> tuple[Path, Path]:
    home = root / f"home-{rows}"
    qrpay(home, "keys", "init")
    out = qrpay(home, "mint", "open", "--item", "06", "--json", text=True).stdout
    payment_code = out.split('"payment_code": "')[1].split('"')[0]
    statement = root / f"statement-{rows}.csv"
    with statement.open("w", encoding="utf-8") as handle:
        handle.write("txn_id,paid_at,amount,code,reference\n")
        for n in range(rows):
            day, minute = 1 + n % 28, n % 1440
            handle.write(
                f"T{n:08d},2026-05-{day:02d} {minute // 60:02d}:{minute % 60:02d},120.00,{payment_code},RX-{n}\n"
            )
    return home, statement


def measure(home: Path, statement: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
    run = subprocess.run(
        [sys.executable, "-m", "qrpay", "reconcile", str(statement), "--json"], env=env, capture_output=True
    )
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 1):
        raise SystemExit(run.stderr.decode())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, the largest child so far
    if peak <= before:
        print("note: peak RSS did not rise above an earlier child's; run sizes smallest first", file=sys.stderr)
    return seconds, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[20_000, 200_000])
    args = parser.parse_args()
    small, large = sorted(args.sizes)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        figures = {}
        for rows in (small, large):
            home, statement = prepare(root, rows)
            figures[rows] = measure(home, statement)
            seconds, mib = figures[rows]
            print(f"{rows:>9,} lines  {seconds:7.1f} s  peak RSS {mib:7.1f} MiB  ({statement.stat().st_size:,} bytes)")
    (t1, m1), (t2, m2) = figures[small], figures[large]
    print(f"ratio {large // small}x lines: time x{t2 / t1:.1f}, peak RSS x{m2 / m1:.2f}")


if __name__ == "__main__":
    main()
