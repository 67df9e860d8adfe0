"""The payment notice (notice-a4) and slip (slip-a5): a bill's words printed in full, its code read
back from the PDF, and bill and non-bill templates refusing each other's codes in one line."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from importlib.resources import files

import pytest
from helpers import assert_one_error_line, page_texts, today

from qrpay import InputError, RenderError
from qrpay.render import CodeView, load_template, render
from qrpay.render.capitals import capitals
from qrpay.render.model import BillView
from qrpay.render.templates import parse_template

RULE = "逾期每日按罚款数额的3%加处罚款，加处罚款数额不超过罚款本数"


def bill_view(**changes: object) -> CodeView:
    bill = BillView(
        payer="欧阳娜娜",
        notice="3301002026120100001",
        amount_fen=100550,
        due=today() + timedelta(days=15),
        late_fee=RULE,
        issued=today(),
    )
    return CodeView(
        id="C0000042",
        kind="bill",
        payload="https://pay.hz.gov.cn/q/HAEJAAAAACoAAAGs.35L1YmygzyUNqA0000000000",
        payment_code="3180 0000 0042 7",
        name="公安交通违法罚款",
        department="交警",
        item="18",
        basis="《中华人民共和国道路交通安全法》第一百零九条",
        complaints="0571-12345",
        bill=replace(bill, **changes),
    )


def day(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


@pytest.mark.parametrize("template", ["notice-a4", "slip-a5"])
def test_a_notice_prints_the_bill_in_full_and_reads_back(tmp_path, template):
    view = bill_view()
    result = render(load_template(template), [view], tmp_path / f"{template}.pdf")
    assert result.decoded == (view.payload,) and result.pages == 1
    text = page_texts(result.path)[0]
    for printed in (
        "欧阳娜娜",  # the payer's own notice: never masked
        "3301002026120100001",
        "1,005.50",
        capitals(100550),
        day(view.bill.due),  # type: ignore[union-attr]
        RULE,
        "3180 0000 0042 7",
        "公安交通违法罚款",
        "交警",
        day(today()),
    ):
        assert printed in text, (printed, template)


def test_a_bill_without_due_date_or_late_fee_rule_says_none():
    fields = bill_view(due=None, late_fee="").fields()
    assert fields["due"] == fields["late_fee"] == "无"
    assert fields["amount"] == "1,005.50" and fields["amount_capitals"] == "人民币壹仟零伍元伍角"
    scene = CodeView("C0000001", "scene", "https://x/q/T", "2090 0000 0017", "不动产登记费").fields()
    assert scene["due"] == scene["late_fee"] == scene["amount"] == scene["payer"] == ""


def test_the_notice_table_fits_a_long_payer_and_amount(tmp_path):
    view = bill_view(payer="杭州某某建设工程有限公司第三分公司（滨江区项目部）", amount_fen=98_765_432_109)
    result = render(load_template("notice-a4"), [view], tmp_path / "n.pdf")
    assert "玖亿捌仟柒佰陆拾伍万肆仟叁佰贰拾壹元零玖分" in page_texts(result.path)[0]
    too_long = bill_view(payer="某" * 120)
    with pytest.raises(RenderError, match="payer of C0000042"):
        render(load_template("notice-a4"), [too_long], tmp_path / "long.pdf")
    assert not (tmp_path / "long.pdf").exists()


@pytest.mark.parametrize("template", ["notice-a4", "slip-a5"])
def test_a_notice_template_refuses_a_code_that_is_not_a_bill(tmp_path, template):
    scene = CodeView(
        "C0000007", "scene", "https://pay.hz.gov.cn/q/T", "2090 0000 0070", "不动产登记费", scene="3 号窗口"
    )
    with pytest.raises(RenderError) as raised:
        render(load_template(template), [scene], tmp_path / "x.pdf")
    message = str(raised.value)
    assert "\n" not in message
    assert f"template {template} is for bill codes; C0000007 is a scene code" in message and "poster-a4" in message
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("template", ["poster-a4", "tent-a6", "labels-a4", "emergency-a4"])
def test_other_templates_refuse_a_bill(tmp_path, template):
    with pytest.raises(RenderError, match=r"C0000042 is a bill code; print a bill with notice-a4 or slip-a5$"):
        render(load_template(template), [bill_view()], tmp_path / "x.pdf")


def test_a_template_prints_bills_alone_or_other_kinds():
    text = """
title = "t"
format = "pdf"
kinds = KINDS
[page]
width_mm = 100
height_mm = 100
[qr]
x_mm = 10
y_mm = 10
size_mm = 50
min_module_mm = 0.5
"""
    with pytest.raises(InputError, match=r'kinds must be \["bill"\] alone'):
        parse_template("mixed", "mixed.toml", text.replace("KINDS", '["bill", "scene"]'))
    assert parse_template("n", "n.toml", text.replace("KINDS", '["bill"]')).kinds == ("bill",)
    assert "bill" not in parse_template("d", "d.toml", text.replace("kinds = KINDS", "")).kinds
    assert "bill" in load_template("web").kinds  # a web image shows any code; paper says how to pay
    web = files("qrpay.templates").joinpath("web.toml").read_text("utf-8")
    assert parse_template("w", "w.toml", re.sub(r"(?m)^kinds = .*$", 'kinds = ["scene", "bill"]', web)).kinds == (
        "scene",
        "bill",
    )


# -- through the front door: a minted bill ---------------------------------------------------


def test_a_minted_bill_prints_on_its_notice_with_the_catalog_rule_and_its_issue_day(desk, tmp_path):
    due = today() + timedelta(days=30)
    code, _ = desk.mint_bill("18", "200", "张三", "3301002026120100001", due)
    rule = desk.catalog.item("18").late_fee
    assert rule is not None
    result = desk.render(code.id, "notice-a4", tmp_path / "notice.pdf")
    assert result.decoded == (code.payload,)
    text = page_texts(result.path)[0]
    for printed in ("张三", "200.00", "人民币贰佰元整", day(due), rule.describe(), code.payment_code, day(today())):
        assert printed in text, printed
    assert [entry["template"] for entry in desk.renders(code)] == ["notice-a4"]


def test_a_bill_of_an_item_without_late_fee_rule_prints_none(desk, tmp_path):
    assert desk.catalog.item("01").late_fee is None
    code, _ = desk.mint_bill("01", "1200.5", "李四", "JY-2026-0001")
    text = page_texts(desk.render(code.id, "slip-a5", tmp_path / "slip.pdf").path)[0]
    assert "人民币壹仟贰佰元零伍角" in text and "1,200.50" in text
    assert text.count("无") >= 2  # no due date, no late fee


def test_the_cli_refuses_a_bill_on_a_poster_and_a_scene_code_on_a_notice(cli, desk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bill, _ = desk.mint_bill("18", "200", "张三", "N-1")
    scene, _ = desk.mint_scene("09", "3 号窗口")
    assert_one_error_line(cli("render", bill.id, "-t", "poster-a4"), "is a bill code", "notice-a4 or slip-a5")
    assert_one_error_line(cli("render", scene.id, "-t", "notice-a4"), "is for bill codes", "poster-a4")
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())
