"""qrpay desk over HTTP: login, sessions, CSRF, lockout, department isolation, pages and downloads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DESK_PASSWORDS

import qrpay.users
from qrpay.qr.decode import read_file

pytestmark = pytest.mark.usefixtures("engine")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, name: str, password: str):
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text)})


@pytest.fixture
def people(desk, cheap_hashes):
    """A clerk of 国土 (land), a clerk of 公安 and 交警 (police) and an officer."""
    desk.users.add("land", "clerk", ["国土"], DESK_PASSWORDS["clerk"])
    desk.users.add("police", "clerk", ["公安", "交警"], DESK_PASSWORDS["clerk"])
    desk.users.add("olga", "officer", [], DESK_PASSWORDS["officer"])


@pytest.fixture
def codes(desk):
    """Codes of several departments: land's scene code, police's scene and open codes, a unified code."""
    return {
        "land": desk.mint_scene("09", "窗口 3")[0],
        "police": desk.mint_scene("07", "出入境大厅")[0],
        "open": desk.mint_open("06")[0],
        "traffic": desk.mint_unified("traffic-fine")[0],
    }


@pytest.fixture
def as_user(desk_app, people):
    """A logged-in client: ``as_user("land")``."""

    def make(name: str):
        client = desk_app()
        role = "officer" if name == "olga" else "clerk"
        assert login(client, name, DESK_PASSWORDS[role]).status_code == 303
        return client

    return make


def test_without_a_session_pages_go_to_login_and_downloads_answer_401(desk_app, codes):
    client = desk_app()
    for path in ("/", f"/codes/{codes['land'].id}", "/mint", "/emergency", "/reconcile", "/audit"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert client.get(f"/codes/{codes['land'].id}/poster-a4.pdf").status_code == 401
    assert client.post(f"/codes/{codes['land'].id}/revoke", data={"reason": "x"}).status_code == 303


def test_login_sets_a_strict_httponly_secure_cookie_and_logout_ends_the_session(desk_app, people, desk):
    client = desk_app()
    response = login(client, "land", DESK_PASSWORDS["clerk"])
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("qrpay_desk="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "land" in home.text
    stolen = dict(client.cookies)
    assert client.post("/logout", data={"csrf": csrf_of(home.text)}).status_code == 303
    assert client.get("/").status_code == 303
    replay = desk_app()
    replay.cookies.update(stolen)
    assert replay.get("/").status_code == 303  # the session ended in the register, not only in the browser
    assert [a["action"] for a in desk.users.actions(user="land")] == ["logout", "login"]


def test_insecure_http_drops_only_the_secure_flag(desk_app, people):
    response = login(desk_app(insecure_http=True), "land", DESK_PASSWORDS["clerk"])
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("qrpay_desk="))
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_a_wrong_password_and_an_unknown_name_get_the_same_page(desk_app, people, desk):
    client = desk_app()
    wrong = login(client, "land", "wrong-password-1")
    unknown = login(client, "nobody", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731 - the token and the typed name differ
    assert strip(wrong.text) == strip(unknown.text)
    assert "用户名或密码错误" in wrong.text
    assert [a["address"] for a in desk.users.actions() if a["action"] == "login-failed"] == ["192.0.2.20"] * 2


def test_five_failures_lock_the_name_even_for_the_right_password(desk_app, people, desk):
    client = desk_app()
    for _ in range(5):
        assert login(client, "olga", "wrong-password-1").status_code == 401
    assert login(client, "olga", DESK_PASSWORDS["officer"]).status_code == 401
    assert login(client, "land", DESK_PASSWORDS["clerk"]).status_code == 303  # other names are not locked
    assert desk.users.actions(user="olga", limit=1)[0]["action"] == "login-locked"


def test_the_login_form_needs_its_token(desk_app, people):
    client = desk_app()
    client.get("/login")
    missing = client.post("/login", data={"username": "land", "password": DESK_PASSWORDS["clerk"]})
    wrong = client.post("/login", data={"username": "land", "password": DESK_PASSWORDS["clerk"], "csrf": "x" * 32})
    assert missing.status_code == wrong.status_code == 403
    assert "qrpay_desk=" not in str(missing.headers.get_list("set-cookie"))


def test_every_post_without_the_sessions_csrf_token_is_403_and_changes_nothing(as_user, codes, desk):
    client = as_user("olga")
    code = codes["land"]
    for data in ({"reason": "replaced"}, {"reason": "replaced", "csrf": "forged-token"}):
        assert client.post(f"/codes/{code.id}/revoke", data=data).status_code == 403
    assert client.post("/mint/scene", data={"item": "09", "scene": "窗口 9"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert not desk.get(code.id).revoked and len(desk.list_codes()) == 4
    other = as_user("land")  # another session's token is not this one's
    token = csrf_of(other.get("/").text)
    assert client.post(f"/codes/{code.id}/revoke", data={"reason": "x", "csrf": token}).status_code == 403


def test_a_clerk_sees_only_their_departments_codes_and_others_are_404(as_user, codes):
    land, police = as_user("land"), as_user("police")
    listed = land.get("/").text
    assert codes["land"].id in listed and codes["police"].id not in listed and codes["traffic"].id not in listed
    police_list = police.get("/").text
    for key in ("police", "open", "traffic"):  # traffic fines: a unified code of 交警's item 18
        assert codes[key].id in police_list
    for path in (f"/codes/{codes['police'].id}", f"/codes/{codes['police'].id}/poster-a4.pdf", "/codes/C9999999"):
        assert land.get(path).status_code == 404, path
    assert land.get(f"/codes/{codes['land'].id}").status_code == 200


def test_a_clerk_gets_403_on_every_officer_page(as_user, codes, desk):
    client = as_user("land")
    token = csrf_of(client.get("/").text)
    for path in ("/mint", "/emergency", "/reconcile", "/audit"):
        assert client.get(path).status_code == 403, path
    own = codes["land"]
    assert client.post(f"/codes/{own.id}/revoke", data={"reason": "x", "csrf": token}).status_code == 403
    assert client.post("/mint/scene", data={"item": "09", "scene": "窗口 9", "csrf": token}).status_code == 403
    assert client.post("/emergency/kit", data={"csrf": token}).status_code == 403
    assert not desk.get(own.id).revoked and len(desk.list_codes()) == 4
    assert "/mint" not in client.get("/").text  # and the menu does not offer them


def test_the_list_searches_and_filters(as_user, codes, desk):
    client = as_user("olga")
    desk.revoke(codes["police"].id, "poster replaced")

    def ids(**params):
        return set(re.findall(r'class="code-link" href="/codes/(C\d+)"', client.get("/", params=params).text))

    everything = {code.id for code in codes.values()}
    assert ids() == everything
    assert ids(q="不动产") == {codes["land"].id}  # item name
    assert ids(q="09") == {codes["land"].id}  # item code
    assert ids(q="公安") == {codes["police"].id, codes["open"].id}  # department
    assert ids(q="交警") == {codes["traffic"].id}  # a unified code's, from its group's items
    assert ids(q="窗口") == {codes["land"].id}  # scene
    assert ids(q=codes["open"].payment_code) == {codes["open"].id}  # payment code, spaced as printed
    assert ids(q=codes["open"].payment_code.replace(" ", "")) == {codes["open"].id}
    assert ids(kind="open") == {codes["open"].id}
    assert ids(state="revoked") == {codes["police"].id}
    assert ids(state="live") == everything - {codes["police"].id}
    assert ids(q="<script>") == set()
    assert "&lt;script&gt;" in client.get("/", params={"q": "<script>"}).text


def test_the_list_pages_by_fifty(as_user, desk):
    for n in range(60):
        desk.mint_scene("09", f"窗口 {n}")
    client = as_user("land")
    first, second = client.get("/").text, client.get("/", params={"page": 2}).text
    assert first.count('class="code-link"') == 50 and second.count('class="code-link"') == 10
    assert "第 1 / 2 页" in first and "page=2" in first
    assert client.get("/", params={"page": "x"}).status_code == 200


def test_a_codes_page_shows_facts_preview_downloads_and_history(as_user, codes):
    client = as_user("land")
    code = codes["land"]
    page = client.get(f"/codes/{code.id}")
    text = page.text
    for shown in (code.payment_code, "窗口 3", "不动产登记费", "国土", f"/codes/{code.id}/web.png"):
        assert shown in text
    for template in ("poster-a4.pdf", "tent-a6.pdf", "labels-a4.pdf", "web.png", "web.svg"):
        assert f"/codes/{code.id}/{template}" in text
    assert "作废此缴款码" not in text  # a clerk cannot revoke
    for header in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
        assert header in page.headers
    assert "script" not in page.headers["content-security-policy"].replace("'none'", "")


def test_the_preview_is_the_real_png_kept_not_recorded_and_revalidated(as_user, codes, desk, tmp_path, monkeypatch):
    import qrpay.desk.preview

    draws = []
    real_draw = qrpay.desk.preview.render
    monkeypatch.setattr(qrpay.desk.preview, "render", lambda *a, **k: draws.append(a[0].name) or real_draw(*a, **k))
    client = as_user("land")
    code = codes["land"]
    assert f'src="/codes/{code.id}/preview.png"' in client.get(f"/codes/{code.id}").text
    first = client.get(f"/codes/{code.id}/preview.png")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.headers["cache-control"].startswith("private") and "attachment" not in str(first.headers)
    (tmp_path / "preview.png").write_bytes(first.content)
    assert set(read_file(tmp_path / "preview.png")) == {code.payload}  # a real, readable render
    again = client.get(f"/codes/{code.id}/preview.png")
    assert again.content == first.content and draws == ["web"]  # drawn once, then kept
    kept = client.get(f"/codes/{code.id}/preview.png", headers={"if-none-match": first.headers["etag"]})
    assert kept.status_code == 304 and not kept.content
    for _ in range(3):
        client.get(f"/codes/{code.id}")
    assert desk.renders(code) == []  # the history lists files made for people, not previews
    assert "尚未生成过文件" in client.get(f"/codes/{code.id}").text
    assert [a for a in desk.users.actions(target=code.id) if a["action"] != "login"] == []
    assert client.get(f"/codes/{codes['police'].id}/preview.png").status_code == 404  # another department's
    desk.revoke(code.id, "window closed")
    assert client.get(f"/codes/{code.id}/preview.png").status_code == 410


@pytest.mark.parametrize("template", ["poster-a4.pdf", "tent-a6.pdf", "labels-a4.pdf", "web.png", "web.svg"])
def test_every_download_is_self_checked_real_and_recorded_with_the_user(as_user, codes, desk, tmp_path, template):
    client = as_user("land")
    code = codes["land"]
    response = client.get(f"/codes/{code.id}/{template}")
    assert response.status_code == 200
    assert code.id in response.headers["content-disposition"]
    saved = tmp_path / template
    saved.write_bytes(response.content)
    if template.endswith(".svg"):  # the decoder reads rasters; the render layer's self-check read the SVG
        assert response.content.startswith(b"<?xml") or b"<svg" in response.content[:200]
    else:
        assert set(read_file(saved)) == {code.payload}
    trail = desk.users.actions(user="land", target=code.id)
    assert trail[0]["action"] == "download" and template in trail[0]["detail"]
    renders = desk.renders(code)
    assert renders[-1]["template"] == template.rsplit(".", 1)[0]
    assert renders[-1]["sha256"] in trail[0]["detail"]
    assert f"sha256={renders[-1]['sha256']}" in trail[0]["detail"]
    history = client.get(f"/codes/{code.id}").text.split("<h2>生成记录</h2>")[1]
    assert f"<td>{template.rsplit('.', 1)[0]}</td><td>land</td>" in history  # the history shows who


def test_svg_downloads_and_unknown_templates_or_formats(as_user, codes):
    client = as_user("land")
    code = codes["land"]
    svg = client.get(f"/codes/{code.id}/web.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    for name in ("poster-a4.png", "web.pdf", "nothing.pdf", "web.html", "poster-a4", "..%2Fkeyring.json"):
        assert client.get(f"/codes/{code.id}/{name}").status_code == 404, name


def test_a_revoked_code_is_not_printed(as_user, codes, desk):
    code = codes["land"]
    desk.revoke(code.id, "window closed")
    client = as_user("land")
    assert client.get(f"/codes/{code.id}/poster-a4.pdf").status_code == 410
    page = client.get(f"/codes/{code.id}").text
    assert "已作废" in page and "poster-a4.pdf" not in page


def test_a_disabled_users_session_ends_at_once(as_user, desk):
    client = as_user("land")
    assert client.get("/").status_code == 200
    desk.users.disable("land")
    assert client.get("/").status_code == 303
    assert client.get("/codes/C0000001/poster-a4.pdf").status_code == 401


def test_sessions_expire_when_idle(as_user, monkeypatch):
    now = datetime.now(UTC)
    monkeypatch.setattr(qrpay.users, "now_utc", lambda: now)
    client = as_user("land")
    monkeypatch.setattr(qrpay.users, "now_utc", lambda: now + qrpay.users.IDLE - timedelta(seconds=30))
    assert client.get("/").status_code == 200
    monkeypatch.setattr(qrpay.users, "now_utc", lambda: now + 2 * qrpay.users.IDLE)
    assert client.get("/").status_code == 303


def test_a_forged_or_oversized_cookie_is_no_session(desk_app, people):
    client = desk_app()
    client.cookies.set("qrpay_desk", "Im5vdCBhIHNlc3Npb24i.forged", domain="desk.test")
    assert client.get("/").status_code == 303
    client.cookies.set("qrpay_desk", "x" * 5000, domain="desk.test")
    assert client.get("/").status_code == 303


def test_unknown_paths_and_methods_are_plain_pages(desk_app):
    client = desk_app()
    assert client.get("/nothing").status_code == 404
    assert client.put("/login").status_code == 405
    assert client.post("/login", content=b"x" * (70 * 1024)).status_code == 413


def test_login_requests_from_one_address_are_rate_limited(desk_app, people):
    client = desk_app()
    answers = [client.get("/login").status_code for _ in range(65)]
    assert answers[:60] == [200] * 60 and answers[-1] == 429  # (a slow run may refill one or two)
    assert desk_app(client=("192.0.2.99", 5000)).get("/login").status_code == 200


def test_a_browser_over_the_login_rate_gets_a_chinese_page_and_a_program_json(desk_app, people):
    client = desk_app()
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    answers = [client.get("/login", headers=browser) for _ in range(65)]
    refused = answers[-1]
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
    assert "登录尝试过于频繁" in refused.text and int(refused.headers["retry-after"]) >= 1
    assert f"请 {refused.headers['retry-after']} 秒后再试" in refused.text
    assert "content-security-policy" in refused.headers and refused.headers["cache-control"] == "no-store"
    program = client.post("/login", data={"username": "land"})
    assert program.status_code == 429 and program.json()["error"]["code"] == "rate_limited"
    assert "retry-after" in program.headers


def test_the_print_page_is_one_a4_sheet_of_the_real_poster(as_user, codes, desk, tmp_path):
    client = as_user("land")
    code = codes["land"]
    assert f"/codes/{code.id}/print/poster-a4" in client.get(f"/codes/{code.id}").text
    page = client.get(f"/codes/{code.id}/print/poster-a4")
    assert page.status_code == 200 and f'src="/codes/{code.id}/print/poster-a4.png"' in page.text
    css = client.get(re.search(r'href="(/static/print\.css[^"]*)"', page.text).group(1)).text
    assert "@page { size: A4; margin: 0; }" in css and "width: 210mm; height: 297mm;" in css
    image = client.get(f"/codes/{code.id}/print/poster-a4.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    (tmp_path / "sheet.png").write_bytes(image.content)
    assert set(read_file(tmp_path / "sheet.png")) == {code.payload}
    from PIL import Image

    with Image.open(tmp_path / "sheet.png") as sheet:  # A4 at 200 dpi
        assert sheet.size == (round(210 / 25.4 * 200), round(297 / 25.4 * 200))
    action = desk.users.actions(user="land", limit=1)[0]
    assert action["action"] == "print" and action["detail"].startswith("poster-a4.pdf sha256=")
    for path in ("print/web", "print/web.png", "print/nothing", "print/nothing.png"):  # A4 PDF templates only
        assert client.get(f"/codes/{code.id}/{path}").status_code == 404, path
    assert client.get(f"/codes/{codes['police'].id}/print/poster-a4").status_code == 404
    assert desk_app_anonymous_gets(client, f"/codes/{code.id}/print/poster-a4.png") == 401


def desk_app_anonymous_gets(client, path: str) -> int:
    cookies = dict(client.cookies)
    client.cookies.clear()
    try:
        return client.get(path).status_code
    finally:
        client.cookies.update(cookies)
