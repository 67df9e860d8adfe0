"""Bills at scale, and the typo figure of their payment codes, in one run on this machine.

    python bench/bills.py                        # SQLite: 1,000 vs 1,000,000 bills, and the typo figure
    python bench/bills.py --database-url postgresql://USER:PASSWORD@HOST:PORT/DB   # PostgreSQL too
    python bench/bills.py --quick                # 1,000 vs 50,000 bills, fewer typo samples

**Scale.** Two registers per engine, one of 1,000 bills and one of 1,000,000 (item 18, due in a
month, each with its own notice number), filled by a bulk insert of sealed codes through the
register (``qrpay.register.rows.insert_codes``), not one command per bill. Then, in rounds that
alternate between the two registers (so a busy moment on the shared machine slows both alike):
``Qrpay.mint_bill`` of new notices (one transaction each, as ``qrpay mint bill`` does) and
``Qrpay.verify`` of random existing bills by payment code and by link. Medians in microseconds,
and the ratio big/small (the claim: under 2). With ``--database-url`` the PostgreSQL registers
are fresh databases made on that server (its role must be allowed to create them), dropped after.

**Typos.** The payment-code docstring's figure measured again: a Monte-Carlo draw of random
two-digit errors (two distinct positions of the sixteen, each changed to another digit) of
random live bills in a register of N bills (serials 1..N scattered), counting the errors whose
scattered digits are another live bill's (the bound without check digits, analytic
(N-1)/(10^11-1) per error that changes them) and the share that also pass MOD 97-10.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_URL = "https://pay.hz.gov.cn/q/"
SPACE = 10**11  # the scattered serial's eleven digits


# -- typos ----------------------------------------------------------------------------------------


def typo_figure(bills: int, samples: int, seed: int = 15) -> dict[str, float]:
    from qrpay.codes import paycode

    rng = random.Random(seed)
    started = time.perf_counter()
    codes = [paycode.PaymentCode("bill", 18, serial).digits for serial in range(1, bills + 1)]
    live = {int(digits[3:14]) for digits in codes}
    changed = hits = passed = both = 0
    for _ in range(samples):
        digits = rng.choice(codes)
        chars = list(digits)
        for position in rng.sample(range(paycode.BILL_LENGTH), 2):
            chars[position] = rng.choice([d for d in "0123456789" if d != digits[position]])
        wrong = "".join(chars)
        scattered = int(wrong[3:14])
        if scattered == int(digits[3:14]):
            continue  # the same serial: this bill or none
        changed += 1
        ok = int(wrong) % 97 == 1  # ISO 7064 MOD 97-10
        passed += ok
        if scattered in live:
            hits += 1
            both += ok
    density = (bills - 1) / (SPACE - 1)
    return {
        "bills": bills,
        "samples": samples,
        "share_changing_serial": changed / samples,
        "hit_rate_without_check": hits / samples,
        "hits": hits,
        "analytic_without_check": changed / samples * density,
        "check_pass_share": passed / samples,
        "hits_passing_check": both,
        "estimate_with_check": passed / samples * density,
        "seconds": time.perf_counter() - started,
    }


def print_typos(figure: dict[str, float]) -> None:
    low, high = poisson_interval(int(figure["hits"]))
    n = figure["samples"]
    print(f"typo figure, register of {figure['bills']:,} bills, {n:,} random two-digit errors:")
    print(f"  changing the scattered serial        {figure['share_changing_serial']:.4f} of errors")
    print(
        f"  landing on another live bill's serial {figure['hit_rate_without_check']:.2e} measured "
        f"({figure['hits']} hits, 95 % {low / n:.1e} to {high / n:.1e}); "
        f"analytic {figure['analytic_without_check']:.2e}  (no check digits)"
    )
    print(f"  also passing MOD 97-10                {figure['check_pass_share']:.4f} of errors pass the check")
    print(
        f"  probability a two-digit error reaches another live bill: {figure['estimate_with_check']:.1e} "
        f"(= check share x (N-1)/(10^11-1); hits observed with check: {figure['hits_passing_check']})"
    )
    print(f"  ({figure['seconds']:.0f} s)")


def poisson_interval(k: int) -> tuple[float, float]:
    """An approximate 95 % interval for a Poisson count *k* (Wilson-Hilferty)."""
    if k == 0:
        return 0.0, 3.69
    low = k * (1 - 1 / (9 * k) - 1.96 / (3 * math.sqrt(k))) ** 3
    high = (k + 1) * (1 - 1 / (9 * (k + 1)) + 1.96 / (3 * math.sqrt(k + 1))) ** 3
    return low, high


# -- scale -----------------------------------------------------------------------------------------


def sealed_bills(qrpay, count: int, start: int = 1) -> Iterator:
    """*count* sealed bill codes with serials from *start*, as minting would make them."""
    from qrpay.clock import utcnow
    from qrpay.codes.bill import Bill
    from qrpay.codes.record import Code
    from qrpay.codes.seal import seal
    from qrpay.qr.encode import version_of

    key = qrpay.keyring.signing_key
    due = qrpay.today() + timedelta(days=30)
    versions: dict[int, int] = {}
    now = utcnow()
    for serial in range(start, start + count):
        bill = Bill(20000, "张三", f"BENCH{serial:09d}", due)
        fields = seal("bill", 18, None, None, None, serial, key.kid, key.secret, BASE_URL, bill=bill)
        length = len(fields["payload"])
        if length not in versions:
            versions[length] = version_of(fields["payload"])
        yield Code(
            serial, "bill", 18, None, None, None, **fields, qr_version=versions[length], created_at=now, bill=bill
        )


def make_register(home: Path, count: int, database_url: str | None):
    from qrpay import Qrpay, Settings
    from qrpay.keys import Keyring
    from qrpay.register.rows import insert_codes

    home.mkdir(parents=True)
    Keyring.init(home / "keyring.json")
    qrpay = Qrpay(Settings.load(home=home, base_url=BASE_URL, database_url=database_url))
    started = time.perf_counter()
    insert_codes(qrpay.register, sealed_bills(qrpay, count))
    seconds = time.perf_counter() - started
    print(f"  filled {count:,} bills in {seconds:.1f} s ({count / seconds:,.0f}/s)", flush=True)
    return qrpay


def timed(calls: list[Callable[[], object]]) -> float:
    """The median of each call's time, in microseconds."""
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def measure(qrpay, size: int, rng: random.Random, mints: int, verifies: int, round_: int) -> dict[str, float]:
    serials = [rng.randint(1, size) for _ in range(verifies)]
    codes = [qrpay.get(serial) for serial in serials]
    for code in codes[:10]:
        assert qrpay.verify(code.payment_code).status == "genuine"
    notices = [f"R{round_}-{uuid.uuid4().hex[:12]}" for _ in range(mints)]
    return {
        "mint": timed([lambda n=n: qrpay.mint_bill("18", "200.00", "李四", n) for n in notices]),
        "verify_code": timed([lambda c=c: qrpay.verify(c.payment_code) for c in codes]),
        "verify_link": timed([lambda c=c: qrpay.verify(c.payload) for c in codes]),
        "lookup": timed([lambda s=s: qrpay.get(s) for s in serials]),
    }


