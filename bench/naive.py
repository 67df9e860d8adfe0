"""The baseline: the batch script a competent scripter would write without qrpay.

Reads the same CSV (item, scene), signs each row as an itsdangerous ``URLSafeSerializer``
JSON token in an https URL, makes the QR with ``segno.make(url, micro=False)`` on its
defaults, writes one PNG per code (scale 8) and places it with reportlab's ``drawImage``
on a 3 x 8 A4 sticker sheet, labelled with item, scene and number. Single process, no
register, no self-check.

    python bench/naive.py codes.csv out.pdf
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import sys
from collections import Counter

import segno
from itsdangerous import URLSafeSerializer
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

BASE_URL = "https://pay.hz.gov.cn/q/"
COLUMNS, ROWS = 3, 8
FONT = __import__("qrpay.render.fonts", fromlist=["default_font_path"]).default_font_path()


def main(csv_path: str, pdf_path: str) -> Counter:
    """Write the sheet; return the QR version histogram."""
    pdfmetrics.registerFont(TTFont("CJK", str(FONT), subfontIndex=0))
    serializer = URLSafeSerializer(secrets.token_bytes(32), salt="payment-code")
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    page_w, page_h = A4
    cell_w, cell_h = page_w / COLUMNS, page_h / ROWS
    size = cell_h - 12 * mm
    sheet = canvas.Canvas(pdf_path, pagesize=A4)
    versions: Counter = Counter()
    for number, row in enumerate(rows, start=1):
        slot = (number - 1) % (COLUMNS * ROWS)
        if slot == 0 and number > 1:
            sheet.showPage()
        url = BASE_URL + serializer.dumps({"id": number, "item": row["item"], "scene": row["scene"]})
        qr = segno.make(url, micro=False)
        versions[qr.version] += 1
        png = io.BytesIO()
        qr.save(png, kind="png", scale=8)
        png.seek(0)
        x = (slot % COLUMNS) * cell_w
        y = page_h - (slot // COLUMNS + 1) * cell_h
        sheet.drawImage(ImageReader(png), x + (cell_w - size) / 2, y + 10 * mm, size, size)
        sheet.setFont("CJK", 8)
        sheet.drawCentredString(x + cell_w / 2, y + 6 * mm, f"{row['item']} · {row['scene']}")
        sheet.drawCentredString(x + cell_w / 2, y + 2.5 * mm, f"No. {number:07d}")
    sheet.save()
    return versions


if __name__ == "__main__":
    histogram = main(sys.argv[1], sys.argv[2])
    print(json.dumps({"versions": dict(sorted(histogram.items()))}))
