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
