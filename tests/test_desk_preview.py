"""A code page's preview follows the bureau's own web template while the desk runs: a copy made,
edited or removed shows on the next request, with a new ETag, and an unchanged one is not redrawn."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from test_desk import login

import qrpay.desk.preview
import qrpay.desk.views
from qrpay.desk.preview import Previews
from qrpay.qr.decode import read_image_bytes
from qrpay.render.templates import parse_template

pytestmark = pytest.mark.usefixtures("engine")
SHIPPED = (Path(__file__).parents[1] / "templates" / "web.toml").read_text("utf-8")
PASSWORD = "clerk-password-1"


@pytest.fixture
def draws(monkeypatch):
    """The module size of each preview the desk draws, one entry per drawing (in a worker's fresh store)."""
    drawn: list[int] = []
    monkeypatch.setattr(qrpay.desk.views, "PREVIEWS", Previews())
    real = qrpay.desk.preview.render

    def counted(layout, *args, **kwargs):
        drawn.append(layout.web_spec.module_px)
        return real(layout, *args, **kwargs)

    monkeypatch.setattr(qrpay.desk.preview, "render", counted)
    return drawn


def test_the_preview_follows_the_users_web_template_made_edited_and_removed(desk_app, desk, draws):
    desk.users.add("land", "clerk", ["国土"], PASSWORD)
    client = desk_app()
    assert login(client, "land", PASSWORD).status_code == 303
    code = desk.mint_scene("09", "窗口 3")[0]
    url = f"/codes/{code.id}/preview.png"

    def preview(etag: str = ""):
        answer = client.get(url, headers={"if-none-match": etag} if etag else {})
        if answer.status_code == 304:
            return answer.content, answer.headers["etag"], None
        assert answer.status_code == 200 and read_image_bytes(answer.content) == [code.payload]
        return answer.content, answer.headers["etag"], Image.open(io.BytesIO(answer.content)).size

    shipped, shipped_tag, shipped_size = preview()
    assert preview() == (shipped, shipped_tag, shipped_size) and draws == [6]  # unchanged: kept, not redrawn

    folder = desk.settings.user_templates_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "web.toml").write_text(SHIPPED.replace("module_px = 6 ", "module_px = 9 "), "utf-8")
    made, made_tag, made_size = preview(shipped_tag)  # the browser's old copy is no longer current
    assert made != shipped and made_tag != shipped_tag and draws == [6, 9]
    assert made_size == (shipped_size[0] // 6 * 9, shipped_size[1] // 6 * 9)
    assert preview() == (made, made_tag, made_size) and draws == [6, 9]
    assert preview(made_tag) == (b"", made_tag, None)  # 304 for the current copy

    (folder / "web.toml").write_text(SHIPPED.replace("module_px = 6 ", "module_px = 4 "), "utf-8")
    edited, edited_tag, edited_size = preview(made_tag)
    assert edited_tag not in (shipped_tag, made_tag) and edited not in (shipped, made) and draws == [6, 9, 4]
    assert edited_size == (shipped_size[0] // 6 * 4, shipped_size[1] // 6 * 4)

    (folder / "web.toml").unlink()
    assert preview(edited_tag) == (shipped, shipped_tag, shipped_size) and draws == [6, 9, 4, 6]
    assert preview(shipped_tag) == (b"", shipped_tag, None) and draws == [6, 9, 4, 6]


def test_the_preview_etag_is_the_same_in_every_worker_for_the_same_template_text(desk):
    code = desk.mint_scene("09", "窗口 3")[0]
    one, other = (parse_template("web", "web.toml", SHIPPED) for _ in range(2))  # equal values, two objects
    assert one is not other and Previews().etag(code, one) == Previews().etag(code, other)
    edited = parse_template("web", "web.toml", SHIPPED.replace('error = "M"', 'error = "Q"'))
    assert Previews().etag(code, edited) != Previews().etag(code, one)
