"""What only a PostgreSQL register can meet: a database that is not qrpay's, a schema from a newer
qrpay, wrong credentials, a server that is down or never answers, and many threads of a service."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest

from qrpay import Qrpay, RegisterError, Settings
from qrpay.register import Register, dialect
from qrpay.register.schema import MIGRATIONS


@pytest.fixture
def pg(pg_database: str, monkeypatch: pytest.MonkeyPatch, keyring) -> str:
    monkeypatch.setenv("QRPAY_DATABASE_URL", pg_database)
    return pg_database


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        return {row[0] for row in rows}


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_the_schema_is_made_on_first_use_with_named_migrations_and_sequences(pg, cli):
    assert cli("mint", "scene", "--item", "09", "--scene", "window 3").exit_code == 0
    assert tables(pg) >= {"codes", "renders", "migrations", "log_entries", "statements"}
    with psycopg.connect(pg) as db:
        assert db.execute("SELECT pg_get_serial_sequence('codes', 'serial')").fetchone()[0] is not None
        names = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS] and names[:6] == [
        "0001_codes",
        "0002_renders",
        "0003_emergency",
        "0004_bills",
        "0005_desk",
        "0006_listing",
    ]


def test_a_database_holding_other_tables_is_refused_and_never_changed(pg, cli):
    with psycopg.connect(pg) as db:
        db.execute("CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT)")
        db.execute("INSERT INTO accounts VALUES (1, '张三')")
    for command in (["list"], ["mint", "unified", "traffic-fine"]):
        error = one_error_line(cli(*command))
        assert "not a qrpay register" in error and "accounts" in error and "***" in error
    assert tables(pg) == {"accounts"}
    with psycopg.connect(pg) as db:
        assert db.execute("SELECT * FROM accounts").fetchall() == [(1, "张三")]


def test_a_register_from_a_newer_qrpay_is_refused(pg, cli):
    assert cli("mint", "unified", "traffic-fine").exit_code == 0
    with psycopg.connect(pg) as db:
        db.execute("INSERT INTO migrations VALUES ('0099_future', '2030-01-01T00:00:00+00:00')")
    error = one_error_line(cli("list"))
    assert "0099_future" in error and "upgrade qrpay" in error


def test_wrong_credentials_are_one_line_without_the_password(pg, cli, monkeypatch):
    parts = urlsplit(pg)
    wrong = parts._replace(netloc=f"{parts.username}:not-the-Secret-42@{parts.hostname}:{parts.port}").geturl()
    result = cli("--database-url", wrong, "list")
    error = one_error_line(result)
    assert "password authentication failed" in error
    assert "not-the-Secret-42" not in result.stdout + result.stderr and parts.password not in error


def test_a_server_that_is_down_is_reported_at_once(pg, cli):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(pg)
    down = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{port}").geturl()
    error = one_error_line(cli("--database-url", down, "list"))
    assert "cannot open the register" in error and parts.password not in error


def test_a_server_that_never_answers_is_given_up_on_in_bounded_time(pg, cli, monkeypatch):
    monkeypatch.setattr(dialect, "CONNECT_TIMEOUT_S", 2)
    silent = socket.socket()  # accepts connections (the kernel does), never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        parts = urlsplit(pg)
        url = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{silent.getsockname()[1]}").geturl()
        start = time.monotonic()
        error = one_error_line(cli("--database-url", url, "list"))
        assert time.monotonic() - start < 10
        assert "timeout" in error.lower() and parts.password not in error
    finally:
        silent.close()


def test_a_url_that_is_not_postgresql_is_refused(pg, cli):
    error = one_error_line(cli("--database-url", "mysql://u:pw@127.0.0.1/x", "list"))
    assert "postgresql://" in error and "pw" not in error


def test_a_service_opens_a_register_per_request_from_many_threads(pg):
    with Qrpay(Settings.load()) as desk:
        codes = [desk.mint_scene("09", f"window {n}")[0] for n in range(5)]
    failures: list[BaseException] = []

    def serve(n: int) -> None:
        try:
            for _ in range(20):
                with Register.connect(pg, pooled=True) as register:  # one per request, from the pool
                    code = register.lookup(codes[n % 5].serial)
                    assert code is not None and code.payload == codes[n % 5].payload
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=serve, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with psycopg.connect(pg) as db:  # the pool keeps a few connections, not one per request
        used = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'qrpay'"
        ).fetchone()[0]
    assert 1 <= used <= dialect.POOL_SIZE


def test_register_errors_never_carry_the_password(pg):
    parts = urlsplit(pg)
    bad = parts._replace(path="/no_such_database").geturl()
    with pytest.raises(RegisterError) as caught:
        Register.connect(bad)
    assert parts.password not in str(caught.value) and "***" in str(caught.value)


def test_a_connection_lost_mid_use_is_a_register_error_without_the_password(pg):
    with Qrpay(Settings.load()) as desk:
        code, _ = desk.mint_scene("09", "window 3")
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(RegisterError, match="cannot use register") as caught:
            desk.verify(code.payload)
        assert urlsplit(pg).password not in str(caught.value)
        with pytest.raises(RegisterError, match="cannot"):
            desk.revoke(code.id, "the server is gone")
    with Qrpay(Settings.load()) as desk:  # nothing was half-done
        assert desk.verify(code.payload).status == "genuine"


def test_keys_init_on_a_second_desk_of_a_shared_register_with_codes_is_refused(pg, cli, tmp_path, monkeypatch):
    assert cli("mint", "unified", "traffic-fine").exit_code == 0
    second = tmp_path / "desk-b"
    monkeypatch.setenv("QRPAY_HOME", str(second))
    error = one_error_line(cli("keys", "init"))
    assert "copy that keyring" in error and not (second / "keyring.json").exists()
