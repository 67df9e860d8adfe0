"""qrpay audit: photos of posters made in the test from rendered PDFs (rotated, skewed, blurred,
dim, JPEG-compressed, shrunk), stickers pasted over them, and what each must read as."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from helpers import BASE_URL_24, Cli, assert_one_error_line
from PIL import Image, ImageFilter

from qrpay import Qrpay, Settings
from qrpay.audit import audit
from qrpay.keys import Keyring
from qrpay.qr.decode import decode_image, read_file

PHOTO_DPI = 110
WALL = (128, 116, 98)  # the painted wall around a poster
WEST, EAST = "Etc/GMT+12", "Etc/GMT-14"  # 26 hours apart: "today" in EAST is always after "today" in WEST


@dataclass(frozen=True)
class Field:
    """A register with posters hanging in the halls, and a fraudster's poster of his own."""

    home: Path
    posters: dict[str, Path]
    payloads: dict[str, str]
    ids: dict[str, str]

    def desk(self, tz: str = WEST) -> Qrpay:
        return Qrpay(Settings.load(home=self.home, base_url=BASE_URL_24, timezone=tz))


@pytest.fixture(scope="module")
def field(tmp_path_factory) -> Field:
    root = tmp_path_factory.mktemp("field")
    posters, payloads, ids = {}, {}, {}
    Keyring.init(root / "home" / "keyring.json")
    with Qrpay(Settings.load(home=root / "home", base_url=BASE_URL_24, timezone=WEST)) as desk:
        made = {
            "genuine": desk.mint_scene("09", "window 3")[0],
            "revoked": desk.mint_scene("06", "window 1")[0],
            "expired": desk.mint_open("07", valid_until=str(desk.today()))[0],
        }
        for name, code in made.items():
            posters[name] = desk.render(code.id, "poster-a4", root / f"{name}.pdf").path
            payloads[name], ids[name] = code.payload, code.id
        desk.revoke(made["revoked"].id, "window closed")
    Keyring.init(root / "forger" / "keyring.json")  # his own key: same kid, another secret
    with Qrpay(Settings.load(home=root / "forger", base_url=BASE_URL_24)) as forger:
        fake = forger.mint_scene("09", "window 3")[0]
        posters["forged"] = forger.render(fake.id, "poster-a4", root / "forged.pdf").path
        payloads["forged"] = fake.payload
    return Field(root / "home", posters, payloads, ids)


# -- making photos -----------------------------------------------------------------------------


def photograph(pdf: Path, dpi: float = PHOTO_DPI) -> Image.Image:
    """The first page of *pdf* as a camera sees it hanging on a wall: in colour, with wall around it."""
    document = pypdfium2.PdfDocument(str(pdf))
    page = document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    document.close()
    margin = page.width // 6
    photo = Image.new("RGB", (page.width + 2 * margin, page.height + 2 * margin), WALL)
    photo.paste(page, (margin, margin))
    return photo


def _solve(rows: list[list[float]]) -> list[float]:
    """Gauss-Jordan elimination on an augmented n x (n+1) matrix."""
    n = len(rows)
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(rows[r][i]))
        rows[i], rows[pivot] = rows[pivot], rows[i]
        for r in range(n):
            if r != i:
                factor = rows[r][i] / rows[i][i]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[i])]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def perspective(photo: Image.Image, lean: float = 0.22) -> Image.Image:
    """The photo taken from below and to the left: the top edge shrinks and tilts."""
    w, h = photo.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    seen = [(w * lean, h * 0.06), (w * (1 - lean / 2), 0), (w, h), (0, h * 0.94)]
    rows = []
    for (x, y), (sx, sy) in zip(seen, corners):  # for each output pixel, where in the photo it comes from
        rows.append([x, y, 1, 0, 0, 0, -sx * x, -sx * y, sx])
        rows.append([0, 0, 0, x, y, 1, -sy * x, -sy * y, sy])
    return photo.transform(
        photo.size, Image.Transform.PERSPECTIVE, _solve(rows), Image.Resampling.BICUBIC, fillcolor=WALL
    )


def rotated(photo: Image.Image, degrees: float) -> Image.Image:
    return photo.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=WALL)


def blurred(photo: Image.Image, radius: float = 2.5) -> Image.Image:
    return photo.filter(ImageFilter.GaussianBlur(radius))


