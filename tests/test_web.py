"""qrpay serve, the payer's page: what each code shows, its HTTP status, and the continue form."""

from __future__ import annotations

import datetime
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PAY_URL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrpay import Qrpay, Settings


def page_status(response) -> str:
    return re.search(r'<body data-status="([a-z-]+)"', response.text).group(1)


def path_of(code) -> str:
    return urlsplit(code.payload).path


def pay(web, code, **form):
    return web.post(path_of(code), data=form)


def test_a_genuine_scene_code_shows_item_department_scene_payee_and_the_form(web, desk):
    code = desk.mint_scene("09", "窗口 3")[0]
    response = web.get(path_of(code))
    assert response.status_code == 200 and page_status(response) == "genuine"
    text = response.text
    for shown in ("不动产登记费", "国土", "窗口 3", "杭州市财政局", "杭州市统一公共支付平台", code.payment_code):
        assert shown in text
    assert 'name="amount"' in text and 'name="reference"' in text and "请勿付款" not in text
    assert "<script" not in text  # the page works without any script


def test_items_foreigners_pay_carry_english_and_others_do_not(web, desk):
    visa = web.get(path_of(desk.mint_scene("07", "exit-entry hall")[0])).text
    land = web.get(path_of(desk.mint_scene("09", "window 1")[0])).text
    assert "Visa fees for foreign nationals" in visa and "Continue to payment" in visa
    assert "Continue to payment" not in land


@pytest.mark.parametrize(
    ("change", "status", "http"),
    [("revoke", "revoked", 410), ("expire", "expired", 410), ("early", "not-yet-valid", 404)],
)
def test_a_code_not_live_is_a_red_warning_with_its_status(web, desk, monkeypatch, change, status, http):
    today = desk.today()
    code = desk.mint_open("06", valid_from=today if change != "early" else today + datetime.timedelta(days=3))[0]
    if change == "revoke":
        desk.revoke(code.id, "poster replaced")
    if change == "expire":
        code = desk.mint_open("06", valid_until=today)[0]
        monkeypatch.setattr(Qrpay, "today", lambda self: today + datetime.timedelta(days=1))
    response = web.get(path_of(code))
    assert response.status_code == http and page_status(response) == status
    assert "请勿付款" in response.text and "Do not pay" in response.text and 'name="amount"' not in response.text
    assert "12345" in response.text  # whom to tell


def test_a_revocation_shows_on_the_next_request(web, desk):
    code = desk.mint_scene("09", "window 2")[0]
    assert web.get(path_of(code)).status_code == 200
    desk.revoke(code.id, "sticker pasted over")
    after = web.get(path_of(code))
    assert after.status_code == 410 and page_status(after) == "revoked"
    assert pay(web, code, amount="10", reference="A1").status_code == 410


def _other_register_code(desk, tmp_path, *, rotate: bool):
    """A code correctly signed with this keyring (or its successor) but minted in another register."""
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(desk.settings.keyring_path, other / "keyring.json")
    with Qrpay(Settings.load(home=other)) as elsewhere:
        if rotate:
            elsewhere.keyring.rotate()
        for n in range(3):
            code = elsewhere.mint_scene("09", f"elsewhere {n}")[0]
    return code


@pytest.mark.parametrize("kind", ["forged", "malformed", "not-found", "unknown-key"])
def test_codes_not_ours_answer_404_with_the_warning(web, desk, tmp_path, kind):
    genuine = desk.mint_scene("09", "window 1")[0]
    if kind == "forged":
        head, tag = genuine.token.split(".")
        token = f"{head}.{'B' if tag[0] == 'A' else 'A'}{tag[1:]}"  # the tag's first character: every bit counts
    elif kind == "malformed":
        token = "not-a-token"
    else:
        token = _other_register_code(desk, tmp_path, rotate=kind == "unknown-key").token
    response = web.get(urlsplit(genuine.payload).path.rsplit("/", 1)[0] + "/" + token)
    assert response.status_code == 404 and page_status(response) == kind
    assert "请勿付款" in response.text and "不动产登记费" not in response.text


