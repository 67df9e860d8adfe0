"""qrpay desk's code list: scope, search, filters and paging done by the register, not over every code."""

from __future__ import annotations

import re

import pytest
from conftest import DESK_PASSWORDS
from test_desk import login

import qrpay.register.rows
import qrpay.register.store
from qrpay.register.store import Purpose, Register
from qrpay.users import in_scope

pytestmark = pytest.mark.usefixtures("engine")
DEPARTMENTS = (["国土"], ["公安", "交警"], ["教育"], ["人防"])


@pytest.fixture
def every_kind(desk):
    """Scene codes of every item (three of some), an open code, both unified codes; two revoked."""
    catalog = desk.catalog
    purposes = [Purpose("scene", item.number, f"窗口 {n}") for item in catalog.items.values() for n in range(3)]
    purposes += [Purpose("unified", group.number) for group in catalog.groups.values()]
    codes = [code for code, _ in desk.mint_many(purposes)] + [desk.mint_open("06")[0]]
    for code in codes[::17][:2]:
        desk.revoke(code.id, "replaced")
    return [desk.get(code.id) for code in codes]


def client_of(desk_app, desk, departments):
    name = "c" + str(abs(hash(tuple(departments))))[:8]
    desk.users.add(name, "clerk", departments, DESK_PASSWORDS["clerk"])
    client = desk_app()
    assert login(client, name, DESK_PASSWORDS["clerk"]).status_code == 303
    return client


def listed(client, **params) -> list[str]:
    """Every id the list shows for *params*, page after page, in the order shown."""
    ids: list[str] = []
    for page in range(1, 30):
        text = client.get("/", params={**params, "page": page}).text
        ids += re.findall(r'class="code-link" href="/codes/(C\d+)"', text)
        if f"page={page + 1}" not in text:
            return ids
    raise AssertionError("more pages than the list has")


@pytest.mark.parametrize("departments", DEPARTMENTS)
def test_a_clerks_list_is_exactly_the_codes_in_scope_newest_first(desk_app, desk, every_kind, departments):
    client = client_of(desk_app, desk, departments)
    seen = frozenset(departments)
    expected = [c for c in reversed(every_kind) if in_scope(desk.catalog, c, seen)]
    assert expected and listed(client) == [c.id for c in expected]
    assert listed(client, state="revoked") == [c.id for c in expected if c.revoked]
    assert listed(client, kind="unified") == [c.id for c in expected if c.kind == "unified"]
    assert f"共 {len(expected)} 个缴款码" in client.get("/").text


def test_an_exact_id_or_payment_code_finds_that_code_only_in_scope(desk_app, desk, every_kind):
    client = client_of(desk_app, desk, ["国土"])
    own = next(c for c in every_kind if c.number == 9)
    other = next(c for c in every_kind if c.number == 5)
    for query in (own.id, own.id.lower(), own.payment_code, own.payment_code.replace(" ", "")):
        assert listed(client, q=query) == [own.id], query
    for query in (other.id, other.payment_code):
        assert listed(client, q=query) == [], query
    assert listed(client, q="窗口 1") == [c.id for c in reversed(every_kind) if c.number == 9 and c.scene == "窗口 1"]
    assert listed(client, q="100%_") == []  # LIKE's wildcards are plain characters


def test_a_page_reads_only_its_own_rows(desk_app, desk, every_kind, monkeypatch):
    """A page turns at most its fifty rows into codes, however many the register holds."""
    client = client_of(desk_app, desk, ["公安", "交警"])
    desk.mint_many([Purpose("scene", 5, f"柜台 {n}") for n in range(80)])
    made = []
    for module, name in ((qrpay.register.store, "_code"), (qrpay.register.rows, "code")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda row, real=real: made.append(row[0]) or real(row))
    page = client.get("/").text
    assert page.count('class="code-link"') == 50 and "第 1 / 2 页" in page
    assert len(made) <= 50


def test_past_twenty_pages_the_list_stops_counting_and_asks_for_a_narrower_search(desk_app, desk):
    desk.mint_many([Purpose("scene", 9, f"窗口 {n}") for n in range(1005)])
    desk.mint_scene("07", "出入境")
    client = client_of(desk_app, desk, ["国土", "公安"])
    first = client.get("/").text
    assert "共 1000 多个缴款码，第 1 / 20 页" in first and "请用搜索或筛选缩小范围" in first
    last = client.get("/", params={"page": 99}).text
    assert "第 20 / 20 页" in last and last.count('class="code-link"') == 50 and "page=21" not in last
    assert listed(client, q="出入境") == [desk.list_codes(item="07")[0].id]
    assert "共 1 个缴款码" in client.get("/", params={"q": "公安"}).text


def test_pages_reuse_their_threads_open_register_and_see_what_others_write(desk_app, desk, every_kind, monkeypatch):
    """Opening a register checks all of it (SQLite) or connects (PostgreSQL): not once per page."""
    opened = []
    real = Register._prepare
    monkeypatch.setattr(Register, "_prepare", lambda self: opened.append(self) or real(self))
    client = client_of(desk_app, desk, ["国土"])
    own = next(c for c in every_kind if c.number == 9 and not c.revoked)
    before = len(opened)
    for _ in range(10):
        assert client.get("/").status_code == 200
    assert len(opened) == before  # the login's Qrpay, kept: none opened per page
    desk.revoke(own.id, "moved")  # another connection's commit shows on the next page
    assert listed(client, state="revoked")[0] == own.id
    desk.rotate_key()  # the keyring file rewritten: the next request opens afresh
    before = len(opened)
    assert client.get(f"/codes/{own.id}").status_code == 200 and len(opened) > before


def test_a_bill_is_listed_by_its_kind_and_found_by_its_notice_number(desk_app, desk):
    bill, _ = desk.mint_bill("18", "200.00", "张三", "3301002026120100001")
    scene, _ = desk.mint_scene("18", "窗口 1")
    client = client_of(desk_app, desk, ["交警"])
    assert listed(client, kind="bill") == [bill.id]
    assert listed(client, q="3301002026120100001") == [bill.id]
    assert listed(client, q=bill.payment_code) == [bill.id]
    assert listed(client, q=bill.payment_code.replace(" ", "")[:9]) == [bill.id]  # some of its digits
    assert listed(client) == [scene.id, bill.id]
    assert f"/codes/{scene.id}/emergency-a4.pdf" not in client.get(f"/codes/{scene.id}").text  # open codes only
