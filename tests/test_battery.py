"""The bad-input battery: every command fed what users get wrong. Each case must give exit 2,
one ``Error: …`` line naming the problem, no traceback, nothing on stdout, no file left
behind, and the keyring and register exactly as they were."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import BASE_URL_24, Cli, assert_one_error_line, in_months
from PIL import Image

from qrpay import Qrpay, Settings
from qrpay.emergency.log import CollectionLog
from qrpay.keys import Keyring

LOG_HEADER = "code,amount,reference,payer,at\n"
STATEMENT_HEADER = "txn_id,paid_at,amount,code,reference\n"


@pytest.fixture(scope="module")
def template_home(tmp_path_factory) -> Path:
    """A register in use: C0000001 scene, C0000002 open (one collection logged), C0000003 scene
    revoked, C0000004 open revoked."""
    home = tmp_path_factory.mktemp("template") / "home"
    Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url=BASE_URL_24)) as desk:
        desk.mint_scene("09", "window 3")
        desk.mint_open("06")
        desk.mint_scene("05", "window 9")
        desk.revoke("C0000003", "window closed")
        desk.mint_open("07")
        desk.revoke("C0000004", "outage over")
        CollectionLog(desk).add("C0000002", "120.00", "RX-1", payer="张三", at="2024-05-01T10:00")
    return home


@pytest.fixture
def world(template_home, tmp_path, monkeypatch) -> Path:
    """A copy of the register in use, and an empty current folder; returns the folder holding both."""
    shutil.copytree(template_home, tmp_path / "home")
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("QRPAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QRPAY_BASE_URL", BASE_URL_24)
    monkeypatch.delenv("QRPAY_TZ", raising=False)
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


# -- what the cases are given ------------------------------------------------------------------


def _image(size: tuple[int, int]) -> Callable[[Path], None]:
    return lambda path: Image.new("L", size, 255).save(path)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _heavy_png(path: Path) -> None:
    """A valid PNG of more than 5 MB (noise does not compress)."""
    Image.effect_noise((1400, 1400), 200).convert("RGB").save(path, compress_level=0)


def _backup_file(path: Path) -> None:
    with Qrpay(Settings.load()) as desk:
        desk.register.backup(path)


FIXTURES: dict[str, tuple[str, Callable[[Path], None] | None]] = {
    # name in args -> (file name in the current folder, how to make it; None: a folder)
    "file": ("a-file.txt", _text("not a folder\n")),
    "folder": ("a-folder", None),
    "full_folder": ("site-images", lambda path: (path.mkdir(), _image((10, 10))(path / "logo.png"))),
    "text_png": ("emblem.png", _text("not a picture")),
    "huge_png": ("huge.png", _image((5000, 10))),
    "heavy_png": ("heavy.png", _heavy_png),
    "blank_png": ("blank.png", _image((300, 300))),
    "text_jpg": ("hall-2.jpg", _text("not a photo")),
    "backup": ("backup.sqlite3", _backup_file),
    "empty_csv": ("empty.csv", _text("")),
    "log_no_amount": ("log-columns.csv", _text("code,reference\nC0000002,RX-9\n")),
    "log_bad_amount": ("log-rows.csv", _text(LOG_HEADER + "C0000002,10.00,RX-2,,\nC0000002,12.345,RX-3,,\n")),
    "log_bad_time": ("log-time.csv", _text(LOG_HEADER + "C0000002,10.00,RX-2,,yesterday noon\n")),
    "log_scene_code": ("log-kind.csv", _text(LOG_HEADER + "C0000001,10.00,RX-2,,\n")),
    "log_utf16": ("log-utf16.csv", _text(LOG_HEADER + "C0000002,10.00,RX-2,李四,\n", "utf-16")),
    "log_gbk": ("log-gbk.csv", _text(LOG_HEADER + "C0000002,10.00,RX-2,李四,\n", "gbk")),
    "log_latin1": (
        "log-latin1.csv",
        lambda path: path.write_bytes(LOG_HEADER.encode() + b"C0000002,10.00,RX-2,\xff\xfe,\n"),
    ),
    "log_png": ("log.csv", lambda path: Image.new("L", (20, 20)).save(path, format="PNG")),
    "stmt_no_code": (
        "statement-columns.csv",
        _text("txn_id,paid_at,amount,reference\nT1,2024-05-01 10:05,120.00,RX-1\n"),
    ),
    "stmt_bad_date": (
        "statement-rows.csv",
        _text(STATEMENT_HEADER + "T1,2024-05-01 10:05,120.00,C0000002,RX-1\nT2,01/05/2024,5.00,C0000002,RX-2\n"),
    ),
    "stmt_extra_field": (
        "statement-fields.csv",
        _text(STATEMENT_HEADER + "T1,2024-05-01 10:05,120.00,C0000002,RX-1,x\n"),
    ),
    "stmt_utf16": (
        "statement-utf16.csv",
        _text(STATEMENT_HEADER + "T1,2024-05-01 10:05,120.00,C0000002,RX-1\n", "utf-16"),
    ),
    "stmt_gbk": ("statement-gbk.csv", _text(STATEMENT_HEADER + "T1,2024-05-01 10:05,120.00,C0000002,业务一\n", "gbk")),
    "stmt_good": ("statement.csv", _text(STATEMENT_HEADER + "T1,2024-05-01 10:05,120.00,C0000002,RX-1\n")),
    "batch_good": ("windows.csv", _text("item,scene\n09,window 4\n09,window 5\n")),
    "batch_header_only": ("header.csv", _text("item,scene\n")),
    "batch_unknown_column": ("columns.csv", _text("item,scene,colour\n09,window 4,red\n")),
    "batch_bad_rows": ("rows.csv", _text("item,scene\n09,window 4\n42,window 5\n09,\n09,window\x1b 6\n")),
    "batch_duplicate": ("twice.csv", _text("item,scene\n09,window 4\n09,window 4\n")),
    "batch_open_reversed": (
        "open.csv",
        _text("item,scene,kind,valid_from,valid_until\n06,,open,2031-01-02,2031-01-01\n"),
    ),
    "batch_scene_on_emergency": ("emergency.csv", _text("item,scene\n09,window 4\n")),
    "batch_utf16": ("utf16.csv", _text("item,scene\n09,窗口 4\n", "utf-16")),
    "batch_gbk": ("gbk.csv", _text("item,scene\n09,窗口 4\n", "gbk")),
    "broken_template": ("../home/templates/broken.toml", _text("name = [unclosed\n")),
    "broken_catalog": ("../home/catalog.toml", _text("[items.19\nname = 1\n")),
}

CONTROL = "window\x1b[31m 3"
LONG_SCENE = "窗口" * 40

# (case id, command line with {fixture} names, fragment the one error line must hold[, known-failure mark])
CASES = [
    # render
    ("render-unknown-id", "render C0000404 -t poster-a4", "no code C0000404"),
    ("render-not-an-id", "render window-3 -t poster-a4", "not a code id"),
    ("render-unknown-template", "render C0000001 -t poster-a3", "unknown template 'poster-a3'; choose one of"),
    ("render-template-bad-name", "render C0000001 -t posterA4", "lowercase letters, digits and '-'"),
    ("render-template-for-other-kind", "render C0000001 -t emergency-a4", "is for open codes"),
    ("render-revoked", "render C0000003 -t poster-a4", "was revoked"),
    ("render-under-a-file", "render C0000001 -t poster-a4 -o {file}/poster.pdf", "is a file, not a folder"),
    ("render-onto-a-folder", "render C0000001 -t poster-a4 -o {folder}", "is a folder; give a file name"),
    ("render-wrong-extension", "render C0000001 -t poster-a4 -o poster.docx", "writes .pdf files"),
    ("render-emblem-not-image", "render C0000001 -t poster-a4 --emblem {text_png}", "is not an image qrpay can read"),
    ("render-emblem-too-wide", "render C0000001 -t poster-a4 --emblem {huge_png}", "the limit is 4096 per side"),
    ("render-emblem-too-heavy", "render C0000001 -t poster-a4 --emblem {heavy_png}", "the limit is 5 MB"),
    ("render-emblem-missing", "render C0000001 -t poster-a4 --emblem logo.png", "emblem logo.png is not a file"),
    ("render-emblem-folder", "render C0000001 -t poster-a4 --emblem {folder}", "is not a file"),
    ("render-font-not-font", "render C0000001 -t poster-a4 --font {text_png}", "cannot be embedded"),
    ("render-scale-zero", "render C0000001 -t web -o pay.png --scale 0", "whole number from 1 to 4"),
    ("render-scale-nine", "render C0000001 -t web -o pay.png --scale 9", "whole number from 1 to 4"),
    ("render-scale-text", "render C0000001 -t web -o pay.png --scale two", "Invalid value for '--scale'"),
    ("render-scale-on-pdf", "render C0000001 -t poster-a4 -o p.pdf --scale 2", "--scale applies to .png"),
    ("render-data-uri-on-png", "render C0000001 -t web -o pay.png --data-uri", "--data-uri applies to .html"),
    ("render-no-template", "render C0000001", "Missing option '--template'"),
    # templates, catalog
    ("templates-extra-argument", "templates poster-a4", "unexpected extra argument"),
    ("templates-broken-user-template", "templates +{broken_template}", "broken.toml"),
    ("catalog-broken-user-catalog", "catalog +{broken_catalog}", "catalog.toml"),
    # demo
    ("demo-under-a-file", "demo -o {file}/print", "is a file, not a folder"),
    ("demo-onto-a-file", "demo -o {file}", "a-file.txt is a file"),
    # emergency kit
    ("kit-not-eligible", "emergency kit --item 10", "not emergency-eligible"),
    ("kit-unknown-item", "emergency kit --item 99", "unknown item '99'"),
    ("kit-under-a-file", "emergency kit -o {file}/kit.pdf", "is a file, not a folder"),
    (
        "kit-onto-a-folder",
        "emergency kit -o {folder}",
        "is a folder; give a file name, e.g. a-folder/emergency-kit.pdf",
    ),
    ("kit-not-pdf", "emergency kit -o kit.png", "a kit is a PDF"),
    ("kit-reversed-dates", "emergency kit --valid-from 2031-01-02 --valid-until 2031-01-01", "swap them"),
    ("kit-past-date", "emergency kit --valid-until 2001-01-01", "already past"),
    ("kit-unparseable-date", "emergency kit --valid-from 2031-13-45", "YYYY-MM-DD"),
    ("kit-font-not-font", "emergency kit --font {text_png}", "cannot be embedded"),
    # emergency log add
    ("log-add-unknown-code", "emergency log add --code C0000404 --amount 10 --reference R", "no code C0000404"),
    ("log-add-scene-code", "emergency log add --code C0000001 --amount 10 --reference R", "is a scene code"),
    ("log-add-revoked-code", "emergency log add --code C0000004 --amount 10 --reference R", "revoked"),
    (
        "log-add-forged-token",
        "emergency log add --code GAEGAAAC.AAAAAAAAAAAAAA --amount 10 --reference R",
        "not a genuine code",
    ),
    ("log-add-negative", "emergency log add --code C0000002 --amount -5 --reference R", "is negative"),
    ("log-add-three-decimals", "emergency log add --code C0000002 --amount 1.234 --reference R", "at most 2"),
    ("log-add-not-amount", "emergency log add --code C0000002 --amount ten --reference R", "not an amount"),
    ("log-add-zero", "emergency log add --code C0000002 --amount 0 --reference R", "is zero"),
    (
        "log-add-empty-reference",
        ["emergency", "log", "add", "--code", "C0000002", "--amount", "10", "--reference", " "],
        "reference",
    ),
    (
        "log-add-control-reference",
        ["emergency", "log", "add", "--code", "C0000002", "--amount", "10", "--reference", CONTROL],
        "U+001B",
    ),
    (
        "log-add-long-reference",
        ["emergency", "log", "add", "--code", "C0000002", "--amount", "10", "--reference", "R" * 500],
        "the limit is 100",
    ),
    (
        "log-add-bad-time",
        "emergency log add --code C0000002 --amount 10 --reference R --at yesterday",
        "not an ISO 8601 time",
    ),
    (
        "log-add-future",
        f"emergency log add --code C0000002 --amount 10 --reference R --at {in_months(12)}T10:00",
        "in the future",
    ),
    ("log-add-reused-reference", "emergency log add --code C0000002 --amount 99 --reference RX-1", "already logged"),
    # emergency log import / list
    ("log-import-missing", "emergency log import paper-log.csv", "paper-log.csv"),
    ("log-import-folder", "emergency log import {folder}", "is a folder"),
    ("log-import-empty", "emergency log import {empty_csv}", "no header"),
    ("log-import-missing-column", "emergency log import {log_no_amount}", "amount: missing from the header"),
    ("log-import-bad-row", "emergency log import {log_bad_amount}", "line 3"),
    ("log-import-bad-time", "emergency log import {log_bad_time}", "not an ISO 8601 time"),
    ("log-import-scene-code", "emergency log import {log_scene_code}", "is a scene code"),
    ("log-import-utf16", "emergency log import {log_utf16}", "UTF-16"),
    ("log-import-gbk-as-utf8", "emergency log import {log_gbk} --encoding utf-8", "are not utf-8 text"),
    ("log-import-neither", "emergency log import {log_latin1}", "neither UTF-8 nor GBK"),
    ("log-import-unknown-encoding", "emergency log import {log_gbk} --encoding klingon", "unknown encoding 'klingon'"),
    ("log-import-png", "emergency log import {log_png}", "not a CSV text file"),
    ("log-list-extra", "emergency log list everything", "unexpected extra argument"),
    # reconcile
    ("reconcile-missing", "reconcile bank-may.csv", "bank-may.csv"),
    ("reconcile-folder", "reconcile {folder}", "is a folder"),
    ("reconcile-empty", "reconcile {empty_csv}", "no header"),
    ("reconcile-missing-column", "reconcile {stmt_no_code}", "code: missing from the header"),
    ("reconcile-bad-date", "reconcile {stmt_bad_date}", "line 3"),
    ("reconcile-extra-field", "reconcile {stmt_extra_field}", "extra field"),
    ("reconcile-utf16", "reconcile {stmt_utf16}", "UTF-16"),
    ("reconcile-gbk-as-utf8", "reconcile {stmt_gbk} --encoding utf-8", "are not utf-8 text"),
    ("reconcile-unknown-encoding", "reconcile {stmt_good} --encoding klingon", "unknown encoding 'klingon'"),
    ("reconcile-report-under-a-file", "reconcile {stmt_good} -o {file}/report.csv", "is a file, not a folder"),
    (
        "reconcile-report-onto-a-folder",
        "reconcile {stmt_good} -o {folder}",
        "is a folder; give a file name, e.g. a-folder/report.csv",
    ),
    # batch
    ("batch-missing", "batch windows-june.csv -t labels-a4", "windows-june.csv"),
    ("batch-folder", "batch {folder} -t labels-a4", "is a folder"),
    ("batch-empty", "batch {empty_csv} -t labels-a4", "no header"),
    ("batch-header-only", "batch {batch_header_only} -t labels-a4", "no rows below its header"),
    ("batch-unknown-column", "batch {batch_unknown_column} -t labels-a4", "unknown column(s) 'colour'"),
    ("batch-bad-rows", "batch {batch_bad_rows} -t labels-a4", "3 problem(s) in rows.csv, nothing was minted"),
    ("batch-duplicate-row", "batch {batch_duplicate} -t labels-a4", "asks for the same code as line 2"),
    ("batch-reversed-dates", "batch {batch_open_reversed} -t labels-a4", "swap them"),
    ("batch-kind-not-printed", "batch {batch_scene_on_emergency} -t emergency-a4", "does not print scene codes"),
    ("batch-utf16", "batch {batch_utf16} -t labels-a4", "UTF-16"),
    ("batch-gbk-as-utf8", "batch {batch_gbk} -t labels-a4 --encoding utf-8", "are not utf-8 text"),
    ("batch-unknown-template", "batch {batch_good} -t labels-a3", "unknown template 'labels-a3'"),
    ("batch-not-pdf", "batch {batch_good} -t labels-a4 -o labels.png", "give a file name ending .pdf"),
    ("batch-pdfs-into-a-full-folder", "batch {batch_good} -t labels-a4 -o {full_folder}", "qrpay did not write"),
    ("batch-pdf-under-a-file", "batch {batch_good} -t labels-a4 -o {file}/labels.pdf", "is a file, not a folder"),
    ("batch-web-onto-a-file", "batch {batch_good} -t web -o {file}", "a-file.txt is a file"),
    ("batch-web-under-a-file", "batch {batch_good} -t web -o {file}/images", "is a file, not a folder"),
    ("batch-web-into-a-full-folder", "batch {batch_good} -t web -o {full_folder}", "holds files qrpay did not write"),
    # audit
    ("audit-missing", "audit photos/hall-2", "photos/hall-2 is not a file or folder"),
    ("audit-no-photos", "audit {folder}", "holds no image or PDF files"),
    ("audit-nothing", "audit", "Missing argument"),
    # verify
    ("verify-missing-photo", "verify photos/hall-2.jpg", "no file photos/hall-2.jpg"),
    ("verify-missing-pdf", "verify poster.pdf", "no file poster.pdf"),
    ("verify-folder", "verify {folder}", "is a folder; check every photo in it with: qrpay audit"),
    ("verify-not-an-image", "verify {text_jpg}", "neither an image nor a PDF"),
    # backup, restore, revocations
    ("backup-existing", "backup -o {file}", "exists"),
    ("backup-under-a-file", "backup -o {file}/b.sqlite3", "is a file, not a folder"),
    (
        "backup-onto-a-folder",
        "backup -o {folder}",
        "is a folder; give a file name, e.g. a-folder/register-backup.sqlite3",
    ),
    ("restore-missing", "restore old.sqlite3", "no backup file old.sqlite3"),
    ("restore-not-a-register", "restore {file}", "a-file.txt"),
    ("restore-folder", "restore {folder}", "no backup file"),
    ("revocations-under-a-file", "revocations export -o {file}/r.json", "is a file, not a folder"),
    (
        "revocations-onto-a-folder",
        "revocations export -o {folder}",
        "is a folder; give a file name, e.g. a-folder/revoked.json",
    ),
    ("revocations-verify-missing", "revocations verify none.json", "none.json"),
    # keys
    ("keys-init-twice", "keys init", "already exists"),
    ("keys-retire-unknown", "keys retire 99", "no key 99"),
    ("keys-retire-last", "keys retire 1", "live code"),
    ("keys-retire-text", "keys retire one", "Invalid value for 'kid'"),
    # mint
    ("mint-unknown-item", "mint scene --item 42 --scene w", "unknown item '42'"),
    ("mint-empty-scene", ["mint", "scene", "--item", "09", "--scene", ""], "scene is empty"),
    ("mint-long-scene", ["mint", "scene", "--item", "09", "--scene", LONG_SCENE], "limit is 64"),
    ("mint-control-scene", ["mint", "scene", "--item", "09", "--scene", CONTROL], "U+001B"),
    ("mint-open-not-eligible", "mint open --item 10", "not emergency-eligible"),
    ("mint-open-reversed", "mint open --item 06 --valid-from 2031-01-02 --valid-until 2031-01-01", "swap them"),
    ("mint-open-unparseable", "mint open --item 06 --valid-until 31/12/2031", "YYYY-MM-DD"),
    ("mint-open-past", "mint open --item 06 --valid-until 2001-01-01", "already past"),
    ("mint-unified-unknown", "mint unified parking", "unknown unified group"),
    # show, revoke, list
    ("show-unknown", "show C0000404", "no code C0000404"),
    ("show-not-an-id", "show window-3", "not a code id"),
    ("revoke-unknown", "revoke C0000404 --reason lost", "no code C0000404"),
    ("revoke-twice", "revoke C0000003 --reason again", "already revoked"),
    ("revoke-empty-reason", ["revoke", "C0000001", "--reason", ""], "reason is empty"),
    ("revoke-control-reason", ["revoke", "C0000001", "--reason", CONTROL], "U+001B"),
    ("revoke-long-reason", ["revoke", "C0000001", "--reason", "x" * 201], "limit is 200"),
    ("list-unknown-kind", "list --kind weird", "kind must be"),
    ("list-unknown-item", "list --item 99", "unknown item '99'"),
    ("list-zero-limit", "list --limit 0", "--limit must be at least 1"),
]


def make_args(spec: str | list[str], folder: Path) -> list[str]:
    """The command line, with each {fixture} made in *folder* and replaced by its name; a
    +{fixture} is only made (a broken file in the home, say), not passed."""
    words = spec.split() if isinstance(spec, str) else spec
    names = {}
    for key, (name, make) in FIXTURES.items():
        if any("{" + key + "}" in word for word in words):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir() if make is None else make(path)
            names[key] = name
    return [word.format(**names) for word in words if not word.startswith("+")]


def state(world: Path) -> tuple[dict[str, str], list[str]]:
    """Every file (its digest) under the current folder and the home, and a dump of every table."""
    files = {
        str(path.relative_to(world)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        for path in sorted(world.rglob("*"))
        if not path.name.endswith(("-wal", "-shm")) and path.name != "register.sqlite3"
    }
    db = sqlite3.connect(f"file:{world / 'home' / 'register.sqlite3'}?mode=ro", uri=True)
    try:
        dump = list(db.iterdump())
    finally:
        db.close()
    return files, dump


@pytest.mark.parametrize(("spec", "fragment"), [pytest.param(*case[1:3], id=case[0], marks=case[3:]) for case in CASES])
def test_bad_input_is_one_error_line_exit_2_and_changes_nothing(world, spec, fragment):
    args = make_args(spec, world / "work")
    before = state(world)
    result = Cli()(*args)
    assert_one_error_line(result, fragment, stdout_empty=True)
    assert state(world) == before


def test_case_ids_are_unique():
    assert len({case[0] for case in CASES}) == len(CASES)


REAL_PROCESS = [
    "verify photos/hall-2.jpg",
    "audit photos",
    "render C0000001 -t poster-a4 -o {file}/p.pdf",
    "reconcile {log_utf16}",
    "emergency log add --code C0000002 --amount -5 --reference R",
]


@pytest.mark.parametrize("spec", REAL_PROCESS)
def test_a_real_process_prints_the_same_one_line(world, spec):
    """The installed command, not the in-process runner: what a user's terminal shows."""
    args = make_args(spec, world / "work")
    before = state(world)
    result = subprocess.run(
        [Path(sys.executable).with_name("qrpay"), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert state(world) == before
