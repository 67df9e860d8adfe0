"""Each command through the CLI: exit codes, exact JSON fields, one-line errors."""

import json
import os
import stat
from urllib.parse import urlsplit

import pytest
from conftest import BASE_URL_24

from qrpay import Qrpay, Settings, __version__

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

MINT_FIELDS = {"id", "kind", "item", "payload", "payment_code", "qr_version"}


def assert_error(result, fragment):
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


@pytest.fixture
def keyed(cli):
    assert cli("keys", "init").exit_code == 0
    return cli


def mint(cli, *args):
    result = cli("mint", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_version(cli):
    result = cli("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"qrpay {__version__}")


def test_info_prints_paths_and_settings_but_no_key_material(keyed, home, engine):
    result = keyed("info", "--json")
    data = json.loads(result.stdout)
    assert data["home"] == str(home) and data["base_url"] == BASE_URL_24
    assert data["keyring"] == str(home / "keyring.json") and data["register_engine"] == engine
    if engine == "sqlite":
        assert data["register"] == str(home / "register.sqlite3")
    else:  # the URL, its password masked
        url = urlsplit(os.environ["QRPAY_DATABASE_URL"])
        assert data["register"] == url._replace(netloc=f"{url.username}:***@{url.hostname}:{url.port}").geturl()
        assert url.password not in result.stdout + result.stderr
    assert data["active_kid"] == 1 and data["timezone"] == "Asia/Shanghai"
    secret = json.loads((home / "keyring.json").read_text())["keys"][0]["secret"]
    assert secret not in result.stdout and secret not in keyed("info").stdout


def test_catalog_json_lists_items_and_groups(cli):
    data = json.loads(cli("catalog", "--json").stdout)
    assert len(data["items"]) == 18 and {g["name"] for g in data["groups"]} == {"traffic-fine", "education"}
    assert "不动产登记费" in cli("catalog").stdout


def test_keys_init_rotate_list_retire(keyed, home):
    assert stat.S_IMODE(os.stat(home / "keyring.json").st_mode) == 0o600
    assert_error(keyed("keys", "init"), "already exists")
    assert keyed("keys", "rotate").exit_code == 0
    listed = json.loads(keyed("keys", "list", "--json").stdout)
    assert [(k["kid"], k["signing"]) for k in listed] == [(1, False), (2, True)]
    assert all("secret" not in k for k in listed)
    assert keyed("keys", "retire", "1").exit_code == 0
    assert_error(keyed("keys", "retire", "7"), "no key 7")


def test_mint_each_kind_prints_the_contract_fields(keyed):
    unified = mint(keyed, "unified", "traffic-fine")
    scene = mint(keyed, "scene", "--item", "09", "--scene", "window 3")
    opened = mint(keyed, "open", "--item", "06", "--valid-from", "2030-01-01", "--valid-until", "2030-12-31")
    for data, kind in ((unified, "unified"), (scene, "scene"), (opened, "open")):
        assert set(data) >= MINT_FIELDS and data["kind"] == kind and data["qr_version"] <= 4
        assert data["payload"].startswith(BASE_URL_24)
    assert (unified["item"], scene["item"], opened["item"]) == ("18", "09", "06")
    assert (opened["valid_from"], opened["valid_until"]) == ("2030-01-01", "2030-12-31")


def test_mint_is_idempotent_through_the_cli(keyed):
    first = mint(keyed, "unified", "education")
    again = mint(keyed, "unified", "education")
    assert first["id"] == again["id"] and (first["new"], again["new"]) == (True, False)
    assert "Already minted" in keyed("mint", "unified", "education").stdout


def test_verify_statuses_and_exit_codes(keyed, home):
    code = mint(keyed, "scene", "--item", "09", "--scene", "window 3")
    good = keyed("verify", code["payload"], code["payment_code"], "--json")
    assert good.exit_code == 0
    assert [(r["status"], r["id"]) for r in json.loads(good.stdout)] == [("genuine", code["id"])] * 2
    mixed = keyed("verify", code["payload"], "not-a-code", "--json")
    assert mixed.exit_code == 1
    assert [r["status"] for r in json.loads(mixed.stdout)] == ["genuine", "malformed"]
    assert keyed("revoke", code["id"], "--reason", "replaced").exit_code == 0
    revoked = keyed("verify", code["payload"])
    assert revoked.exit_code == 1 and "REVOKED" in revoked.stdout and "replaced" in revoked.stdout


def test_list_and_show(keyed):
    a = mint(keyed, "scene", "--item", "09", "--scene", "window 3")
    mint(keyed, "unified", "traffic-fine")
    listed = json.loads(keyed("list", "--json").stdout)
    assert [c["id"] for c in listed] == [a["id"], "C0000002"]
    assert len(json.loads(keyed("list", "--limit", "1", "--json").stdout)) == 1
    assert json.loads(keyed("list", "--kind", "unified", "--json").stdout)[0]["group"] == "traffic-fine"
    shown = json.loads(keyed("show", a["id"], "--json").stdout)
    assert shown["payload"] == a["payload"] and shown["renders"] == []
    assert a["payment_code"] in keyed("show", a["id"]).stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["mint", "scene", "--item", "42", "--scene", "w"], "unknown item '42'"),
        (["mint", "scene", "--item", "09", "--scene", ""], "scene is empty"),
        (["mint", "scene", "--item", "09", "--scene", "x" * 65], "limit is 64"),
        (["mint", "scene", "--item", "09", "--scene", "a\tb\x1bc"], "U+001B"),
        (["mint", "open", "--item", "06", "--valid-from", "tomorrow"], "YYYY-MM-DD"),
        (["mint", "open", "--item", "06", "--valid-from", "2031-01-02", "--valid-until", "2031-01-01"], "swap"),
        (["mint", "unified", "parking"], "unknown unified group"),
        (["mint", "scene", "--item", "09"], "Missing option '--scene'"),
        (["show", "C0000404"], "no code C0000404"),
        (["revoke", "C0000404", "--reason", "x"], "no code C0000404"),
        (["show", "banana"], "not a code id"),
        (["list", "--kind", "weird"], "kind must be"),
        (["frobnicate"], "No such command"),
        (["--nope"], "No such option"),
    ],
)
def test_bad_input_gives_one_error_line_and_exit_2_and_writes_nothing(keyed, home, args, fragment):
    before = mint(keyed, "unified", "traffic-fine")
    assert_error(keyed(*args), fragment)
    assert [c["id"] for c in json.loads(keyed("list", "--json").stdout)] == [before["id"]]


def test_missing_keyring_is_an_error_not_a_traceback(cli, home):
    assert_error(cli("mint", "unified", "education"), "qrpay keys init")
    assert not (home / "keyring.json").exists()


def test_bad_base_url_is_refused(cli, monkeypatch):
    monkeypatch.setenv("QRPAY_BASE_URL", "http://insecure.example/")
    assert_error(cli("info"), "https://")


def test_global_options_choose_home_and_base_url(cli, tmp_path):
    other = tmp_path / "other"
    assert cli("--home", other, "keys", "init").exit_code == 0
    result = cli("--home", other, "--base-url", "https://pay.example.org/x/", "mint", "unified", "education", "--json")
    assert json.loads(result.stdout)["payload"].startswith("https://pay.example.org/x/")
    desk = Qrpay(Settings.load(home=other))
    assert len(desk.list_codes()) == 1
    desk.close()


def test_register_state_after_cli_calls_matches_the_library(keyed, home):
    code = mint(keyed, "open", "--item", "07")
    keyed("revoke", code["id"], "--reason", "kit withdrawn")
    desk = Qrpay(Settings.load(home=home))
    stored = desk.get(code["id"])
    assert stored.revoked_reason == "kit withdrawn" and stored.payload == code["payload"]
    desk.close()
