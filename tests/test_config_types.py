"""config.toml is checked by type and range; a message names the file, the key, what was
expected and what was found. Unknown keys are refused with the list of known ones."""

from __future__ import annotations

import pytest


@pytest.fixture
def config(home, monkeypatch):
    monkeypatch.delenv("QRPAY_BASE_URL")
    home.mkdir(parents=True, exist_ok=True)

    def write(text: str):
        (home / "config.toml").write_text(text, encoding="utf-8")
        return home / "config.toml"

    return write


def one_line(result) -> str:
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("base_url = 5\n", ["base_url must be", "found a number 5"]),
        ("timezone = true\n", ["timezone must be", "found true/false True"]),
        ('timezone = "Mars/Olympus"\n', ["timezone: unknown time zone 'Mars/Olympus'"]),
        ("font = []\n", ["font must be", "found a list"]),
        ('font = ""\n', ["font: give the path of a TrueType font"]),
        ('base_url = "https://pay.hz.gov.cn/q/"\nemergency = "no"\n', ["unknown key 'emergency'", "base_url"]),
        ("[base_url]\nx = 1\n", ["base_url must be", "found a table"]),
        ("base_url = \n", ["not valid TOML"]),
    ],
)
def test_a_wrong_setting_names_file_key_expected_and_found(cli, config, text, fragments):
    path = config(text)
    line = one_line(cli("info"))
    assert str(path) in line
    for fragment in fragments:
        assert fragment in line, line


def test_a_config_file_too_large_is_refused(cli, config):
    config("# " + "x" * 70_000 + "\n")
    assert "KiB" in one_line(cli("info"))


def test_good_settings_are_used(cli, config):
    config('base_url = "https://pay.hz.gov.cn/z/"\ntimezone = "Europe/Berlin"\n')
    result = cli("info", "--json")
    assert result.exit_code == 0 and '"https://pay.hz.gov.cn/z/"' in result.stdout and "Europe/Berlin" in result.stdout


def test_config_toml_as_a_folder_is_one_error(cli, home, monkeypatch):
    (home / "config.toml").mkdir(parents=True)
    assert "is a folder" in one_line(cli("info"))
