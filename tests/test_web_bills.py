"""The payer's page of a bill: what is owed today, the payer masked, only a confirm button; the
redirect carries the bill's own amount whatever the form says; a paid bill offers no payment."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PAY_URL
from helpers import today

from qrpay import Qrpay
from qrpay.emergency.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

NOTICE = "3301002026120100001"


def path_of(code) -> str:
    return urlsplit(code.payload).path


@pytest.fixture
def fine(desk):
    return desk.mint_bill("18", "200.00", "张三", NOTICE, today() + timedelta(days=15))[0]


def test_the_page_shows_the_bill_with_the_payer_masked_and_only_a_confirm_button(web, fine):
    response = web.get(path_of(fine))
    assert response.status_code == 200
    page = response.text
    assert 'data-status="genuine"' in page and 'data-bill="open"' in page
    for shown in ("交警", "公安交通违法罚款", "张*", NOTICE, "¥200.00", fine.payment_code, "确认并缴款"):
        assert shown in page, shown
    assert "张三" not in page
    assert 'name="amount"' not in page and 'name="reference"' not in page and "<input" not in page
    assert "逾期每日按罚款数额的3%加处罚款" in page and "其中加收" not in page  # the rule, no fee yet


def test_a_late_bill_shows_the_late_fee_due_today(desk, web):
    earlier = Qrpay(desk.settings, today=lambda: today() - timedelta(days=10))
    with earlier:
        late, _ = earlier.mint_bill("18", "200.00", "张三", NOTICE, today() - timedelta(days=2))
    page = web.get(path_of(late)).text
    assert "¥212.00" in page and "其中加收" in page and "¥12.00" in page
    response = web.post(path_of(late), data={"confirm": "1"})
    assert parse_qs(urlsplit(response.headers["location"]).query)["amount"] == ["212.00"]


def test_a_tampered_amount_cannot_change_what_is_redirected(web, fine):
    response = web.post(path_of(fine), data={"amount": "0.01", "item": "01", "reference": "FAKE", "code": "1"})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert (target.scheme, target.netloc, target.path) == tuple(urlsplit(PAY_URL)[:3])
    query = parse_qs(target.query)
    assert query["amount"] == ["200.00"] and query["item"] == ["18"] and query["ref"] == [NOTICE]
    assert query["code"] == [fine.payment_code.replace(" ", "")] and len(query["code"][0]) == 16


def test_a_paid_bill_shows_paid_and_offers_no_payment(tmp_path, desk, web, fine):
    path = tmp_path / "s.csv"
    paid_at = f"{today()} 09:00"
    path.write_text(f"txn_id,paid_at,amount,code,reference\nT1,{paid_at},200.00,{fine.payload},{NOTICE}\n", "utf-8")
    assert reconcile(desk, path).clean
    response = web.get(path_of(fine))
    assert response.status_code == 200 and 'data-bill="paid"' in response.text and "已缴款" in response.text
    assert "<form" not in response.text
    again = web.post(path_of(fine), data={"confirm": "1"})
    assert again.status_code == 409 and "location" not in again.headers


def test_the_api_answers_bills_with_the_payer_masked(web, fine):
    for text in (fine.payment_code, fine.payload):
        answer = web.post("/api/v1/verify", json={"input": text})
        assert answer.status_code == 200
        data = answer.json()
        assert (data["status"], data["kind"], data["payer"], data["amount"], data["notice"]) == (
            "genuine",
            "bill",
            "张*",
            "200.00",
            NOTICE,
        )
        assert "张三" not in answer.text
    schema = web.get("/api/openapi.json").json()
    assert "bill" in str(schema) and "payer" in str(schema)
