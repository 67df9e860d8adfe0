"""qrpay render / templates / demo, verify on rendered files, and the one-line errors for bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers import assert_one_error_line
from PIL import Image

from qrpay import Qrpay, Settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, where output/ lands by default."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def scene(desk):
    return desk.mint_scene("09", "window 3")[0]


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_render_json_reports_path_digest_and_the_decoded_payload(cli, desk, scene, workdir):
    result = cli("render", scene.id, "--template", "poster-a4", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    path = Path(data["path"])
    assert path == Path("output") / f"{scene.id}-poster-a4.pdf"
    assert data["template"] == "poster-a4" and data["id"] == scene.id
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert data["self_check"] == {"status": "passed", "codes_read": 1, "decoded": [scene.payload]}
    [record] = desk.register.renders(scene.serial)
    assert record["path"] == str(path.resolve()) and record["sha256"] == data["sha256"]
    assert record["template"] == "poster-a4"


def test_render_prints_one_line_naming_the_file(cli, scene, workdir):
    result = cli("render", scene.id, "-t", "web", "-o", "site/pay.svg")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Wrote site/pay.svg  (web, C0000001; self-check read 1 code(s) back)")
    assert files_in(workdir) == ["site/pay.svg"]


def test_rerendering_to_the_default_path_replaces_qrpays_own_file(cli, desk, scene, workdir):
    assert cli("render", scene.id, "-t", "tent-a6").exit_code == 0
    assert cli("render", scene.id, "-t", "tent-a6").exit_code == 0
    assert len(desk.register.renders(scene.serial)) == 2


def test_default_path_holding_a_file_qrpay_did_not_write_is_left_alone(cli, scene, workdir):
    target = workdir / "output" / f"{scene.id}-poster-a4.pdf"
    target.parent.mkdir()
    target.write_bytes(b"someone else's poster")
    result = cli("render", scene.id, "-t", "poster-a4")
    assert result.exit_code == 2
    assert "qrpay did not write it" in result.stderr and "-o" in result.stderr
    assert target.read_bytes() == b"someone else's poster"


def test_templates_lists_every_template(cli):
    result = cli("templates", "--json")
    assert result.exit_code == 0
    data = {t["name"]: t for t in json.loads(result.stdout)}
    assert sorted(data) == ["emergency-a4", "labels-a4", "notice-a4", "poster-a4", "slip-a5", "tent-a6", "web"]
    assert data["notice-a4"]["kinds"] == ["bill"] and data["slip-a5"]["page_mm"] == [210, 148]
    assert data["poster-a4"]["qr_size_mm"] == 80 and data["poster-a4"]["page_mm"] == [210, 297]
    assert data["web"]["outputs"] == [".png", ".svg", ".html"]
    plain = cli("templates")
    assert plain.exit_code == 0 and "poster-a4" in plain.stdout and "A4 窗口海报" in plain.stdout


def emblem_too_large(folder: Path) -> Path:
    path = folder / "huge.png"
    Image.new("1", (5000, 10)).save(path)
    return path


def not_an_image(folder: Path) -> Path:
    path = folder / "emblem.png"
    path.write_text("not a picture")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "nope"], "unknown template 'nope'; choose one of"),
        (["-t", "emergency-a4"], "template emergency-a4 is for open codes; C0000001 is a scene code"),
        (["-t", "poster-a4", "-o", "poster.png"], "template poster-a4 writes .pdf files"),
        (["-t", "poster-a4", "-o", "{file}/poster.pdf"], "is a file, not a folder"),
        (["-t", "poster-a4", "-o", "{folder}"], "is a folder; give a file name"),
        (["-t", "poster-a4", "--emblem", "{not_image}"], "is not an image qrpay can read"),
        (["-t", "poster-a4", "--emblem", "{huge}"], "is 5000 x 10 pixels; the limit is 4096 per side"),
        (["-t", "poster-a4", "--emblem", "missing.png"], "emblem missing.png is not a file"),
        (["-t", "poster-a4", "--font", "{not_image}"], "cannot be embedded"),
    ],
)
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(cli, desk, scene, workdir, args, message):
    (workdir / "a-file.txt").write_text("x")
    (workdir / "a-folder").mkdir()
    values = {
        "file": "a-file.txt",
        "folder": "a-folder",
        "not_image": str(not_an_image(workdir)),
        "huge": str(emblem_too_large(workdir)),
    }
    before = files_in(workdir)
    result = cli("render", scene.id, *(arg.format(**values) for arg in args))
    assert_one_error_line(result, message, stdout_empty=True)
    assert files_in(workdir) == before
    assert desk.register.renders(scene.serial) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where nobody may create files")
def test_unwritable_folder_is_an_error(cli, desk, scene, workdir):
    result = cli("render", scene.id, "-t", "poster-a4", "-o", "/proc/poster.pdf")
    assert assert_one_error_line(result).startswith("Error: cannot write /proc/poster.pdf")
    assert not Path("/proc/poster.pdf").exists() and desk.register.renders(scene.serial) == []


def test_unknown_id_is_an_error(cli, desk, workdir):
    result = cli("render", "C0000099", "-t", "poster-a4")
    assert result.exit_code == 2 and result.stderr.startswith("Error: no code C0000099")
    assert files_in(workdir) == []


def test_revoked_code_is_not_printed(cli, desk, scene, workdir):
    desk.revoke(scene.id, "poster stolen")
    result = cli("render", scene.id, "-t", "poster-a4")
    assert result.exit_code == 2 and "was revoked" in result.stderr
    assert files_in(workdir) == []


def test_verify_reads_every_code_of_a_rendered_pdf_and_png(cli, desk, scene, workdir):
    tent = desk.render(scene.id, "tent-a6", workdir / "tent.pdf").path
    png = desk.render(scene.id, "web", workdir / "code.png").path
    result = cli("verify", str(tent), str(png), "--json")
    assert result.exit_code == 0, result.stdout
    verdicts = json.loads(result.stdout)
    assert [(v["status"], v["id"], v["source"], v["count"]) for v in verdicts] == [
        ("genuine", scene.id, str(tent), 2),
        ("genuine", scene.id, str(png), 1),
    ]


def test_verify_a_file_without_codes_says_no_code_found(cli, desk, workdir):
    blank = workdir / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    result = cli("verify", str(blank), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["status"] == "no-code-found"


def test_verify_a_revoked_poster_says_revoked(cli, desk, scene, workdir):
    poster = desk.render(scene.id, "poster-a4", workdir / "poster.pdf").path
    desk.revoke(scene.id, "window closed")
    result = cli("verify", str(poster), "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)[0]["status"] == "revoked"


def test_demo_mints_in_its_sample_home_renders_every_template_and_can_run_again(cli, home, workdir):
    first = cli("demo", "--json")
    assert first.exit_code == 0, first.stderr
    assert "home-sample" in first.stderr
    written = json.loads(first.stdout)
    assert {entry["template"] for entry in written} == {"poster-a4", "tent-a6", "labels-a4", "emergency-a4", "web"}
    assert {Path(entry["path"]).suffix for entry in written} == {".pdf", ".png", ".svg", ".html"}
    assert all(Path(entry["path"]).is_file() and entry["path"].startswith("output/") for entry in written)

    again = cli("demo", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == written
    assert not home.exists()  # the user's QRPAY_HOME is left alone
    with Qrpay(Settings.load(home=home.with_name("home-sample"))) as desk:
        assert [(code.kind, code.number) for code in desk.list_codes()] == [
            ("unified", 91),
            ("unified", 92),
            ("scene", 9),
            ("open", 6),
        ]


def test_demo_writes_into_the_folder_named(cli, keyring, workdir):
    result = cli("demo", "-o", "print")
    assert result.exit_code == 0, result.stderr
    files = list((workdir / "print").iterdir())
    assert len(result.stdout.splitlines()) == len(files) == 10
