from decimal import Decimal

import pytest

from qrpay import InputError, NotFoundError, load_catalog


def test_first_batch_has_the_eighteen_items_of_the_notice():
    catalog = load_catalog()
    assert list(catalog.items) == [f"{n:02d}" for n in range(1, 19)]
    assert catalog.item("09").name == "不动产登记费"
    assert catalog.item("18").department == "交警"
    assert catalog.item("04").name == "义务教育阶段住宿费（城市学校）"


def test_unified_groups_and_emergency_flags_follow_the_brief():
    catalog = load_catalog()
    assert catalog.group("traffic-fine").items == ("18",)
    assert catalog.group("education").items == ("01", "02", "03", "04")
    assert [item.code for item in catalog.emergency_items()] == ["05", "06", "07", "08", "09"]
    assert all(item.payers == ("个人", "企业") for item in catalog.items.values())


def test_single_digit_item_codes_are_accepted():
    assert load_catalog().item("9").code == "09"


def test_unknown_item_and_group_name_the_way_out():
    catalog = load_catalog()
    with pytest.raises(NotFoundError, match="qrpay catalog"):
        catalog.item("42")
    with pytest.raises(NotFoundError, match="education, traffic-fine"):
        catalog.group("parking")


def test_user_file_adds_a_later_batch_item_and_overrides_a_shipped_one(tmp_path):
    user = tmp_path / "catalog.toml"
    user.write_text(
        '[items."19"]\ndepartment = "人社"\nname = "人事考试报名费"\nemergency = true\n'
        'amount_min = 50\namount_max = "300.00"\n\n'
        '[items."09"]\namount_max = 550\n',
        encoding="utf-8",
    )
    catalog = load_catalog(user)
    exam = catalog.item("19")
    assert (exam.name, exam.emergency, exam.amount_min, exam.amount_max) == (
        "人事考试报名费",
        True,
        Decimal("50"),
        Decimal("300.00"),
    )
    assert catalog.item("09").amount_max == Decimal("550")
    assert catalog.item("09").name == "不动产登记费"  # untouched fields stay
    assert "19" in [item.code for item in catalog.emergency_items()]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[items."100"]\ndepartment = "x"\nname = "y"\n', "two digits"),
        ('[items."19"]\nname = "y"\n', "department is required"),
        ('[items."19"]\ndepartment = "x"\nname = "y"\npayers = ["游客"]\n', "payers"),
        ('[items."19"]\ndepartment = "x"\nname = "y"\namount_min = -5\n', "positive"),
        ('[items."19"]\ndepartment = "x"\nname = "y"\namount_min = 10\namount_max = 5\n', "above"),
        ('[items."19"]\ndepartment = "x"\nname = "y"\ncolour = "red"\n', "unknown field"),
        ('[groups.parking]\nnumber = 91\nitems = ["18"]\n', "share a number"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_bad_user_catalog_is_refused_with_the_file_and_field_named(tmp_path, text, message):
    user = tmp_path / "catalog.toml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_catalog(user)
    assert str(user) in str(info.value)


# -- typed validation: file, key, expected and found in every message --------------------------


def _load_user(tmp_path, text: str):
    from qrpay.codes.catalog import load_catalog

    path = tmp_path / "catalog.toml"
    path.write_text(text, "utf-8")
    return path, lambda: load_catalog(path)


@pytest.mark.parametrize(
    ("text", "key", "expected", "found"),
    [
        ('[items."05"]\nemergency = "no"\n', "items.05.emergency", "true or false", "'no' (text)"),
        ('[items."05"]\nemergency = 1\n', "items.05.emergency", "true or false", "1 (whole number)"),
        ('[items."05"]\nname = 5\n', "items.05.name", "non-empty text", "5 (whole number)"),
        ('[items."05"]\namount_max = -3\n', "items.05.amount_max", "a positive amount", "-3 (whole number)"),
        ('[items."05"]\npayers = "个人"\n', "items.05.payers", "a list of text", "'个人' (text)"),
        ("[groups.education]\nnumber = 100\n", "groups.education.number", "a whole number from 90 to 99", "100"),
        ('[departments."公安"]\ncomplaints = 110\n', "departments.公安.complaints", "text", "110 (whole number)"),
    ],
)
def test_a_wrongly_typed_catalog_field_is_refused_naming_file_key_expected_and_found(
    tmp_path, text, key, expected, found
):
    path, load = _load_user(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load()
    message = str(caught.value)
    assert message.startswith(f"{path}: {key} must be ") and expected in message and found in message


def test_an_unknown_catalog_field_is_refused(tmp_path):
    _, load = _load_user(tmp_path, '[items."05"]\nemergncy = true\n')
    with pytest.raises(InputError, match="unknown field.*emergncy"):
        load()


def test_catalog_carries_basis_english_names_and_a_complaints_line_per_department(tmp_path):
    _, load = _load_user(tmp_path, '[departments."公安"]\ncomplaints = "0571-00000000"\n')
    catalog = load()
    assert all(item.basis for item in catalog.items.values())
    assert catalog.items["05"].name_en and catalog.items["07"].name_en and not catalog.items["06"].name_en
    assert catalog.print_fields(catalog.items["05"])["complaints"] == "0571-00000000"
    assert catalog.print_fields(catalog.items["09"])["complaints"].startswith("12345")
