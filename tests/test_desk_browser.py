"""qrpay desk in a real browser: Debian's Chromium driven by Playwright, against `qrpay desk` in its own process.

A clerk logs in, finds a code, downloads its poster (decoded here with the real decoder); an officer
mints and revokes a code; every page is photographed at a phone's and a desktop's width, and none
scrolls sideways. With QRPAY_DESK_SCREENSHOTS=FOLDER the screenshots are kept there (docs/img takes
the list's and a code's). Without /usr/bin/chromium the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, serving

from qrpay.qr.decode import read_file

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; CI installs it with apt-get install chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
CLERK, OFFICER = ("wang", "clerk-password-1"), ("olga", "officer-password-1")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def staff(desk):
    desk.users.add(CLERK[0], "clerk", ["国土", "公安"], CLERK[1])
    desk.users.add(OFFICER[0], "officer", [], OFFICER[1])
    for scene in ("窗口 1", "窗口 2", "窗口 3", "自助缴费区"):
        desk.mint_scene("09", scene)
    desk.mint_scene("07", "出入境大厅 2 号窗口")
    desk.mint_open("06")
    desk.mint_unified("education")  # 教育: not this clerk's
    desk.revoke(desk.mint_scene("09", "旧窗口")[0].id, "窗口撤并")


@pytest.fixture
def site(desk, staff):
    """`qrpay desk` on a free port, on the test's home; yields its origin."""
    with serving(["desk", "--insecure-http"], {"QRPAY_HOME": str(desk.settings.home)}, "/login") as origin:
        yield origin


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, width: str = "desktop"):
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    return page


def loaded(page, selector: str, seconds: float = 30) -> bool:
    """Whether the image at *selector* has loaded (polled: the page's CSP forbids Playwright's eval)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(f"document.querySelector({selector!r}).naturalWidth") > 0:
            return True
        time.sleep(0.2)
    return False


def log_in(page, origin: str, who: tuple[str, str]) -> None:
    page.goto(origin + "/login")
    page.fill("#username", who[0])
    page.fill("#password", who[1])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('缴款码')")


def test_a_clerk_finds_a_code_and_downloads_its_poster(site, browser, desk, tmp_path):
    page = open_page(browser)
    log_in(page, site, CLERK)
    page.fill("#q", "窗口 3")
    page.click("form.search button")
    links = page.locator("a.code-link")
    assert links.count() == 1
    links.first.click()
    assert loaded(page, "figure.preview img")  # the real PNG (self-checked, not in the render history)
    code = desk.list_codes(kind="scene")[2]
    assert code.scene == "窗口 3" and code.id in page.inner_text("h1")
    with page.expect_download() as waiting:
        page.click(f"a[href='/codes/{code.id}/poster-a4.pdf']")
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    assert saved.name == f"{code.id}-poster-a4.pdf"
    assert set(read_file(saved)) == {code.payload}
    assert desk.users.actions(user=CLERK[0], target=code.id)[0]["action"] == "download"
    assert page.csp_errors == []


def test_the_print_page_prints_one_a4_sheet_at_100_percent(site, browser, desk, tmp_path):
    import pypdfium2

    page = open_page(browser)
    log_in(page, site, CLERK)
    code = desk.list_codes(kind="scene")[2]
    page.goto(f"{site}/codes/{code.id}")
    page.click(f"a[href='/codes/{code.id}/print/poster-a4']")
    assert loaded(page, "img.sheet")
    printed = tmp_path / "printed.pdf"
    page.pdf(path=str(printed), prefer_css_page_size=True)  # Chromium's own print output, default scale
    document = pypdfium2.PdfDocument(str(printed))
    try:
        sizes = [document[i].get_size() for i in range(len(document))]
    finally:
        document.close()
    assert len(sizes) == 1 and abs(sizes[0][0] - 595.3) < 1 and abs(sizes[0][1] - 841.9) < 1  # one A4 sheet
    assert set(read_file(printed)) == {code.payload}
    original = desk.render(code.id, "poster-a4", tmp_path / "poster.pdf").path
    assert abs(qr_width_mm(printed) - qr_width_mm(original)) < 1  # printed at 100 %: the QR is its real 80 mm
    assert page.csp_errors == []


def qr_width_mm(pdf: Path, dpi: int = 300) -> float:
    """How wide the QR symbol on the PDF's first page is, from the corners the decoder finds."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()
    (found,) = zxingcpp.read_barcodes(image)
    corners = found.position
    return (corners.top_right.x - corners.top_left.x) / dpi * 25.4


def test_an_officer_mints_and_revokes_a_code(site, browser, desk):
    page = open_page(browser)
    log_in(page, site, OFFICER)
    page.click("nav a[href='/mint']")
    page.select_option("#scene-item", "09")
    page.fill("#scene", "窗口 12")
    page.click("form[action='/mint/scene'] button")
    page.wait_for_selector("text=窗口 12")
    code = desk.list_codes()[-1]
    assert code.scene == "窗口 12" and page.url.endswith(f"/codes/{code.id}")
    page.fill("#reason", "试用结束")
    page.click("form.danger button")
    page.wait_for_selector("h1 .state.revoked")
    assert desk.get(code.id).revoked_reason == "试用结束"
    assert page.locator("a[href$='poster-a4.pdf']").count() == 0
    assert page.csp_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_at_phone_and_desktop_width(site, browser, desk, tmp_path, width):
    keep = Path(os.environ.get("QRPAY_DESK_SCREENSHOTS") or tmp_path)
    keep.mkdir(parents=True, exist_ok=True)
    code = desk.list_codes(kind="scene")[2]
    desk.render(code.id, "poster-a4", tmp_path / "poster.pdf")  # a render in its history
    pages = {
        CLERK: {
            "list": "/",
            "code": f"/codes/{code.id}",
            "print": f"/codes/{code.id}/print/poster-a4",
            "forbidden": "/mint",
        },
        OFFICER: {"mint": "/mint", "emergency": "/emergency", "reconcile": "/reconcile", "audit": "/audit"},
    }
    for who, paths in pages.items():
        page = open_page(browser, width)
        page.goto(site + "/login")
        page.screenshot(path=str(keep / f"desk-login-{width}.png"), full_page=True)
        log_in(page, site, who)
        for name, path in paths.items():
            page.goto(site + path, wait_until="load")
            if name in ("code", "print"):
                assert loaded(page, "figure.preview img" if name == "code" else "img.sheet")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (name, width)
            page.screenshot(path=str(keep / f"desk-{name}-{width}.png"), full_page=True)
        assert page.csp_errors == []
