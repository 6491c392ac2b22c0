"""Money units and header aliases."""

from fractions import Fraction

import pytest

from rasad.errors import RasadInputError
from rasad.intake import default_fields, parse_unit
from rasad.intake.units import find_unit_in, unit

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("فروش (ریال)", "rials"),
        ("فروش (ريال)", "rials"),  # Arabic yeh
        ("ارقام به هزار ریال", "thousand_rials"),
        (f"مبالغ به میلیون{ZWNJ}ریال", "million_rials"),
        ("Sales, bn rials", "billion_rials"),
        ("درآمد (هزار تومان)", "thousand_tomans"),
        ("Revenue (IRR)", "rials"),
        ("ارزش ریالی صادرات", None),  # "ریالی" (in rials, adjective) is not a unit
        ("Trial sales", None),
        (None, None),
    ],
)
def test_units_found_in_headers(text, code):
    found = find_unit_in(text)
    assert (found.code if found else None) == code


def test_unit_factors_are_exact():
    assert unit("rials").convert(12_345_000_000) == 12_345.0
    assert unit("tomans").convert(1_234_500_000) == 12_345.0
    assert unit("billion_tomans").factor == Fraction(10_000)
    assert unit("thousand_rials").convert(0.1) == pytest.approx(0.0001)


def test_unit_column_cells_must_be_a_unit_only():
    assert parse_unit("هزار ريال").code == "thousand_rials"
    assert parse_unit(" Million Rials ").code == "million_rials"
    assert parse_unit("million_rials").code == "million_rials"
    with pytest.raises(RasadInputError) as caught:
        parse_unit("ریال یا تومان")
    assert "تومان" in caught.value.message_fa and "tomans" in caught.value.message_en
    with pytest.raises(RasadInputError):
        unit("dollars")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("شناسه ملی", "national_id"),
        (f"شناسه{ZWNJ}ی ملی", "national_id"),
        ("National ID", "national_id"),
        ("نام بنگاه", "name_fa"),
        ("Name (Persian)", "name_fa"),
        ("Name (English)", "name_en"),
        ("سال تاسيس", "founding_year"),  # no hamza, Arabic yeh
        ("سال تأسیس", "founding_year"),
        ("كد فعاليت (ISIC)", "isic_class"),
        ("فروش (میلیون ریال)", "sales"),
        ("فروش به ریال", "sales"),
        ("Sales (thousand rials)", "sales"),
        ("تعداد کارکنان", "employees"),
        ("ارزش صادرات / Exports", "exports"),
        ("شرکت دانش‌بنیان (بله/خیر) / Certified knowledge-based firm (yes/no)", "knowledge_based"),
        ("net_profit", "net_profit"),
        ("Name", None),  # ambiguous: Persian or English name?
        ("رنگ", None),
    ],
)
def test_header_aliases(header, field):
    assert default_fields().match(header) == field


def test_every_catalogue_indicator_is_a_field_with_its_names():
    fields = default_fields()
    for spec in fields.catalogue:
        assert fields.match(spec.name_fa) == spec.code
        assert fields.match(spec.name_en) == spec.code
        assert fields[spec.code].indicator is spec
