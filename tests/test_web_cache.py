"""qrpay serve's answer cache: kept pages and verdicts never outlive what they were read from.

Each test first proves the cache is answering (a repeat request does not verify again), then
changes the state another way — another process's revocation, a new day, a keyring change —
and checks that the very next request shows it, on the page and in the API.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from qrpay import Qrpay, Settings


def page_of(web, code):
    return web.get(urlsplit(code.payload).path)


def verdict_of(web, code) -> str:
    response = web.post("/api/v1/verify", json={"input": code.payload})
    assert response.status_code == 200
    return response.json()["status"]


@pytest.fixture
def verifies(monkeypatch) -> list[str]:
    """Every text Qrpay.verify is asked about, in order: what the cache did not answer."""
    asked: list[str] = []
    real = Qrpay.verify

    def counted(self, text):
        asked.append(text)
        return real(self, text)

    monkeypatch.setattr(Qrpay, "verify", counted)
    return asked


def warm(web, code, verifies) -> None:
    """Ask twice for the page and the verdict; the second time is answered from the cache."""
    assert page_of(web, code).status_code == 200 and verdict_of(web, code) == "genuine"
    before = len(verifies)
    assert page_of(web, code).status_code == 200 and verdict_of(web, code) == "genuine"
    assert len(verifies) == before, "the repeat requests were not answered from the cache"


def test_a_kept_answer_carries_the_same_headers_and_body(web, desk, verifies):
    code = desk.mint_scene("09", "window 1")[0]
    first, again = page_of(web, code), page_of(web, code)
    assert len(verifies) == 1
    assert (again.status_code, again.content, dict(again.headers)) == (
        first.status_code,
        first.content,
        dict(first.headers),
    )
    assert "content-security-policy" in again.headers and again.headers["cache-control"] == "no-store"


def test_a_revocation_by_another_process_shows_on_the_next_request(web, desk, verifies, home):
    code = desk.mint_scene("09", "window 2")[0]
    warm(web, code, verifies)
    revoke = [sys.executable, "-m", "qrpay", "revoke", code.id, "--reason", "sticker pasted over"]
    subprocess.run(revoke, check=True, capture_output=True, env={"QRPAY_HOME": str(home), "PATH": ""})
    assert page_of(web, code).status_code == 410
    assert verdict_of(web, code) == "revoked"


def test_a_new_day_expires_a_kept_page_and_verdict(web, desk, verifies, monkeypatch):
    today = desk.today()
    code = desk.mint_open("06", valid_until=today)[0]
    warm(web, code, verifies)
    monkeypatch.setattr(Qrpay, "today", lambda self: today + datetime.timedelta(days=1))
    assert page_of(web, code).status_code == 410
    assert verdict_of(web, code) == "expired"


def test_a_keyring_rotation_and_retirement_are_seen_on_the_next_request(web, desk, verifies):
    code = desk.mint_scene("09", "window 3")[0]
    warm(web, code, verifies)
    with Qrpay(Settings.load(home=desk.settings.home)) as keeper:
        old = keeper.keyring.signing_key.kid
        keeper.rotate_key()
        assert verdict_of(web, code) == "genuine"  # older keys keep verifying
        keeper.retire_key(old, force=True)
    assert page_of(web, code).status_code == 404
    assert verdict_of(web, code) == "unknown-key"


def test_without_a_change_counter_every_request_reads_the_register(web, desk, verifies, monkeypatch):
    """As on PostgreSQL, which has no data_version: nothing is kept, every request verifies."""
    monkeypatch.setattr(Qrpay, "register_version", lambda self: None)
    code = desk.mint_scene("09", "window 4")[0]
    for _ in range(3):
        assert page_of(web, code).status_code == 200 and verdict_of(web, code) == "genuine"
    assert len(verifies) == 6


def test_an_unavailable_answer_is_never_kept(web, desk):
    code = desk.mint_scene("09", "window 5")[0]
    ring = desk.settings.keyring_path
    saved = ring.read_bytes()
    ring.unlink()
    assert page_of(web, code).status_code == 503 and page_of(web, code).status_code == 503
    ring.write_bytes(saved)
    ring.chmod(0o600)
    assert page_of(web, code).status_code == 200 and verdict_of(web, code) == "genuine"


def test_the_in_app_browser_hint_is_kept_apart(web, desk):
    forged = desk.mint_scene("09", "window 1")[0].payload[:-2] + "xx"
    path = urlsplit(forged).path
    for _ in range(2):
        plain = web.get(path)
        wechat = web.get(path, headers={"user-agent": "Mozilla/5.0 MicroMessenger/8.0.50"})
        assert "投诉" in wechat.text and "投诉" not in plain.text


def test_a_kept_answer_gets_the_security_headers_of_each_request(web, desk, verifies):
    """HSTS only over https, even when the same kept page is given over http and https in turn."""
    from starlette.testclient import TestClient

    code = desk.mint_scene("09", "window 6")[0]
    with TestClient(web.app, base_url="https://testserver", follow_redirects=False) as secure:
        answers = [page_of(web, code), page_of(secure, code), page_of(web, code), page_of(secure, code)]
    assert len(verifies) == 1
    assert ["strict-transport-security" in a.headers for a in answers] == [False, True, False, True]
    assert len({a.content for a in answers}) == 1


def test_a_kept_verdict_carries_the_headers_of_the_first_and_is_still_rate_limited(serve_app, desk, verifies):
    code = desk.mint_scene("09", "window 7")[0]
    web = serve_app(api_rate=3)
    answers = [web.post("/api/v1/verify", json={"input": code.payload}) for _ in range(4)]
    assert len(verifies) == 1, "the repeat verdicts were not answered from the cache"
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert dict(answers[1].headers) == dict(answers[0].headers) and answers[1].content == answers[0].content
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in answer.headers


def test_a_verify_body_in_pieces_is_read_whole_and_kept_as_one(web, desk, verifies):
    code = desk.mint_scene("09", "window 8")[0]
    body = ('{"input": "' + code.payload + '"}').encode()
    pieces = [body[:7], body[7:20], body[20:]]
    headers = {"content-type": "application/json"}
    for _ in range(2):
        response = web.post("/api/v1/verify", content=iter(pieces), headers=headers)
        assert response.status_code == 200 and response.json()["status"] == "genuine"
    assert web.post("/api/v1/verify", content=body, headers=headers).json()["status"] == "genuine"
    assert len(verifies) == 1


def test_a_catalog_created_then_removed_shows_on_the_next_request(web, desk, verifies, home):
    """The user catalog is optional: its appearing (and going again) is seen like any other change."""
    code = desk.mint_scene("09", "window 9")[0]
    warm(web, code, verifies)
    plain = page_of(web, code).text
    catalog = home / "catalog.toml"
    catalog.write_text('[items."09"]\namount_min = 10\namount_max = 500\n', encoding="utf-8")
    ruled = page_of(web, code).text
    assert ruled != plain and "500" in ruled
    catalog.unlink()
    assert page_of(web, code).text == plain
