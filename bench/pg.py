"""The shared-register benchmark: the same work on the SQLite file and on PostgreSQL, in one run.

    python bench/pg.py --database-url postgresql://USER:PASSWORD@127.0.0.1:55432/DB
    python bench/pg.py                    # SQLite only (e.g. to compare two versions of qrpay)
    python bench/pg.py --count 300 --repeat 1
    python bench/pg.py --baseline /tmp/old-qrpay   # also SQLite with the qrpay source tree there

For each engine: CLI start-up (``qrpay list --json`` on an empty register, a fresh process;
and ``qrpay --version`` for the floor), a batch of COUNT scene codes on labels-a4 in a fresh
process with a fresh register (self-check on), and ``Qrpay.verify`` on the minted payloads in
this process. Medians of REPEAT runs; each round measures every engine in turn. The URL's role
must be allowed to create databases: each PostgreSQL run gets a fresh one, dropped after it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BASE_URL, fresh_home, write_codes_csv


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return wall, done.stdout


class Engine:
    """SQLite in a fresh QRPAY_HOME, or a fresh PostgreSQL database made from a server URL;
    with *tree*, the qrpay package imported from that source tree instead of the installed one."""

    def __init__(self, name: str, admin_url: str | None, tree: Path | None = None):
        self.name, self.admin_url, self.database, self.tree = name, admin_url, None, tree

    def fresh(self, root: Path, keyring: Path) -> dict[str, str]:
        home = fresh_home(root, f"home-{self.name}", keyring)
        env = {**os.environ, "QRPAY_HOME": str(home), "QRPAY_BASE_URL": BASE_URL}
        env.pop("QRPAY_DATABASE_URL", None)
        if self.tree:
            env["PYTHONPATH"] = str(self.tree)
        if self.admin_url:
            self.drop()
            import psycopg

            self.database = f"qrpay_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(self.admin_url, autocommit=True) as db:
                db.execute(f'CREATE DATABASE "{self.database}"')
            env["QRPAY_DATABASE_URL"] = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.database}"))
        return env

    def drop(self) -> None:
        if self.admin_url and self.database:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database = None


VERIFY = """
import sys, time
from qrpay import Qrpay
with Qrpay.open() as desk:
    payloads = [code.payload for code in desk.list_codes()]
    assert len(payloads) == int(sys.argv[1]), len(payloads)
    start = time.perf_counter()
    genuine = sum(desk.verify(payload).genuine for payload in payloads)
    rate = len(payloads) / (time.perf_counter() - start)
    assert genuine == len(payloads)
print(rate)
"""


def verify_rate(env: dict[str, str], count: int) -> float:
    """Qrpay.verify over the codes the batch minted, in one fresh process: verifications per second."""
    return float(timed([sys.executable, "-c", VERIFY, str(count)], env)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL whose role may create databases")
    parser.add_argument("--count", type=int, default=2000, help="codes per batch (default 2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, median reported (default 3)")
    parser.add_argument(
        "--baseline", type=Path, help="a qrpay source tree to measure on SQLite too (e.g. an older one)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    engines = [Engine("sqlite", None)]
    if args.baseline:
        engines.insert(0, Engine("sqlite-base", None, args.baseline.resolve()))
    if args.database_url:
        engines.append(Engine("postgresql", args.database_url))
    root = Path(tempfile.mkdtemp(prefix="qrpay-bench-pg-"))
    qrpay = [sys.executable, "-m", "qrpay"]
    try:
        keys = root / "keys"
        subprocess.run(
            [*qrpay, "keys", "init"], env={**os.environ, "QRPAY_HOME": str(keys)}, check=True, capture_output=True
        )
        source = write_codes_csv(root / "codes.csv", args.count)
        figures: dict[str, dict[str, list[float]]] = {
            e.name: {"version": [], "start": [], "batch": [], "verify": []} for e in engines
        }
        for round_ in range(args.repeat):
            for engine in engines:
                env = engine.fresh(root, keys / "keyring.json")
                figures[engine.name]["version"].append(timed([*qrpay, "--version"], env)[0])
                figures[engine.name]["start"].append(timed([*qrpay, "list", "--json"], env)[0])
                out = root / f"{engine.name}.pdf"
                out.unlink(missing_ok=True)
                wall, stdout = timed(
                    [*qrpay, "batch", str(source), "--template", "labels-a4", "-o", str(out), "--quiet", "--json"], env
                )
                assert json.loads(stdout)["minted"] == args.count
                figures[engine.name]["batch"].append(wall)
                figures[engine.name]["verify"].append(verify_rate(env, args.count))
                engine.drop()
            print(f"  round {round_ + 1} of {args.repeat} measured", file=sys.stderr, flush=True)
        print(
            f"qrpay register engines: {os.cpu_count()} cores, Python {sys.version.split()[0]}, median of {args.repeat}; {args.count} scene codes, labels-a4, self-check on\n"
        )
        print(f"{'engine':<12}{'--version s':>12}{'list s':>9}{'batch s':>9}{'codes/s':>9}{'verify/s':>10}")
        summary = {}
        for name, f in figures.items():
            med = {key: statistics.median(values) for key, values in f.items()}
            summary[name] = {**med, "codes_per_s": args.count / med["batch"], "runs": f}
            print(
                f"{name:<12}{med['version']:>12.3f}{med['start']:>9.3f}{med['batch']:>9.2f}"
                f"{args.count / med['batch']:>9.0f}{med['verify']:>10,.0f}"
            )
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2))
    finally:
        for engine in engines:
            engine.drop()
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
