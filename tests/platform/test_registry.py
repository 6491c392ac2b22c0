"""Registry: reference data seeded from package data, and bad input refused in both languages."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from rasad.methodologies import load_catalogue
from rasad.platform.registry.models import (
    Enterprise,
    IndustrialEstate,
    Province,
    Sector,
    name_or_id_matches,
)
from rasad.platform.returns.models import Indicator

VALID_IDS_LIST = ["10380284790", "14007650912", "10320894878"]  # real IDs (reference README)


@pytest.mark.django_db
def test_reference_data_is_seeded_by_migrate():
    assert Province.objects.count() == 31
    assert Province.objects.get(code=21).name_en == "Yazd"
    assert Province.objects.get(iso="IR-21").name_fa == "یزد"
    counts = {level: Sector.objects.filter(level=level).count() for level in Sector.Level.values}
    assert counts == {"section": 21, "division": 88, "group": 238, "class": 419}
    textiles = Sector.objects.get(code="1311")
    assert (
        textiles.parent.code,
        textiles.parent.parent.code,
        textiles.parent.parent.parent.code,
    ) == ("131", "13", "C")
    assert Sector.objects.get(code="13").title_fa == "ساخت منسوجات"
    assert Indicator.objects.count() == len(load_catalogue())


def _enterprise(**overrides):
    fields = dict(
        national_id=VALID_IDS_LIST[1],
        name_fa="کاشی نمونه",
        isic=Sector.objects.get(code="2392"),
        province=Province.objects.get(name_en="Yazd"),
    )
    fields.update(overrides)
    return Enterprise(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["11053639140", "10380285692", "1038028479", "1038028479x"])
def test_invalid_national_id_is_refused_in_both_languages(bad_id):
    for language, expected in (("fa", "شناسه"), ("en", "national ID")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            _enterprise(national_id=bad_id).full_clean()
        assert expected in " ".join(caught.value.message_dict["national_id"])
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_national_id_must_be_unique(enterprise):
    with pytest.raises(ValidationError) as caught:
        _enterprise(national_id=enterprise.national_id).full_clean()
    assert "national_id" in caught.value.message_dict


@pytest.mark.django_db
def test_estate_must_lie_in_the_enterprise_province(estate):
    tehran = Province.objects.get(name_en="Tehran")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _enterprise(province=tehran, estate=estate).full_clean()
    assert caught.value.message_dict["estate"] == ["The estate Yazd is in Yazd, not in Tehran."]
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        _enterprise(province=tehran, estate=estate).full_clean()
    assert caught.value.message_dict["estate"] == ["شهرک صنعتی یزد در یزد است، نه در تهران."]


@pytest.mark.django_db
def test_enterprise_hangs_on_an_isic_class():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _enterprise(isic=Sector.objects.get(code="23")).full_clean()
    assert "isic" in caught.value.message_dict


@pytest.mark.django_db
def test_bilingual_names_follow_the_language(estate):
    with translation.override("fa"):
        assert str(estate) == "شهرک صنعتی یزد"
    with translation.override("en"):
        assert str(estate) == "Yazd"
    assert IndustrialEstate.objects.get().kind == IndustrialEstate.Kind.ESTATE


def test_search_reads_space_and_zwnj_arabic_letters_and_digits_alike(yazd):
    """Issue 18: "ریخته گری" found 0 firms where "ریخته‌گری" found 71."""
    isic = Sector.objects.get(code="1311")
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                national_id=VALID_IDS_LIST[0], name_fa="ریخته‌گری البرز", isic=isic, province=yazd
            ),
            Enterprise(
                national_id=VALID_IDS_LIST[1], name_fa="صنايع كاشي ۲۰۰۰", isic=isic, province=yazd
            ),
            Enterprise(
                national_id=VALID_IDS_LIST[2], name_fa="نساجی یزد", isic=isic, province=yazd
            ),
        ]
    )
    Enterprise.objects.filter(national_id=VALID_IDS_LIST[2]).update(name_fa="ریخته گری یزد")

    def found(query):
        return sorted(
            Enterprise.objects.filter(name_or_id_matches(query)).values_list("pk", flat=True)
        )

    foundry = sorted(
        Enterprise.objects.filter(
            national_id__in=[VALID_IDS_LIST[0], VALID_IDS_LIST[2]]
        ).values_list("pk", flat=True)
    )
    for query in ("ریخته گری", "ریخته‌گری", "ريخته  گري", "ریخته\u200c\u200cگری"):
        assert found(query) == foundry, query
    tiles = [Enterprise.objects.get(national_id=VALID_IDS_LIST[1]).pk]
    for query in ("صنایع کاشی", "کاشی 2000", "كاشي ٢٠٠٠", "کاشی ۲۰۰۰"):
        assert found(query) == tiles, query
    assert found("۱۰۳۸۰") == [Enterprise.objects.get(national_id=VALID_IDS_LIST[0]).pk]
    assert name_or_id_matches("  ") is None
