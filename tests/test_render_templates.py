"""Templates: the shipped ones load, a user file overrides, and bad fields are named with their limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrpay import InputError, NotFoundError
from qrpay.render.model import CodeView
from qrpay.render.templates import list_templates, load_template, parse_template, template_names

SHIPPED = ["emergency-a4", "labels-a4", "notice-a4", "poster-a4", "slip-a5", "tent-a6", "web"]

MINIMAL = """
title = "t"
format = "pdf"
[page]
width_mm = 100
height_mm = 100
[qr]
x_mm = 10
y_mm = 10
size_mm = 50
min_module_mm = 0.5
"""


def test_every_shipped_template_loads_with_its_promised_qr_size():
    templates = {t.name: t for t in list_templates()}
    assert sorted(templates) == SHIPPED
    assert templates["poster-a4"].qr.size >= 50
    assert templates["tent-a6"].qr.size >= 30
    assert templates["labels-a4"].qr.size >= 18
    assert templates["labels-a4"].cells_per_page == 24 and templates["labels-a4"].fill == "each"
    assert templates["emergency-a4"].kinds == ("open",)
    assert templates["notice-a4"].kinds == templates["slip-a5"].kinds == ("bill",)
    assert (templates["slip-a5"].page_width, templates["slip-a5"].page_height) == (210, 148)  # A5 landscape
    assert all(t.qr.quiet_zone >= 4 for t in templates.values())


def test_tent_has_two_faces_one_upside_down_and_a_fold_line():
    tent = load_template("tent-a6")
    assert (tent.cell_width, tent.cell_height) == (148, 105)  # A6
    assert sorted(place.rotate for place in tent.places) == [0, 180]
    folds = [line for line in tent.page_lines if line.dash_mm and line.y1 == line.y2 == 148.5]
    assert folds and all(line.x2 <= 31 or line.x1 >= 179 for line in folds)  # outside the blank


def test_label_grid_draws_cut_guides_between_every_label_inside_the_printable_area():
    labels = load_template("labels-a4")
    vertical = {line.x1 for line in labels.page_lines if line.x1 == line.x2}
    horizontal = {line.y1 for line in labels.page_lines if line.y1 == line.y2}
    assert vertical == {70, 140}  # the page edges themselves are the sheet's edges: no guide there
    assert len(horizontal) == 7
    ends = [v for line in labels.page_lines for v in (line.x1, line.x2, line.y1, line.y2)]
    assert min(ends) >= 5 and all(
        max(line.x1, line.x2) <= 205 and max(line.y1, line.y2) <= 292 for line in labels.page_lines
    )


def test_a_user_file_replaces_the_shipped_template_of_the_same_name(tmp_path: Path):
    (tmp_path / "poster-a4.toml").write_text(MINIMAL.replace('"t"', '"our poster"'), "utf-8")
    (tmp_path / "extra.toml").write_text(MINIMAL, "utf-8")
    assert load_template("poster-a4", tmp_path).title == "our poster"
    assert load_template("poster-a4", tmp_path).source == str(tmp_path / "poster-a4.toml")
    assert template_names(tmp_path) == sorted([*SHIPPED, "extra"])


def test_unknown_template_lists_the_known_ones():
    with pytest.raises(NotFoundError, match="unknown template 'posterr'.*poster-a4, slip-a5, tent-a6"):
        load_template("posterr")


def test_a_template_name_cannot_leave_the_templates_folder():
    with pytest.raises(InputError, match="lowercase letters"):
        load_template("../etc/passwd")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("size_mm = 50", "size_mm = 500"), r"qr\.size_mm must be a number from 5 to 100 mm, got 500"),
        (("size_mm = 50", "size_mm = 95"), r"qr\.size_mm must be small enough to stay inside the 100 x 100 mm cell"),
        (("min_module_mm = 0.5", 'min_module_mm = "big"'), r"qr\.min_module_mm must be a number .* got 'big'"),
        (
            ("min_module_mm = 0.5", "min_module_mm = 0.5\nquiet_zone_modules = 2"),
            r"qr\.quiet_zone_modules must be a whole number from 4 to 20, got 2",
        ),
        (("min_module_mm = 0.5", 'min_module_mm = 0.5\nerror = "X"'), r"qr\.error must be one of L, M, Q, H, got 'X'"),
        (
            ("min_module_mm = 0.5", "min_module_mm = 0.5\nemblem_max_area = 0.3"),
            r"qr\.emblem_max_area must be a number from 0.01 to 0.2",
        ),
        (('format = "pdf"', 'format = "tiff"'), r"format must be one of pdf, web, got 'tiff'"),
        (("height_mm = 100", "height_mm = 100\ncolour = 1"), r"unknown field\(s\) colour in page"),
        (
            ("min_module_mm = 0.5", 'min_module_mm = 0.5\n[[text]]\ntext = "{nmae}"\nx_mm = 1\ny_mm = 1\nsize_pt = 9'),
            r"text\[0\]\.text names \{nmae\}, which is not a field; known: .*\{name\}",
        ),
        (
            (
                "min_module_mm = 0.5",
                'min_module_mm = 0.5\n[[text]]\ntext = "a"\nx_mm = 1\ny_mm = 1\nsize_pt = 9\ncolor = "red"',
            ),
            r"text\[0\]\.color must be a colour such as \"#1d4f91\", got 'red'",
        ),
        (
            ('title = "t"', 'title = "t"\nkinds = ["scene", "other"]'),
            r"kinds must be a list drawn from unified, scene, open",
        ),
        (
            ("min_module_mm = 0.5", 'min_module_mm = 0.5\n[values]\nname = "x"'),
            r"values\.name would hide the code's own field",
        ),
        (("title", "title = = "), r"not valid TOML"),
        (
            (
                "min_module_mm = 0.5",
                'min_module_mm = 0.5\n[[text]]\ntext = "a"\nx_mm = 1\ny_mm = 1\nsize_pt = 9\nbold = "no"',
            ),
            r"text\[0\]\.bold must be true or false, got 'no' \(text\)",
        ),
        (
            ("min_module_mm = 0.5", 'min_module_mm = 0.5\n[[text]]\ntext = "a"\nx_mm = 1\ny_mm = "1"\nsize_pt = 9'),
            r"text\[0\]\.y_mm must be a number from 0 to \d+ mm, got '1' \(text\)",
        ),
        (
            (
                "min_module_mm = 0.5",
                'min_module_mm = 0.5\n[[text]]\ntext = "a"\nx_mm = 1\ny_mm = 1\nsize_pt = 9\nindent_mm = -2',
            ),
            r"text\[0\]\.indent_mm must be a number from 0 to \d+ mm, got -2 \(whole number\)",
        ),
    ],
)
def test_bad_fields_are_refused_naming_field_limit_and_value(change: tuple[str, str], message: str):
    with pytest.raises(InputError, match=message) as caught:
        parse_template("mine", "mine.toml", MINIMAL.replace(*change, 1))
    assert str(caught.value).startswith("mine.toml: ")


def test_a_grid_larger_than_the_page_is_refused():
    text = (
        MINIMAL.replace('format = "pdf"', 'format = "pdf"\nfill = "each"')
        + """
[cell]
width_mm = 60
height_mm = 60
[grid]
columns = 2
rows = 1
x_mm = 0
y_mm = 0
"""
    )
    with pytest.raises(
        InputError, match=r"grid of 2 x 1 cells of 60 x 60 mm ends at 120 x 60 mm, outside the 100 x 100 mm page"
    ):
        parse_template("mine", "mine.toml", text.replace("size_mm = 50", "size_mm = 40"))


def test_code_view_words_for_validity_and_kind():
    view = CodeView("C0000001", "open", "https://x/", "3060 0000 0364", "公民出入境证件费")
    assert view.validity == "长期有效"
    assert view.kind_label == "开放式缴款码（一费一码）"
    from datetime import date

    dated = CodeView(
        "C0000001", "open", "https://x/", "1", "n", valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    assert dated.validity == "有效期 2026-01-01 至 2026-12-31"