def scale(engine: str, sizes: tuple[int, int], rounds: int, mints: int, verifies: int, server: str | None) -> None:
    print(f"{engine}: registers of {sizes[0]:,} and {sizes[1]:,} bills", flush=True)
    made: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qrpay-bench-bills-") as tmp:
        registers = []
        try:
            for size in sizes:
                url = None
                if server is not None:
                    url = create_database(server)
                    made.append(url)
                registers.append(make_register(Path(tmp) / f"home-{size}", size, url))
            rng = random.Random(1)
            results: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
            for round_ in range(rounds):
                for size, qrpay in zip(sizes, registers):
                    results[size].append(measure(qrpay, size, rng, mints, verifies, round_))
            small, big = (
                {key: statistics.median(r[key] for r in results[size]) for key in results[size][0]} for size in sizes
            )
            print(f"  {'median µs':<14}{sizes[0]:>12,}{sizes[1]:>12,}   ratio")
            for key in small:
                print(f"  {key:<14}{small[key]:>12.0f}{big[key]:>12.0f}   {big[key] / small[key]:.2f}x")
        finally:
            for qrpay in registers:
                qrpay.close()
            for url in made:
                drop_database(server, url)


def create_database(server: str) -> str:
    import psycopg

    name = f"qrpay_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_database(server: str | None, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server whose role may create databases")
    parser.add_argument("--quick", action="store_true", help="1,000 vs 50,000 bills; 200,000 typo samples")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "BIG"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--typo-samples", type=int)
    parser.add_argument("--skip-typos", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or ((1_000, 50_000) if args.quick else (1_000, 1_000_000)))
    samples = args.typo_samples or (200_000 if args.quick else 3_000_000)
    if not args.skip_typos:
        print_typos(typo_figure(1_000_000, samples))
    mints, verifies = (100, 300) if args.quick else (200, 1000)
    if not args.skip_sqlite:
        scale("SQLite", sizes, args.rounds, mints, verifies, None)  # type: ignore[arg-type]
    if args.database_url:
        scale("PostgreSQL", sizes, args.rounds, mints, verifies, args.database_url)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
