"""qrpay serve, the API and the service's guards: verify, revocations, healthz, OpenAPI, headers, limits, 503."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest
from test_secrets import assert_no_secret

from qrpay import Qrpay
from qrpay import api as api_module
from qrpay.keys import Keyring


def verify(web, text: str):
    return web.post("/api/v1/verify", json={"input": text})


def page(code) -> str:
    return urlsplit(code.payload).path


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_verify_answers_the_same_row_as_the_cli(web, desk, cli):
    code = desk.mint_scene("09", "window 1")[0]
    for text in (code.payload, code.token, code.payment_code):
        response = verify(web, text)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.json() == json.loads(cli("verify", text, "--json").stdout)[0]
        assert response.json()["status"] == "genuine"


def test_verify_answers_200_for_a_code_that_is_not_genuine(web, desk):
    code = desk.mint_scene("09", "window 1")[0]
    changed = code.payload[:-1] + ("Q" if code.payload[-1] != "Q" else "R")
    assert verify(web, changed).json()["status"] in ("forged", "malformed")
    assert verify(web, "https://pay.hz.gov.cn.evil.example/q/" + code.token).json()["status"] == "forged"
    assert verify(web, "").json()["status"] == "malformed"


def test_verify_never_reads_a_file_a_request_names(web, desk, tmp_path):
    desk.mint_scene("09", "window 1")
    photo = tmp_path / "poster.png"
    desk.render("C0000001", "web", photo)
    for text in (str(photo), "/etc/passwd"):
        assert verify(web, text).json()["status"] == "malformed"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "bad_json"),
        (b"[" * 3000, "application/json", 400, "bad_json"),
        (b"\xff\xfe{", "application/json", 400, "bad_json"),
        (b'["x"]', "application/json", 400, "invalid_request"),
        (b"{}", "application/json", 400, "invalid_request"),
        (b'{"input": 5}', "application/json", 400, "invalid_request"),
        (b'{"input": "x", "more": 1}', "application/json", 400, "invalid_request"),
        (json.dumps({"input": "9" * 2049}).encode(), "application/json", 400, "invalid_request"),
        (b'{"input": "\\ud800"}', "application/json", 400, "invalid_request"),
        (b'{"input": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"input": "' + b"x" * 5000 + b'"}', "application/json", 413, "too_large"),
    ],
)
def test_bad_verify_requests_get_a_json_error_with_a_stable_code(web, desk, body, content_type, status, code):
    response = web.post("/api/v1/verify", content=body, headers={"content-type": content_type})
    assert response.status_code == status and error_code(response) == code
    assert response.json()["error"]["message"]


def test_a_body_over_the_limit_is_refused_even_without_a_length(web, desk):
    chunks = (b"x" * 1024 for _ in range(8))
    response = web.post("/api/v1/verify", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413 and error_code(response) == "too_large"


def test_api_paths_answer_json_errors_for_unknown_paths_and_methods(web, desk):
    assert (
        web.get("/api/v1/verify").status_code == 405 and error_code(web.get("/api/v1/verify")) == "method_not_allowed"
    )
    assert web.get("/api/v2/nothing").status_code == 404 and error_code(web.get("/api/v2/nothing")) == "not_found"


def test_revocations_are_signed_and_live(web, desk, cli, tmp_path):
    codes = [desk.mint_scene("09", f"window {n}")[0] for n in range(2)]
    assert web.get("/api/v1/revocations").json()["count"] == 0
    desk.revoke(codes[1].id, "sticker pasted over")
    listed = web.get("/api/v1/revocations")
    assert listed.status_code == 200
    document = listed.json()
    assert [entry["id"] for entry in document["revoked"]] == [codes[1].id]
    path = tmp_path / "revoked.json"
    path.write_text(listed.text, encoding="utf-8")
    assert cli("revocations", "verify", path).exit_code == 0
    document["revoked"][0]["reason"] = "changed"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert cli("revocations", "verify", path).exit_code == 1


def test_healthz_is_200_when_keyring_and_register_are_usable(web, desk):
    desk.mint_scene("09", "window 1")
    assert web.get("/healthz").status_code == 200 and web.get("/healthz").json() == {"status": "ok"}


def _no_detail(response) -> None:
    """A 503 names no file, exception, SQL or traceback."""
    text = response.text
    for leak in ("register.sqlite3", "keyring.json", "Traceback", "sqlite", "SELECT", "Error:", "/tmp"):
        assert leak not in text


def test_a_missing_register_is_503_everywhere(web, desk):
    code = desk.mint_scene("09", "window 1")[0]
    desk.close()
    for leftover in desk.settings.home.glob("register.sqlite3*"):
        leftover.unlink()
    for response in (
        web.get("/healthz"),
        web.get("/api/v1/revocations"),
        verify(web, code.payload),
        web.get(page(code)),
    ):
        assert response.status_code == 503
        _no_detail(response)
    assert not desk.settings.register_path.exists()  # the service never creates one


def test_a_missing_keyring_is_503_and_recovers_when_restored(web, desk):
    code = desk.mint_scene("09", "window 1")[0]
    ring = desk.settings.keyring_path
    saved = ring.read_bytes()
    ring.unlink()
    for response in (web.get("/healthz"), verify(web, code.payload), web.get(page(code))):
        assert response.status_code == 503
        _no_detail(response)
    ring.write_bytes(saved)
    ring.chmod(0o600)
    assert web.get("/healthz").status_code == 200 and verify(web, code.payload).json()["status"] == "genuine"


def test_a_damaged_register_is_503(web, desk):
    desk.mint_scene("09", "window 1")
    desk.close()
    path = desk.settings.register_path
    path.write_bytes(path.read_bytes()[:100])
    response = web.get("/healthz")
    assert response.status_code == 503 and error_code(response) == "unavailable"
    _no_detail(response)


def test_a_locked_register_is_503_not_a_hang(web, desk, monkeypatch):
    code = desk.mint_scene("09", "window 1")[0]
    desk.close()
    monkeypatch.setattr(api_module, "READER_BUSY_S", 0.2)  # the service's wait for a lock, shortened for the test
    holder = sqlite3.connect(desk.settings.register_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for response in (web.get("/healthz"), verify(web, code.payload), web.get(page(code))):
            assert response.status_code == 503
            _no_detail(response)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert web.get("/healthz").status_code == 200


def test_an_unexpected_failure_is_500_with_nothing_of_it_shown(web, desk, monkeypatch):
    code = desk.mint_scene("09", "window 1")[0]

    def broken(self, text):
        raise RuntimeError("SELECT secret FROM keys -- Traceback")

    monkeypatch.setattr(Qrpay, "verify", broken)
    api = verify(web, code.payload)
    html = web.get(page(code))
    assert api.status_code == 500 and error_code(api) == "internal"
    assert html.status_code == 500 and "SELECT" not in html.text and "SELECT" not in api.text


def test_openapi_describes_the_api(web):
    document = web.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/v1/verify", "/api/v1/revocations", "/healthz"}
    statuses = document["paths"]["/api/v1/verify"]["post"]["responses"]
    assert {"200", "400", "413", "415", "429", "503"} <= set(statuses)


SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _requests(web, code):
    yield web.get(page(code))
    yield web.get("/q/forged.token")
    yield web.post(page(code), data={"amount": "x"})
    yield web.post(page(code), data={"amount": "20", "reference": "R1"})
    yield web.get("/q/static/qrpay.css")
    yield web.get("/nowhere")
    yield verify(web, code.payload)
    yield web.get("/api/v1/verify")
    yield web.post("/api/v1/verify", content=b"x" * 9000, headers={"content-type": "application/json"})
    yield web.get("/api/v1/revocations")
    yield web.get("/api/openapi.json")
    yield web.get("/healthz")


def test_every_response_carries_the_security_headers(web, desk):
    code = desk.mint_scene("09", "window 1")[0]
    seen = set()
    for response in _requests(web, code):
        seen.add(response.status_code)
        for name, value in SECURITY.items():
            assert response.headers[name] == value, (response.request.url, name)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
        assert "unsafe-inline" not in csp and "strict-transport-security" not in response.headers
    assert seen == {200, 303, 400, 404, 405, 413}


def test_the_csp_lets_the_form_lead_to_the_platform_only(web):
    csp = web.get("/healthz").headers["content-security-policy"]
    assert "form-action 'self' https://platform.example.test;" in csp


def test_hsts_only_on_https_as_reported_by_a_trusted_proxy(serve_app, desk):
    desk.mint_scene("09", "window 1")
    https = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    trusted = serve_app(trusted_proxies=("192.0.2.10",))
    assert "max-age" in trusted.get("/healthz", headers=https).headers["strict-transport-security"]
    assert "strict-transport-security" not in trusted.get("/healthz").headers
    untrusted = serve_app(trusted_proxies=("198.51.100.1",))
    assert "strict-transport-security" not in untrusted.get("/healthz", headers=https).headers
    assert "strict-transport-security" not in serve_app().get("/healthz", headers=https).headers


def test_the_api_rate_limit_answers_429_per_client_address(serve_app, desk):
    code = desk.mint_scene("09", "window 1")[0]
    web = serve_app(api_rate=3)
    answers = [verify(web, code.payload).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = verify(web, code.payload)
    assert error_code(limited) == "rate_limited" and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-content-type-options"] == "nosniff"
    assert web.get(page(code)).status_code == 200  # the payer's page is not limited
    assert serve_app(api_rate=3, client=("192.0.2.99", 5000)).get("/api/v1/revocations").status_code == 200


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(serve_app, desk):
    code = desk.mint_scene("09", "window 1")[0]
    spoofer = serve_app(api_rate=2)
    spoofed = [
        spoofer.post("/api/v1/verify", json={"input": code.payload}, headers={"x-forwarded-for": f"10.0.0.{n}"})
        for n in range(3)
    ]
    assert [r.status_code for r in spoofed] == [200, 200, 429]
    proxy = serve_app(api_rate=2, trusted_proxies=("192.0.2.10",))
    behind = [
        proxy.post("/api/v1/verify", json={"input": code.payload}, headers={"x-forwarded-for": f"10.0.0.{n}"})
        for n in range(3)
    ]
    assert [r.status_code for r in behind] == [200, 200, 200]


def test_no_response_holds_key_material(web, desk):
    Keyring.load(desk.settings.keyring_path).rotate()
    code = desk.mint_scene("09", "window 1")[0]
    desk.revoke(desk.mint_scene("09", "window 2")[0].id, "gone")
    ring = Keyring.load(desk.settings.keyring_path)
    bodies = b"".join(r.content + str(r.headers).encode() for r in _requests(web, code))
    assert_no_secret(bodies, ring, "the responses")
