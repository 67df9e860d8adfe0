"""Migration 0006_listing: the index the desk's list picks a clerk's codes by, on both engines.

A register made by the previous schema (0001-0005) opens, keeps its rows and gains the index; a
backup made before the migration restores (and is migrated), one made after is exactly what the
migrations make; and the planner takes a few codes of one department from the index instead of
reading the register in serial order. No timing here: the figures are in bench/desk.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from qrpay import Code, Qrpay
from qrpay.codes.seal import seal
from qrpay.register import files, listing, schema, store
from qrpay.register.listing import Filter
from qrpay.register.rows import insert_codes

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

INDEX = "codes_number_serial"


def indexes(qrpay: Qrpay, engine: str) -> set[str]:
    db = qrpay.register.db
    if engine == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codes'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'codes'"
    return {row[0] for row in db.execute(sql)}


def listed(qrpay: Qrpay, numbers: set[int]) -> list[str]:
    return [code.id for code in listing.page(qrpay.register, Filter(numbers=numbers), 0, 50)]


def test_a_register_of_the_previous_schema_gains_the_index_and_its_backups_restore(desk, engine, monkeypatch, tmp_path):
    old = schema.MIGRATIONS[:5]
    assert old[-1][0] == "0005_desk" and schema.MIGRATIONS[5][0] == "0006_listing"
    desk.close()
    with monkeypatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", old)
        patch.setattr("qrpay.register.dialect.MIGRATIONS", old)
        with Qrpay(desk.settings) as before:
            assert before.register.migrations() == [name for name, _ in old]
            assert INDEX not in indexes(before, engine)
            police = [before.mint_scene("05", f"gate {n}")[0].id for n in range(3)]
            school = before.mint_scene("01", "hall")[0].id
            before.users.add("police", "clerk", ["公安"], "a-password-1")
            made_before = before.register.backup(tmp_path / "before.sqlite3")
    with Qrpay(desk.settings) as after:
        assert after.register.migrations() == [name for name, _ in schema.MIGRATIONS]
        assert INDEX in indexes(after, engine)
        assert listed(after, {5}) == police[::-1] and listed(after, {1}) == [school]
        assert after.verify(after.get(police[0]).payload).status == "genuine"
        assert [user.name for user in after.users.all()] == ["police"]
        assert after.mint_scene("05", "gate 0")[0].id == police[0]  # still the live one
        made_after = after.register.backup(tmp_path / "after.sqlite3")
        backup_db, version = files.open_backup(made_after)  # raises if its schema is not the migrations'
        backup_db.close()
        assert version == len(schema.MIGRATIONS)
        newer = after.mint_scene("05", "gate 9")[0].id
        after.register.restore(made_before)  # an older backup: migrated on the way in
    with Qrpay(desk.settings) as restored:
        assert restored.register.migrations() == [name for name, _ in schema.MIGRATIONS]
        assert INDEX in indexes(restored, engine)
        assert listed(restored, {5}) == police[::-1] and newer not in listed(restored, {5})
        if engine == "sqlite":
            with sqlite3.connect(desk.settings.home / "register.sqlite3") as raw:
                assert schema.differences(schema.shape(raw), schema.expected_shape(len(schema.MIGRATIONS))) == []


def sealed(qrpay: Qrpay, count: int, sparse: int) -> list[Code]:
    """*count* signed scene codes of items 1-4, but every 500th of item *sparse*."""
    key = qrpay.keyring.signing_key
    codes = []
    for serial in range(1, count + 1):
        number = sparse if serial % 500 == 0 else serial % 4 + 1
        scene = f"window {serial}"
        fields = seal("scene", number, scene, None, None, serial, key.kid, key.secret, qrpay.settings.base_url)
        signed = (key.kid, fields["token"], fields["payload"], fields["payment_code"], 4, "2026-01-01T00:00:00+00:00")
        codes.append(Code(serial, "scene", number, scene, None, None, *signed, None, None))
    return codes


def plans(desk: Qrpay, engine: str, call: Callable[[], object]) -> list[str]:
    """What the planner does with each query *call* sends, on a register of 2,000 codes of which
    item 12 holds 4 (on PostgreSQL analysed, as the migration and autovacuum do; SQLite keeps none)."""
    insert_codes(desk.register, sealed(desk, 2000, sparse=12))
    db = desk.register.db
    if engine == "postgresql":
        db.begin()
        db.execute("ANALYZE codes")
        db.commit()
    captured: list[tuple[str, list[object]]] = []
    execute = db.execute

    def capture(sql: str, params=()):
        captured.append((sql, list(params)))
        return execute(sql, params)

    db.execute = capture  # type: ignore[method-assign]
    try:
        call()
    finally:
        del db.execute
    explain = "EXPLAIN QUERY PLAN " if engine == "sqlite" else "EXPLAIN "
    column = -1 if engine == "sqlite" else 0
    return [" | ".join(str(row[column]) for row in db.execute(explain + sql, params)) for sql, params in captured]


def test_the_planner_takes_a_small_scope_from_the_index(desk, engine):
    """A clerk whose items hold 4 of 2,000 codes: the list's page and count come from the index,
    not from reading the register newest first until 50 are found."""
    where = Filter(numbers={12, 13})
    found: list[object] = []

    def listing_page() -> None:
        found.append([code.number for code in listing.page(desk.register, where, 0, 50)])
        found.append(listing.count(desk.register, where, 1001))

    planned = plans(desk, engine, listing_page)
    assert found == [[12] * 4, 4] and len(planned) == 2
    assert all(INDEX in plan for plan in planned), planned


def test_a_mint_finds_a_live_purpose_through_its_index(desk, engine):
    """A mint's look-up of the live code for its purpose is one probe of the live-purpose index,
    not a read of the codes of its number (or of the register), on SQLite as on PostgreSQL."""
    found: list[object] = []
    planned = plans(desk, engine, lambda: found.append(desk.register.find_live("scene", 2, "window 1")))
    assert found[0] is not None and len(planned) == 1
    assert "codes_live_purpose" in planned[0], planned
