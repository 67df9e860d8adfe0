"""Reconciling a large statement: wall time and peak memory at two sizes, in one run.

    python bench/statement.py                  # 20,000 and 200,000 lines (about two minutes)
    python bench/statement.py --sizes 2000 20000
    python bench/statement.py --database-url postgresql://USER:PASSWORD@HOST:PORT/DB   # on PostgreSQL

Each size runs ``qrpay reconcile STATEMENT.csv --json`` in a fresh process on a fresh home
(one open code, a few logged collections), and reports the process's peak resident memory
(``ru_maxrss`` of the child) and wall time; the last line gives the ratio between the sizes.
With ``--database-url`` each size gets a fresh database made on that server (its role must be
allowed to create databases), dropped afterwards. Memory flat in the row count means the ratio of peak RSS stays near 1 while time grows ~10x.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_URL = "https://pay.hz.gov.cn/q/"


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
    if DATABASES.get(home):
        env["QRPAY_DATABASE_URL"] = DATABASES[home]
    return env


DATABASES: dict[Path, str] = {}


def qrpay(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = environment(home)
    return subprocess.run([sys.executable, "-m", "qrpay", *args], env=env, check=True, capture_output=True, **kwargs)


def prepare(root: Path, rows: int, server: str | None) -> tuple[Path, Path]:
    home = root / f"home-{rows}"
    if server:
        DATABASES[home] = create_database(server, f"qrpay_bench_{uuid.uuid4().hex[:12]}")
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
    env = environment(home)
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


def create_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_databases(server: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        for url in DATABASES.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path[1:]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[20_000, 200_000])
    parser.add_argument("--database-url", help="a PostgreSQL server to run on (default: the SQLite file)")
    args = parser.parse_args()
    small, large = sorted(args.sizes)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        figures = {}
        try:
            for rows in (small, large):
                home, statement = prepare(root, rows, args.database_url)
                figures[rows] = measure(home, statement)
                seconds, mib = figures[rows]
                size = statement.stat().st_size
                print(f"{rows:>9,} lines  {seconds:7.1f} s  peak RSS {mib:7.1f} MiB  ({size:,} bytes)")
        finally:
            if args.database_url:
                drop_databases(args.database_url)
    (t1, m1), (t2, m2) = figures[small], figures[large]
    print(f"ratio {large // small}x lines: time x{t2 / t1:.1f}, peak RSS x{m2 / m1:.2f}")


if __name__ == "__main__":
    main()
