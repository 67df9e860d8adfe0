"""The batch benchmark: qrpay batch against the naive script, in one run on this machine.

    python bench/run.py              # 2,000 and 6,000 codes, 3 runs each, medians
    python bench/run.py --quick      # 300 and 900 codes, 1 run each
    python bench/run.py --profile    # also where the time goes (pyinstrument, one process)

Each measured run is a fresh process with a fresh register (so every run mints all its codes),
timed from outside. Peak memory is given twice: the largest process (the kernel's maximum resident
set over the process and its workers) and the whole process tree's proportional set size (shared
pages counted once), sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_URL = "https://pay.hz.gov.cn/q/"  # a realistic 24-character platform address
ITEMS = [f"{number:02d}" for number in range(1, 18)]


def write_codes_csv(path: Path, count: int) -> Path:
    """*count* distinct scene codes: every item at numbered windows, as a department would list them."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "scene"])
        for number in range(count):
            writer.writerow([ITEMS[number % len(ITEMS)], f"{number // len(ITEMS) + 1}号窗口"])
    return path


def tree_pss_kb(root: int) -> int:
    """Proportional memory (pages shared by forked workers counted once) of *root* and its
    descendants, in KiB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        todo += children.get(pid, [])
    return total


def measure(command: list[str], env: dict[str, str]) -> dict:
    """Run *command*; wall seconds, the largest process's peak RSS and the sampled peak of the tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_tree, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak_tree[0] = max(peak_tree[0], tree_pss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors.decode(errors='replace')}")
    return {"wall": wall, "rss_kb": usage.ru_maxrss, "tree_kb": peak_tree[0], "stdout": output.decode()}


def fresh_home(root: Path, name: str, keyring: Path) -> Path:
    home = root / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir()
    shutil.copy2(keyring, home / "keyring.json")
    return home


def run_ours(root: Path, keyring: Path, source: Path, count: int, check: bool) -> dict:
    """One qrpay batch in a fresh process with a fresh register, so it mints every code."""
    home = fresh_home(root, "home-ours", keyring)
    out = root / f"ours-{count}.pdf"
    env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
    command = [
        sys.executable,
        "-m",
        "qrpay",
        "batch",
        str(source),
        "--template",
        "labels-a4",
        "-o",
        str(out),
        "--quiet",
        "--json",
    ] + ([] if check else ["--no-check"])
    result = measure(command, env)
    data = json.loads(result["stdout"])
    assert data["count"] == count and data["minted"] == count
    result["bytes"] = out.stat().st_size
    result["versions"] = Counter(_versions(home))
    return result


def _versions(home: Path) -> list[int]:
    import sqlite3

    with sqlite3.connect(home / "register.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT qr_version FROM codes")]


def run_naive(root: Path, source: Path, count: int) -> dict:
    out = root / f"naive-{count}.pdf"
    result = measure([sys.executable, str(HERE / "naive.py"), str(source), str(out)], dict(os.environ))
    result["bytes"] = out.stat().st_size
    result["versions"] = Counter({int(k): v for k, v in json.loads(result["stdout"])["versions"].items()})
    return result


def summarise(runs: list[dict], count: int) -> dict:
    wall = statistics.median(run["wall"] for run in runs)
    return {
        "codes": count,
        "runs": len(runs),
        "wall_s": wall,
        "walls": [round(run["wall"], 2) for run in runs],
        "codes_per_s": count / wall,
        "bytes_per_code": statistics.median(run["bytes"] for run in runs) / count,
        "peak_rss_mb": statistics.median(run["rss_kb"] for run in runs) / 1024,
        "peak_tree_mb": statistics.median(run["tree_kb"] for run in runs) / 1024,
        "versions": dict(sorted(runs[0]["versions"].items())),
    }


def verify_throughput(root: Path, keyring: Path, tokens: int, repeat: int) -> dict:
    """Qrpay.verify on many minted payloads, in this process: tokens per second."""
    from qrpay import Qrpay, Settings
    from qrpay.register.store import Purpose

    home = fresh_home(root, "home-verify", keyring)
    with Qrpay(Settings.load(home=home, base_url=BASE_URL)) as desk:
        catalog_numbers = [int(item) for item in ITEMS]
        purposes = [Purpose("scene", catalog_numbers[n % len(ITEMS)], f"desk {n}") for n in range(tokens)]
        payloads = [code.payload for code, _ in desk.mint_many(purposes)]
        rates = []
        for _attempt in range(repeat):
            start = time.perf_counter()
            genuine = sum(desk.verify(payload).genuine for payload in payloads)
            rates.append(len(payloads) / (time.perf_counter() - start))
            assert genuine == len(payloads)
    return {"tokens": tokens, "tokens_per_s": statistics.median(rates), "rates": [round(rate) for rate in rates]}


