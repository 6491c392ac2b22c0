"""Registering an enterprise from typed text: dirty Persian accepted, bad input explained."""

import pytest

from rasad.errors import RasadInputError
from rasad.platform.registry.models import Enterprise
from rasad.platform.registry.services import InvalidEnterprise, register_enterprise
from rasad.platform.returns.models import Period
from rasad.platform.returns.services import get_period


@pytest.mark.django_db
def test_dirty_persian_input_is_normalised(estate):
    firm = register_enterprise(
        {
            "national_id": "۱۰۳۸۰۲۸۴۷۹۰",
            "name_fa": "نساجي  كوير",
            "name_en": " Kavir Textiles ",
            "isic": "۱۳۱۱",
            "province": "يزد",
            "estate": "T01",
            "founding_year": "۱۳۸۵",
        }
    )
    firm.refresh_from_db()
    assert (firm.national_id, firm.name_fa, firm.name_en) == (
        "10380284790",
        "نساجی کویر",
        "Kavir Textiles",
    )
    assert (firm.isic.code, firm.province.name_en, firm.estate, firm.founding_year) == (
        "1311",
        "Yazd",
        estate,
        1385,
    )


@pytest.mark.django_db
def test_every_bad_field_is_named_in_both_languages_and_nothing_is_saved(estate):
    with pytest.raises(InvalidEnterprise) as caught:
        register_enterprise(
            {
                "national_id": "11053639140",
                "name_fa": "",
                "isic": "9999",
                "province": "Atlantis",
                "founding_year": "۱۸۰۰",
            }
        )
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"national_id", "name_fa", "isic", "province", "founding_year"}
    assert "check digit" in problems["national_id"].message_en
    assert "شناسه" in problems["national_id"].message_fa
    assert "'Atlantis' is not an Iranian province" in problems["province"].message_en
    assert "«Atlantis» استان شناخته‌شده‌ای نیست" in problems["province"].message_fa
    assert "'9999' is not an ISIC Rev.4 code" in problems["isic"].message_en
    assert "ISIC" in problems["isic"].message_fa
    assert "is not a Jalali year" in problems["founding_year"].message_en
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_estate_in_another_province_is_refused(estate):
    with pytest.raises(InvalidEnterprise) as caught:
        register_enterprise(
            {
                "national_id": "10380284790",
                "name_fa": "مبلمان",
                "isic": "3100",
                "province": "Tehran",
                "estate": "T01",
            }
        )
    (problem,) = caught.value.problems
    assert problem.field == "estate"
    assert problem.message_en == "The estate Yazd is in Yazd, not in Tehran."
    assert problem.message_fa == "شهرک صنعتی یزد در استان یزد است، نه در تهران."


@pytest.mark.django_db
def test_duplicate_national_id_is_refused(enterprise):
    with pytest.raises(InvalidEnterprise) as caught:
        register_enterprise(
            {
                "national_id": enterprise.national_id,
                "name_fa": "دوم",
                "isic": "1311",
                "province": "Yazd",
            }
        )
    assert caught.value.problems[0].field == "national_id"
    assert Enterprise.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, expected", [("1403", (1403, None)), ("۱۴۰۳", (1403, None)), ("1403-Q2", (1403, 2))]
)
def test_periods_parse_from_text(text, expected):
    period = get_period(text)
    assert (period.year, period.quarter) == expected
    assert get_period(text) == period  # the same row, not a duplicate


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["1403-Q5", "14o3", "", "1403/07"])
def test_a_period_that_does_not_parse_is_refused(text):
    with pytest.raises(RasadInputError) as caught:
        get_period(text)
    assert caught.value.message_en and caught.value.message_fa
    assert not Period.objects.exists()