def grey_on_grey(photo: Image.Image, low: int = 120, high: int = 134) -> Image.Image:
    """A dim photo in bad light: black prints as mid grey, white as a slightly lighter grey."""
    return photo.convert("L").point(lambda v: low + (high - low) * v // 255)


def jpeg(photo: Image.Image, quality: int = 30) -> Image.Image:
    buffer = io.BytesIO()
    photo.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def shrunk(photo: Image.Image, factor: float = 0.3) -> Image.Image:
    return photo.resize((round(photo.width * factor), round(photo.height * factor)), Image.Resampling.LANCZOS)


def everything(photo: Image.Image) -> Image.Image:
    return jpeg(blurred(grey_on_grey(perspective(rotated(photo, 7), 0.18), 112, 140), 1.5), 30)


DISTORTIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "rotated-7": lambda photo: rotated(photo, 7),
    "rotated-90": lambda photo: rotated(photo, 90),
    "perspective": perspective,
    "blurred": blurred,
    "grey-on-grey": grey_on_grey,
    "jpeg-q30": jpeg,
    "shrunk": shrunk,
    "all-at-once": everything,
}


def save(photo: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    photo.convert("RGB").save(path, quality=92) if path.suffix == ".jpg" else photo.save(path)
    return path


def qr_box(photo: Image.Image) -> tuple[int, int, int, int]:
    """The bounding box of the one QR code in a clean photo."""
    [found] = zxingcpp.read_barcodes(photo.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    p = found.position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return min(xs), min(ys), max(xs), max(ys)


def sticker(field: Field, side: int) -> Image.Image:
    """The fraudster's QR cut out of his own poster with its white margin, *side* pixels square."""
    photo = photograph(field.posters["forged"])
    left, top, right, bottom = qr_box(photo)
    quiet = (right - left) // 6
    return photo.crop((left - quiet, top - quiet, right + quiet, bottom + quiet)).resize((side, side))


def audited(field: Field, *paths: Path, tz: str = WEST):
    with field.desk(tz) as desk:
        return audit(desk, paths)


def statuses(report) -> list[tuple[str, str | None, int]]:
    return [(v.status, v.code.id if v.code else None, v.count) for v in report.verdicts]


# -- photos of a genuine poster ----------------------------------------------------------------


@pytest.mark.parametrize("distortion", DISTORTIONS)
def test_a_distorted_photo_of_a_genuine_poster_reads_as_genuine(field, tmp_path, distortion):
    photo = DISTORTIONS[distortion](photograph(field.posters["genuine"]))
    path = save(photo, tmp_path / f"{distortion}.png")
    report = audited(field, path)
    assert statuses(report) == [("genuine", field.ids["genuine"], 1)]
    assert report.clean and report.files[0].status == "genuine"


def test_a_grey_on_grey_photo_is_read_only_by_the_retries(field, tmp_path):
    photo = grey_on_grey(photograph(field.posters["genuine"]))
    assert decode_image(photo) == []  # below zxing's minimum contrast as it is
    assert read_file(save(photo, tmp_path / "dim.png")) == [field.payloads["genuine"]]


def test_a_photo_too_blurred_to_read_is_no_code_found(field, tmp_path):
    path = save(blurred(photograph(field.posters["genuine"]), 12), tmp_path / "shaky.jpg")
    report = audited(field, path)
    assert statuses(report) == [("no-code-found", None, 1)] and not report.clean


# -- what is not genuine -----------------------------------------------------------------------


def test_a_sticker_pasted_over_the_code_is_forged(field, tmp_path):
    photo = photograph(field.posters["genuine"])
    left, top, right, bottom = qr_box(photo)
    quiet = (right - left) // 8
    photo.paste(sticker(field, right - left + 2 * quiet), (left - quiet, top - quiet))
    path = save(jpeg(rotated(photo, 4), 40), tmp_path / "hall-2.jpg")
    report = audited(field, path)
    [verdict] = report.verdicts
    assert verdict.status == "forged" and verdict.input == field.payloads["forged"]
    assert "signature does not match" in verdict.reason and not report.clean


def test_a_sticker_beside_a_genuine_code_names_the_file_forged(field, tmp_path):
    photo = photograph(field.posters["genuine"])
    photo.paste(sticker(field, photo.width // 4), (10, 10))
    report = audited(field, save(photo, tmp_path / "hall-3.png"))
    assert sorted(statuses(report)) == [("forged", None, 1), ("genuine", field.ids["genuine"], 1)]
    assert report.files[0].status == "forged"
    assert report.summary["forged"] == report.summary["genuine"] == 1


def test_a_photo_of_a_revoked_poster_says_revoked(field, tmp_path):
    path = save(jpeg(perspective(photograph(field.posters["revoked"]))), tmp_path / "window-1.jpg")
    [verdict] = audited(field, path).verdicts
    assert (verdict.status, verdict.code.id) == ("revoked", field.ids["revoked"])
    assert "window closed" in verdict.reason


def test_a_photo_of_an_expired_open_code_says_expired(field, tmp_path):
    path = save(rotated(photograph(field.posters["expired"]), -6), tmp_path / "emergency.png")
    assert statuses(audited(field, path, tz=WEST)) == [("genuine", field.ids["expired"], 1)]
    assert statuses(audited(field, path, tz=EAST)) == [("expired", field.ids["expired"], 1)]


# -- the command -------------------------------------------------------------------------------


def run(field: Field, *args: object, tz: str = WEST):
    cli = Cli()
    cli.runner.env = {"QRPAY_TZ": tz}  # CliRunner sets these for the run only
    return cli("--home", field.home, "--base-url", BASE_URL_24, "audit", *args)


def test_a_folder_of_mixed_files_gives_a_report_per_file_and_a_count_per_status(field, tmp_path):
    folder = tmp_path / "photos"
    save(everything(photograph(field.posters["genuine"])), folder / "hall-1" / "window-3.jpg")
    save(jpeg(photograph(field.posters["revoked"])), folder / "hall-1" / "window-1.jpg")
    save(Image.new("L", (400, 300), 200), folder / "hall-2" / "ceiling.png")
    (folder / "hall-2" / "cut-off.jpg").write_bytes(b"\xff\xd8\xff\xe0 half a JPEG")
    (folder / "notes.txt").write_text("window 3 poster is faded")
    save(photograph(field.posters["forged"]), folder / ".thumbnails" / "hall-1.png")  # hidden: skipped
    result = run(field, folder, field.posters["genuine"], "--json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert [(f["path"], f["status"]) for f in data["files"]] == [
        (str(folder / "hall-1" / "window-1.jpg"), "revoked"),
        (str(folder / "hall-1" / "window-3.jpg"), "genuine"),
        (str(folder / "hall-2" / "ceiling.png"), "no-code-found"),
        (str(folder / "hall-2" / "cut-off.jpg"), "no-code-found"),
        (str(field.posters["genuine"]), "genuine"),
    ]
    assert "neither an image nor a PDF" in data["files"][3]["codes"][0]["reason"]
    assert {k: v for k, v in data["summary"].items() if v} == {"genuine": 2, "revoked": 1, "no-code-found": 2}
    assert data["clean"] is False
    assert {"status", "id", "count"} <= set(data["files"][0]["codes"][0])


def test_all_genuine_exits_0_with_one_block_per_file(field, tmp_path):
    photo = save(rotated(photograph(field.posters["genuine"]), 90), tmp_path / "a.png")
    result = run(field, photo, photo)  # named twice: audited once
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(photo),
        f"  GENUINE        {field.ids['genuine']} {field.payloads['genuine']}",
        "",
        "1 file(s): genuine 1",
        "Every code is genuine.",
    ]
    assert result.stderr == ""


def test_a_file_with_no_code_exits_1(field, tmp_path):
    blank = save(Image.new("RGB", (600, 800), WALL), tmp_path / "wall.jpg")
    result = run(field, blank)
    assert result.exit_code == 1
    assert "NO-CODE-FOUND  no QR code could be read from this file" in result.stdout
    assert result.stdout.rstrip().endswith("NOT ALL GENUINE: act on the files above.")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda folder: folder / "missing", "is not a file or folder"),
        (lambda folder: folder, "holds no image or PDF files"),
    ],
)
def test_nothing_to_audit_is_an_error(field, tmp_path, make, fragment):
    (tmp_path / "readme.txt").write_text("no photos yet")
    result = run(field, make(tmp_path))
    assert_one_error_line(result, fragment, stdout_empty=True)


def test_without_a_keyring_nothing_is_read(field, tmp_path):
    photo = save(photograph(field.posters["genuine"]), tmp_path / "a.png")
    empty = tmp_path / "empty-home"
    result = Cli()("--home", empty, "audit", photo)
    assert result.exit_code == 2 and "qrpay keys init" in result.stderr


# -- verify on a sheet of labels ---------------------------------------------------------------


def test_verify_reports_each_code_of_a_file_once_with_its_count(field, tmp_path):
    with field.desk() as desk:
        sheet = desk.render(field.ids["genuine"], "labels-a4", tmp_path / "labels.pdf").path
        [verdict] = desk.verify_input(str(sheet))
    assert (verdict.status, verdict.count, verdict.source) == ("genuine", 24, str(sheet))
    result = Cli()("--home", field.home, "--base-url", BASE_URL_24, "verify", sheet, "--json")
    assert result.exit_code == 0
    [data] = json.loads(result.stdout)
    assert (data["status"], data["id"], data["count"]) == ("genuine", field.ids["genuine"], 24)
    text = Cli()("--home", field.home, "--base-url", BASE_URL_24, "verify", sheet).stdout
    assert text.count("GENUINE") == 1 and "(×24)" in text
