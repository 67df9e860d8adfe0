"""The notices benchmark: a school's 2,000 pupils' fee notices from an Excel workbook, in one run.

    python bench/notices.py              # 2,000 bills, 3 rounds, medians
    python bench/notices.py --quick      # 200 bills, 1 round: a smoke test
    python bench/notices.py --count 5000 --repeat 5

Each measured run is `qrpay batch pupils.xlsx --template notice-a4` in a fresh process with a
fresh register (so every run mints all its bills), timed from outside, self-checked (every page
read back): one PDF of a notice per page, and a folder of one PDF per notice (`-o folder`).
Measured in the same rounds, as the baseline: the same bills from a CSV file (what reading the
workbook costs) and the one-PDF run with --no-check (what the read-back costs). Peak memory as
in bench/run.py: the largest process, and the process tree's proportional set size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BASE_URL, fresh_home, measure, summarise

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "子涵欣怡梓萱浩然宇轩一诺雨桐思远俊杰佳琪"
FEES = [("01", 3600), ("02", 1200), ("03", 1500), ("04", 800)]  # 保教费, 学费住宿费, ...


def pupils(count: int) -> list[list[object]]:
    """*count* pupils' bills: item, amount (yuan, a number), payer, notice number, due date."""
    due = date.today() + timedelta(days=60)
    rows: list[list[object]] = []
    for number in range(count):
        item, fee = FEES[number % len(FEES)]
        name = SURNAMES[number % len(SURNAMES)] + GIVEN[number % 7 * 2 : number % 7 * 2 + 2]
        rows.append([item, fee + number % 5 * 0.5, name, f"JY{date.today().year}{number + 1:06d}", due])
    return rows


def write_sources(root: Path, count: int) -> tuple[Path, Path]:
    import openpyxl

    rows = pupils(count)
    header = ["项目编码", "金额", "缴款人", "通知书编号", "缴款期限"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    xlsx = root / "pupils.xlsx"
    book.save(xlsx)
    text = root / "pupils.csv"
    with text.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([*row[:4], str(row[4])] for row in rows)
    return xlsx, text


def run_batch(root: Path, keyring: Path, source: Path, output: Path, count: int, *extra: str) -> dict:
    home = fresh_home(root, "home", keyring)
    if output.is_dir():
        shutil.rmtree(output)
    output.unlink(missing_ok=True)
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
    command = [sys.executable, "-m", "qrpay", "batch", str(source), "-t", "notice-a4", "-o", str(output)]
    result = measure([*command, "--quiet", "--json", *extra], env)
    data = json.loads(result["stdout"])
    assert data["count"] == data["minted"] == count, data["count"]
    files = [output] if output.is_file() else list(output.glob("*.pdf"))
    assert len(files) == (1 if output.is_file() else count)
    result["bytes"] = sum(path.stat().st_size for path in files)
    result["versions"] = {}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 bills, 1 round")
    args = parser.parse_args()
    count, repeat = (200, 1) if args.quick else (args.count, args.repeat)
    from qrpay.keys import Keyring

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        keyring = root / "keyring.json"
        Keyring.init(keyring)
        xlsx, text = write_sources(root, count)
        configurations = {
            "xlsx -> one PDF": lambda: run_batch(root, keyring, xlsx, root / "notices.pdf", count),
            "xlsx -> folder of PDFs": lambda: run_batch(root, keyring, xlsx, root / "notices", count),
            "baseline: csv -> one PDF": lambda: run_batch(root, keyring, text, root / "csv.pdf", count),
            "baseline: xlsx -> one PDF, --no-check": lambda: run_batch(
                root, keyring, xlsx, root / "nocheck.pdf", count, "--no-check"
            ),
        }
        runs: dict[str, list[dict]] = {name: [] for name in configurations}
        for _ in range(repeat):  # each round runs every configuration once, in turn
            for name, run in configurations.items():
                runs[name].append(run())
                print(f"  {name}: {runs[name][-1]['wall']:.1f} s", file=sys.stderr)
    print(f"{count:,} notices (notice-a4), median of {repeat} round(s), on {os.cpu_count()} cores")
    print(f"{'':40}{'wall s':>8}{'notices/s':>11}{'KB/notice':>11}{'RSS MB':>8}{'PSS MB':>8}  runs (s)")
    for name, measured in runs.items():
        row = summarise(measured, count)
        print(
            f"{name:40}{row['wall_s']:>8.1f}{row['codes_per_s']:>11.1f}{row['bytes_per_code'] / 1024:>11.1f}"
            f"{row['peak_rss_mb']:>8.0f}{row['peak_tree_mb']:>8.0f}  {row['walls']}"
        )


if __name__ == "__main__":
    main()
