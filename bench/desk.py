"""The staff desk's code list at two register sizes: a page must cost the same at 1,000 and 100,000 codes.

    python bench/desk.py                                   # SQLite: 1,000 vs 100,000 codes
    python bench/desk.py --database-url postgresql://USER:PASSWORD@127.0.0.1:55432/DB   # and PostgreSQL
    python bench/desk.py --small 1000 --large 1000000 --repeat 21
    python bench/desk.py --mint-cost [--database-url …]     # what the list's index costs a mint

For each engine and size: a fresh register filled with that many signed scene and unified codes
of every department (the register's bulk insert, ``register.rows.insert_codes``; 人防's one item
gets one code in 1,000, the other 17 items share the rest), an officer, a clerk of 公安 and 交警
(5 items and one unified group: 29 % of the codes) and a clerk of 人防 (0.1 %) logged in to the
desk app in this process; then each list page below asked REPEAT times, one after the other, the
median reported, and the ratio large / small. On PostgreSQL the filled table is analysed, as
autovacuum would soon after on a server that runs it (.ci/postgres.sh's does not): the plans are
the ones a live register gets. The URL's role must be allowed to create databases: each
PostgreSQL size gets a fresh one, dropped after it.

``--mint-cost``: instead, on a register of LARGE codes, ``Qrpay.mint_scene`` of new scenes (one
transaction each, as ``qrpay mint scene`` does) in ROUNDS that alternate between the register
with its index ``codes_number_serial`` and without it (dropped, then made again), so that a busy
moment on the shared machine slows both alike; the median over rounds of µs per mint.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from starlette.testclient import TestClient

from qrpay import Code, Qrpay, Settings
from qrpay.codes.seal import seal
from qrpay.desk import DeskSettings, create_app
from qrpay.keys import Keyring
from qrpay.register.rows import insert_codes

BASE_URL = "https://pay.hz.gov.cn/q/"
PASSWORD = "bench-password-1"
REVOKED_EVERY = 23  # one code in 23 is revoked
SPARSE_ITEM, SPARSE_EVERY = 12, 1000  # 人防's item: one code in 1,000


def pages(probe: str) -> dict[str, tuple[str, dict[str, str]]]:
    """What is timed: (user, query) per line of the table; *probe* is a payment code in the register."""
    return {
        "officer, page 1": ("olga", {}),
        "clerk, page 1": ("police", {}),
        "clerk, page 20 (the last)": ("police", {"page": "20"}),
        "clerk, live scene codes": ("police", {"kind": "scene", "state": "live"}),
        "clerk of 人防 (0.1 %), page 1": ("civil", {}),
        "officer, search a scene": ("olga", {"q": "7号窗口"}),
        "officer, search a payment code": ("olga", {"q": probe}),
    }


def fill(qrpay: Qrpay, count: int) -> str:
    """*count* signed codes of every item and both unified groups, bulk-inserted; one's payment code."""
    key = qrpay.keyring.signing_key
    items = [item.number for item in qrpay.catalog.items.values() if item.number != SPARSE_ITEM]
    groups = [group.number for group in qrpay.catalog.groups.values()]
    codes = []
    for serial in range(1, count + 1):
        unified = serial <= len(groups)  # one live unified code per group
        number = SPARSE_ITEM if serial % SPARSE_EVERY == SPARSE_EVERY // 2 else items[serial % len(items)]
        kind, number = ("unified", groups[serial - 1]) if unified else ("scene", number)
        scene = None if unified else f"{serial % 40 + 1}号窗口 {serial}"
        fields = seal(kind, number, scene, None, None, serial, key.kid, key.secret, qrpay.settings.base_url)
        revoked = "2026-01-01T00:00:00+00:00" if serial % REVOKED_EVERY == 0 else None
        signed = (key.kid, fields["token"], fields["payload"], fields["payment_code"], 4, "2026-01-01T00:00:00+00:00")
        codes.append(Code(serial, kind, number, scene, None, None, *signed, revoked, "replaced" if revoked else None))
    insert_codes(qrpay.register, codes)
    return codes[count // 2].payment_code


def measure(home: Path, database_url: str | None, count: int, repeat: int) -> dict[str, float]:
    """Milliseconds (median of *repeat*) for each page of :func:`pages` on a register of *count* codes."""
    home.mkdir()
    Keyring.init(home / "keyring.json")
    settings = Settings.load(home=home, base_url=BASE_URL, database_url=database_url)
    with Qrpay(settings) as qrpay:
        probe = fill(qrpay, count)
        if database_url:
            with qrpay.register.transaction() as db:
                db.execute("ANALYZE codes")
        qrpay.users.add("olga", "officer", [], PASSWORD)
        qrpay.users.add("police", "clerk", ["公安", "交警"], PASSWORD)
        qrpay.users.add("civil", "clerk", ["人防"], PASSWORD)
    app = create_app(DeskSettings(settings))
    clients = {}
    for name in ("olga", "police", "civil"):
        client = TestClient(app, base_url="https://desk.test", follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        answer = client.post("/login", data={"username": name, "password": PASSWORD, "csrf": token})
        assert answer.status_code == 303, answer.text
        clients[name] = client
    figures = {}
    for label, (user, query) in pages(probe).items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            page = clients[user].get("/", params=query)
            times.append((time.perf_counter() - start) * 1000)
            assert page.status_code == 200 and 'class="code-link"' in page.text, (label, page.status_code)
        figures[label] = statistics.median(times)
    for client in clients.values():
        client.close()
    return figures


class Database:
    """A fresh PostgreSQL database on the server at *admin_url* (None: the SQLite file), dropped after."""

    def __init__(self, admin_url: str | None):
        self.admin_url, self.name = admin_url, f"qrpay_bench_desk_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str | None:
        if not self.admin_url:
            return None
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{self.name}"')
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.name}"))

    def __exit__(self, *exc: object) -> None:
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def mint_cost(home: Path, database_url: str | None, count: int, rounds: int, mints: int = 200) -> dict[str, float]:
    """Microseconds per ``mint_scene`` (median of *rounds*) with and without the list's index."""
    home.mkdir()
    Keyring.init(home / "keyring.json")
    settings = Settings.load(home=home, base_url=BASE_URL, database_url=database_url)
    times: dict[str, list[float]] = {"with the index": [], "without it": []}
    with Qrpay(settings) as qrpay:
        fill(qrpay, count)
        made = 0
        for _ in range(rounds):
            for label, ddl in (("with the index", None), ("without it", "DROP INDEX codes_number_serial")):
                if ddl:
                    with qrpay.register.transaction() as db:
                        db.execute(ddl)
                start = time.perf_counter()
                for _ in range(mints):
                    made += 1
                    assert qrpay.mint_scene("05", f"bench mint {made}")[1]
                times[label].append((time.perf_counter() - start) * 1e6 / mints)
            with qrpay.register.transaction() as db:
                db.execute("CREATE INDEX codes_number_serial ON codes (number, serial)")
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="also PostgreSQL: a server URL whose role may create databases")
    parser.add_argument("--small", type=int, default=1000, help="codes in the small register (default 1,000)")
    parser.add_argument("--large", type=int, default=100_000, help="codes in the large register (default 100,000)")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page, median reported (default 15)")
    parser.add_argument("--mint-cost", action="store_true", help="instead: µs per mint with and without the index")
    parser.add_argument("--rounds", type=int, default=7, help="--mint-cost rounds of 200 mints each (default 7)")
    args = parser.parse_args()
    engines = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.database_url else [])
    root = Path(tempfile.mkdtemp(prefix="qrpay-bench-desk-"))
    if args.mint_cost:
        print(f"mint_scene on a register of {args.large:,} codes, µs per mint, median of {args.rounds} rounds of 200")
        for engine, url in engines:
            with Database(url) as database_url:
                cost = mint_cost(root / engine, database_url, args.large, args.rounds)
            with_index, without = cost["with the index"], cost["without it"]
            print(
                f"{engine:<12} with the index {with_index:8.0f}   without it {without:8.0f}   {with_index / without:.2f}x"
            )
        return
    print(f"desk list pages, median of {args.repeat} requests (ms); Python {sys.version.split()[0]}")
    for engine, url in engines:
        results = {}
        for count in (args.small, args.large):
            with Database(url) as database_url:
                results[count] = measure(root / f"{engine}-{count}", database_url, count, args.repeat)
        print(f"\n{engine:<36} {args.small:>10,} {args.large:>10,}  ratio")
        for label in results[args.small]:
            small, large = results[args.small][label], results[args.large][label]
            print(f"{label:<36} {small:>10.1f} {large:>10.1f}  {large / small:.2f}x")


if __name__ == "__main__":
    main()