def test_a_wechat_browser_gets_a_reporting_hint_and_the_same_verdict(web, desk):
    forged = desk.mint_scene("09", "window 1")[0].payload[:-2] + "xx"
    plain = web.get(urlsplit(forged).path)
    wechat = web.get(urlsplit(forged).path, headers={"user-agent": "Mozilla/5.0 MicroMessenger/8.0.50"})
    assert plain.status_code == wechat.status_code == 404 and page_status(plain) == page_status(wechat)
    assert "投诉" in wechat.text and "投诉" not in plain.text


def test_a_valid_form_answers_303_to_the_platform_with_code_item_amount_and_ref(web, desk):
    code = desk.mint_scene("18", "交警大队窗口")[0]
    response = pay(web, code, amount=" 200.5 ", reference="杭公交决字〔2026〕第001号")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "platform.example.test", "/pay")
    assert parse_qs(target.query) == {
        "channel": ["qr"],
        "code": [code.payment_code.replace(" ", "")],
        "item": ["18"],
        "amount": ["200.50"],
        "ref": ["杭公交决字〔2026〕第001号"],
    }


def test_full_width_digits_typed_on_a_phone_are_read_as_an_amount(web, desk):
    response = pay(web, desk.mint_unified("traffic-fine")[0], amount="１２０", reference="A-1")
    assert response.status_code == 303 and "amount=120.00" in response.headers["location"]


@pytest.mark.parametrize("typed", ["¥1,200.50", "￥1200.5", "１，２００．５", "¥ 1,200.50 "])
def test_a_yen_sign_and_grouped_thousands_are_read_as_the_amount(web, desk, typed):
    response = pay(web, desk.mint_unified("traffic-fine")[0], amount=typed, reference="A-1")
    assert response.status_code == 303 and "amount=1200.50" in response.headers["location"]


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (
            "1,2,3",
            "金额应为数字，如 200 或 200.50 · The amount must be a number such as 200 or 200.50",
        ),  # was read as 123
        ("1000000000", "此项目金额不超过 ¥99999999.99 · The amount for this item is at most ¥99999999.99"),
        ("100,000,000.00", "此项目金额不超过 ¥99999999.99 · The amount for this item is at most ¥99999999.99"),
        ("-¥5", "金额应大于 0 · The amount must be more than 0"),
    ],
)
def test_bad_grouping_and_more_than_the_platform_holds_are_refused(web, desk, amount, says):
    response = pay(web, desk.mint_unified("traffic-fine")[0], amount=amount, reference="A-1")
    assert response.status_code == 400 and "location" not in response.headers
    assert says in response.text


def test_the_platforms_largest_amount_is_accepted(web, desk):
    response = pay(web, desk.mint_unified("traffic-fine")[0], amount="99,999,999.99", reference="A-1")
    assert response.status_code == 303 and "amount=99999999.99" in response.headers["location"]


@pytest.fixture
def limited(home, desk):
    """Item 09 with amount_min 10 and amount_max 500 in the user's catalog."""
    (home / "catalog.toml").write_text('[items."09"]\namount_min = 10\namount_max = 500\n', encoding="utf-8")
    return desk.mint_scene("09", "window 1")[0]


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("", "请填写金额"),
        ("abc", "应为数字"),
        ("1e3", "应为数字"),
        ("NaN", "应为数字"),
        ("Infinity", "应为数字"),
        ("0", "大于 0"),
        ("-20", "大于 0"),
        ("12.345", "两位小数"),
        ("9.99", "不低于 ¥10.00"),
        ("500.01", "不超过 ¥500.00"),
    ],
)
def test_an_invalid_amount_reshows_the_form_with_the_error_and_redirects_nowhere(web, limited, amount, says):
    response = pay(web, limited, amount=amount, reference="R-1")
    assert response.status_code == 400 and "location" not in response.headers
    assert page_status(response) == "genuine" and 'name="amount"' in response.text
    assert says in response.text and 'value="R-1"' in response.text


