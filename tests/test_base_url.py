"""A base URL is what it looks like: https, an ASCII host, no user-info, query or fragment, a
path ending in '/'. Refused when configured (flag, environment or config.toml), before any
code is minted, with the register and keyring untouched."""

from __future__ import annotations

import pytest

from qrpay.config import check_base_url

REFUSED = [
    ("http://pay.hz.gov.cn/q/", "https://"),
    ("https://user:pw@pay.hz.gov.cn/q/", "user name or password"),
    ("https://pay.hz.gov.cn@evil.example/", "user name or password"),
    ("https://pay.hz.gov.cn/q/?t=", "query"),
    ("https://pay.hz.gov.cn/q/?", "query"),
    ("https://pay.hz.gov.cn/q/#", "fragment"),
    ("https://pay.hz.gov.cn/q", "end with '/'"),
    ("https://pay.hz.gov.cn/q=", "end with '/'"),
    ("https://pay.hz.gоv.cn/q/", "IDNA"),  # a Cyrillic 'о'
    ("https://支付.中国/q/", "xn--"),
    ("https://pay_hz.gov.cn/q/", "letters, digits"),
    ("https://-pay.gov.cn/q/", "letters, digits"),
    ("https://pay.hz.gov.cn:99999/q/", "not a valid URL"),
    ("https:///q/", "name a host"),
    ("https://pay.hz.gov.cn/q /", "spaces"),
]


@pytest.mark.parametrize(("url", "fragment"), REFUSED)
def test_a_misleading_base_url_is_refused_at_configuration(cli, home, url, fragment):
    result = cli("--base-url", url, "mint", "scene", "--item", "09", "--scene", "window 1")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: base URL") and fragment in lines[0], result.stderr
    assert not home.exists() or not (home / "register.sqlite3").exists()


def test_a_base_url_in_config_toml_is_checked_too(cli, home, monkeypatch):
    monkeypatch.delenv("QRPAY_BASE_URL")
    home.mkdir()
    (home / "config.toml").write_text('base_url = "https://pay.hz.gov.cn/q/?id="\n', encoding="utf-8")
    result = cli("info")
    assert result.exit_code == 2 and "config.toml: base_url: base URL must not contain a query" in result.stderr


@pytest.mark.parametrize(
    "url",
    ["https://pay.hz.gov.cn/q/", "HTTPS://PAY.HZ.GOV.CN/Q/", "https://xn--fiq.xn--fiqs8s/c/", "https://a.cn:8443/"],
)
def test_a_plain_https_base_url_is_kept_exactly(url):
    assert check_base_url(url) == url  # upper case stays: it lets the QR use its compact alphanumeric mode