def profile(root: Path, keyring: Path, source: Path) -> str:
    """One batch in one process (workers=1), so pyinstrument sees the drawing and the read-back too."""
    from pyinstrument import Profiler

    from qrpay import Qrpay, Settings
    from qrpay.batch import run

    home = fresh_home(root, "home-profile", keyring)
    with Qrpay(Settings.load(home=home, base_url=BASE_URL)) as desk:
        profiler = Profiler(interval=0.001)
        profiler.start()
        run(desk, source, "labels-a4", root / "profile.pdf", workers=1)
        profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def table(rows: list[tuple[str, dict]]) -> str:
    lines = [f"{'':<34}{'codes':>7}{'wall s':>9}{'codes/s':>9}{'B/code':>8}{'RSS MB':>8}{'PSS MB':>8}  runs (s)"]
    for label, r in rows:
        lines.append(
            f"{label:<34}{r['codes']:>7}{r['wall_s']:>9.2f}{r['codes_per_s']:>9.0f}{r['bytes_per_code']:>8.0f}"
            f"{r['peak_rss_mb']:>8.0f}{r['peak_tree_mb']:>8.0f}  {r['walls']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small batches, one run each")
    parser.add_argument("--repeat", type=int, help="runs per measurement (median reported); default 3, 1 with --quick")
    parser.add_argument("--profile", action="store_true", help="also profile one batch with pyinstrument")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    small, large = (300, 900) if args.quick else (2000, 6000)
    repeat = args.repeat or (1 if args.quick else 3)
    root = Path(tempfile.mkdtemp(prefix="qrpay-bench-"))
    try:
        keyring_home = root / "keys"
        env = {**os.environ, "QRPAY_HOME": str(keyring_home)}
        subprocess.run([sys.executable, "-m", "qrpay", "keys", "init"], env=env, check=True, capture_output=True)
        keyring = keyring_home / "keyring.json"
        sources = {count: write_codes_csv(root / f"codes-{count}.csv", count) for count in (small, large)}
        print(
            f"qrpay batch benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"median of {repeat} run(s); labels-a4 (3 x 8 per A4 sheet)\n",
            flush=True,
        )
        # every round measures each configuration once, so a busy moment on the machine
        # slows one run of each rather than all runs of one
        configs = [
            (f"qrpay batch, self-check {'on' if check else 'off'}", count, check)
            for count in (small, large)
            for check in (True, False)
        ]
        runs: dict = {config: [] for config in configs}
        naive_runs = []
        for round_ in range(1, repeat + 1):
            for config in configs:
                label, count, check = config
                runs[config].append(run_ours(root, keyring, sources[count], count, check))
            naive_runs.append(run_naive(root, sources[small], small))
            print(f"  round {round_} of {repeat} measured", file=sys.stderr, flush=True)
        results = {(label, count): summarise(runs[(label, count, check)], count) for label, count, check in configs}
        naive = summarise(naive_runs, small)
        rows = [(label, result) for (label, _), result in results.items()] + [("naive script (bench/naive.py)", naive)]
        print(table(rows))
        ours = results[("qrpay batch, self-check on", small)]
        off = results[("qrpay batch, self-check off", small)]
        print(
            f"\nthroughput, ours / naive at {small} codes: {naive['wall_s'] / ours['wall_s']:.1f}x with the "
            f"self-check, {naive['wall_s'] / off['wall_s']:.1f}x without (target >= 8x with it)"
        )
        grown = results[("qrpay batch, self-check on", large)]
        print(
            f"memory, {large} vs {small} codes: largest process x{grown['peak_rss_mb'] / ours['peak_rss_mb']:.2f}, "
            f"process tree x{grown['peak_tree_mb'] / ours['peak_tree_mb']:.2f} (target < 1.5)"
        )
        print(f"QR versions, ours:  {ours['versions']}  (level M, compact token)")
        print(f"QR versions, naive: {naive['versions']}  (segno defaults: level boosted, JSON token)")
        verify = verify_throughput(root, keyring, small, repeat)
        print(
            f"verify: {verify['tokens_per_s']:,.0f} tokens/s (Qrpay.verify in one process, {verify['tokens']} "
            f"payloads, runs {verify['rates']}; target >= 20,000)"
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "ours": {f"{label} {count}": r for (label, count), r in results.items()},
                        "naive": naive,
                        "verify": verify,
                    },
                    indent=2,
                )
            )
        if args.profile:
            print(
                "\nwhere the time goes (one process, self-check on, "
                f"{small} codes):\n" + profile(root, keyring, sources[small])
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
