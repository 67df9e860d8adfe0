"""Web images of one code: PNG (with DPI, 1x or 2x), SVG (viewBox, title, desc) and an HTML snippet.

The snippet carries the image with meaningful alt text and a link to the payment page, because
a phone cannot scan the screen it is showing.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import InputError, RenderError
from .emblem import Emblem, fit_box
from .fonts import default_font_path
from .model import CodeView, Drawn, Options
from .sample import SAMPLE_MARK, SAMPLE_MARK_EN
from .symbol import Placed, dark_runs, place
from .templates import Template
from .units import px_to_mm

if TYPE_CHECKING:
    import PIL.Image

SVG_NS = "http://www.w3.org/2000/svg"
SAMPLE_RGBA = (200, 16, 46, 90)  # translucent red: over a dark module the module stays dark


MAX_SIDE_PX = 10_000  # a web image at most 10,000 pixels square (100 MB greyscale)


def _only(template: Template, views: Iterable[CodeView]) -> CodeView:
    views = list(views)
    if len(views) != 1:
        raise RenderError(f"template {template.name} draws one code per file, got {len(views)}")
    return views[0]


def _placed(template: Template, view: CodeView, emblem: Emblem | None) -> Placed:
    module_mm = px_to_mm(template.web_spec.module_px, template.web_spec.dpi)
    return place(template, view, module_mm, emblem=emblem is not None)


def _texts(template: Template, view: CodeView) -> dict[str, str]:
    values = {**template.values, **view.fields()}
    spec = template.web_spec
    mark = f"【{SAMPLE_MARK} {SAMPLE_MARK_EN}】" if view.sample else ""
    return {
        "alt": mark + spec.alt.format_map(values),
        "caption": mark + spec.caption.format_map(values),
        "link_text": spec.link_text.format_map(values),
    }


def _sample_mark(image: PIL.Image.Image) -> PIL.Image.Image:
    """*image* with a large diagonal 样张 across it, translucent so the symbol still reads."""
    from PIL import Image, ImageDraw, ImageFont

    side = image.width
    font = ImageFont.truetype(str(default_font_path(bold=True)), max(8, side * 2 // 5))
    layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((side / 2, side / 2), SAMPLE_MARK, font=font, fill=SAMPLE_RGBA, anchor="mm")
    layer = layer.rotate(35, resample=Image.Resampling.BICUBIC)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def png_bytes(template: Template, view: CodeView, placed: Placed, emblem: Emblem | None, scale: int) -> bytes:
    """The symbol with its quiet zone as a greyscale PNG; *scale* multiplies pixels and DPI alike."""
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    px = template.web_spec.module_px * scale
    q = placed.quiet_zone
    if placed.total * px > MAX_SIDE_PX:  # checked before the pixels are allocated
        raise InputError(
            f"template {template.name} at --scale {scale} makes an image {placed.total * px} pixels wide; "
            f"at most {MAX_SIDE_PX} (lower --scale or the template's module_px)"
        )
    image = Image.new("L", (placed.total * px,) * 2, 255)
    draw = ImageDraw.Draw(image)
    for row, column, length in dark_runs(placed.symbol):
        left, top = (q + column) * px, (q + row) * px
        draw.rectangle((left, top, left + length * px - 1, top + px - 1), fill=0)
    if emblem is not None:
        start, k = (q + placed.knockout_start) * px, placed.knockout * px
        draw.rectangle((start, start, start + k - 1, start + k - 1), fill=255)
        x, y, w, h = fit_box(emblem.aspect, k - px)
        picture = emblem.image.resize((round(w), round(h)), Image.Resampling.LANCZOS)
        image = image.convert("RGB")
        image.paste(picture, (start + px // 2 + round(x), start + px // 2 + round(y)))
    if view.sample:
        image = _sample_mark(image)
    info = PngInfo()
    info.add_itxt("Title", _texts(template, view)["alt"])
    info.add_itxt("Comment", view.payload)
    buffer = io.BytesIO()
    dpi = template.web_spec.dpi * scale
    image.save(buffer, format="PNG", dpi=(dpi, dpi), pnginfo=info)
    return buffer.getvalue()


def svg_text(template: Template, view: CodeView, placed: Placed, emblem: Emblem | None, *, side: str | None) -> str:
    """The symbol as SVG in module units: one path of dark runs, optional emblem on a white knockout.

    *side* is the width and height to state (``"52.00mm"``, CSS pixels ``"246"``), if any.
    """
    total, q = placed.total, placed.quiet_zone
    texts = _texts(template, view)
    ident = f"qrpay-{view.id}"
    size = f' width="{side}" height="{side}"' if side else ""
    runs = "".join(f"M{q + column} {q + row}h{length}v1h-{length}z" for row, column, length in dark_runs(placed.symbol))
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {total} {total}"{size} role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" shape-rendering="crispEdges">',
        f'<title id="{ident}-title">{html.escape(texts["alt"])}</title>',
        f'<desc id="{ident}-desc">{html.escape(texts["caption"])} · {html.escape(view.payload)}</desc>',
        f'<rect width="{total}" height="{total}" fill="#fff"/>',
        f'<path fill="#000" d="{runs}"/>',
    ]
    if emblem is not None:
        start, k = q + placed.knockout_start, placed.knockout
        x, y, w, h = fit_box(emblem.aspect, k - 1)
        data = base64.b64encode(emblem.png).decode("ascii")
        parts += [
            f'<rect x="{start}" y="{start}" width="{k}" height="{k}" fill="#fff"/>',
            f'<image x="{start + 0.5 + x:.4f}" y="{start + 0.5 + y:.4f}" width="{w:.4f}" height="{h:.4f}" '
            f'href="data:image/png;base64,{data}"/>',
        ]
    if view.sample:
        parts.append(
            f'<text x="{total / 2:g}" y="{total / 2:g}" transform="rotate(-35 {total / 2:g} {total / 2:g})" '
            f'font-size="{total * 2 / 5:.1f}" font-weight="bold" text-anchor="middle" dominant-baseline="central" '
            f'fill="#c8102e" fill-opacity="0.25">{SAMPLE_MARK}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def html_text(template: Template, view: CodeView, placed: Placed, options: Options) -> str:
    """A snippet to paste into a page: figure, image with alt text, caption and payment link."""
    texts = _texts(template, view)
    css_px = str(placed.total * template.web_spec.module_px)
    if options.data_uri:
        data = base64.b64encode(png_bytes(template, view, placed, options.emblem, options.scale)).decode("ascii")
        image = (
            f'<img src="data:image/png;base64,{data}" width="{css_px}" height="{css_px}" '
            f'alt="{html.escape(texts["alt"])}" />'
        )
    else:
        image = svg_text(template, view, placed, options.emblem, side=css_px)
    return (
        f'<figure class="qrpay-code" id="qrpay-{view.id}" data-payment-code="{html.escape(view.payment_code)}">\n'
        f"{image.strip()}\n"
        f"<figcaption>{html.escape(texts['caption'])}<br />\n"
        f'<a class="qrpay-pay-link" href="{html.escape(view.payload)}">{html.escape(texts["link_text"])}</a>'
        f"</figcaption>\n</figure>\n"
    )


def write_png(template: Template, views: Iterable[CodeView], options: Options) -> Drawn:
    view = _only(template, views)
    placed = _placed(template, view, options.emblem)
    return Drawn(png_bytes(template, view, placed, options.emblem, options.scale), [[view.payload]])


def write_svg(template: Template, views: Iterable[CodeView], options: Options) -> Drawn:
    view = _only(template, views)
    placed = _placed(template, view, options.emblem)
    side = f"{placed.total * placed.module_mm:.2f}mm" if template.web_spec.svg_mm else None
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg_text(template, view, placed, options.emblem, side=side)
    return Drawn(text.encode("utf-8"), [[view.payload]])


def write_html(template: Template, views: Iterable[CodeView], options: Options) -> Drawn:
    view = _only(template, views)
    placed = _placed(template, view, options.emblem)
    return Drawn(html_text(template, view, placed, options).encode("utf-8"), [[view.payload]])