def test_the_limits_themselves_are_accepted(web, limited):
    assert pay(web, limited, amount="10", reference="R-1").status_code == 303
    assert pay(web, limited, amount="500.00", reference="R-1").status_code == 303


@pytest.mark.parametrize(
    ("reference", "says"),
    [("", "请填写业务编号"), (" ", "请填写业务编号"), ("A" * 41, "最多 40"), ('"><b>x', "不能有"), ("a;b", "不能有")],
)
def test_an_invalid_reference_reshows_the_form_escaped(web, desk, reference, says):
    response = pay(web, desk.mint_scene("09", "window 1")[0], amount="20", reference=reference)
    assert response.status_code == 400 and "location" not in response.headers and says in response.text
    assert '"><b>' not in response.text


def test_a_unified_group_of_several_items_asks_which_one(web, desk):
    code = desk.mint_unified("education")[0]
    page = web.get(path_of(code)).text
    assert '<select id="item" name="item"' in page and "幼儿园保教费" in page
    assert pay(web, code, amount="100", reference="R1").status_code == 400
    assert pay(web, code, item="18", amount="100", reference="R1").status_code == 400  # not in the group
    chosen = pay(web, code, item="02", amount="100", reference="R1")
    assert chosen.status_code == 303 and "item=02" in chosen.headers["location"]


def test_without_a_pay_url_the_page_shows_no_form_and_posting_is_503(serve_app, desk):
    web = serve_app(pay_url=None)
    code = desk.mint_scene("09", "window 1")[0]
    assert 'name="amount"' not in web.get(path_of(code)).text
    assert pay(web, code, amount="20", reference="R1").status_code == 503


def test_a_form_not_sent_as_a_web_form_is_refused(web, desk):
    code = desk.mint_scene("09", "window 1")[0]
    response = web.post(path_of(code), content=b'{"amount": "20"}', headers={"content-type": "application/json"})
    assert response.status_code == 415 and "location" not in response.headers
    many = "&".join(f"f{n}=1" for n in range(20)) + "&amount=20&reference=R1"
    crowded = web.post(path_of(code), content=many, headers={"content-type": "application/x-www-form-urlencoded"})
    assert crowded.status_code == 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.text(max_size=20), reference=st.text(max_size=50), item=st.text(max_size=5))
def test_the_redirect_never_leaves_the_pay_url_whatever_the_form_holds(web, desk, amount, reference, item):
    code = desk.mint_unified("education")[0]
    headers = {"host": "evil.example", "x-forwarded-host": "evil.example", "referer": "https://evil.example/"}
    response = web.post(path_of(code), data={"amount": amount, "reference": reference, "item": item}, headers=headers)
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        target = urlsplit(response.headers["location"])
        assert (target.scheme, target.netloc, target.path) == tuple(urlsplit(PAY_URL)[:3])


def test_markup_in_a_scene_label_is_shown_as_text(web, desk):
    code = desk.mint_scene("09", '<script>alert(1)</script><img src=x onerror="alert(2)">')[0]
    text = web.get(path_of(code)).text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize(
    "path", ["/c/<script>alert(1)</script>", "/c/%22%3E%3Csvg%20onload=alert(1)%3E", "/x/<b>y</b>"]
)
def test_markup_in_a_path_is_shown_escaped(web, path):
    response = web.get(path)
    assert response.status_code == 404
    assert "<script>alert" not in response.text and "<svg" not in response.text and "<b>y" not in response.text
    assert "&lt;" in response.text


def test_the_site_answers_at_the_base_urls_path_in_its_own_case(serve_app, desk):
    web = serve_app(base_url="HTTPS://PAY.HZ.GOV.CN/Q/")
    with Qrpay(Settings.load(home=desk.settings.home, base_url="HTTPS://PAY.HZ.GOV.CN/Q/")) as upper:
        code = upper.mint_scene("09", "window 1")[0]
    assert code.payload.startswith("HTTPS://PAY.HZ.GOV.CN/Q/")
    assert web.get("/Q/" + code.token).status_code == 200
    assert web.get("/q/" + code.token).status_code == 404
    assert web.get("/Q/static/qrpay.css").status_code == 200
