import pytest

from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Period

VALID_IDS = ["10380284790", "14007650912", "10320894878"]  # real IDs (reference README)


@pytest.fixture
def yazd(db):
    return Province.objects.get(name_en="Yazd")


@pytest.fixture
def estate(yazd):
    return IndustrialEstate.objects.create(code="T01", name_fa="شهرک صنعتی یزد", name_en="Yazd", province=yazd)


@pytest.fixture
def enterprise(yazd, estate):
    return Enterprise.objects.create(
        national_id=VALID_IDS[0], name_fa="نساجی نمونه یزد", name_en="Sample Yazd Textiles",
        isic=Sector.objects.get(code="1311"), province=yazd, estate=estate, founding_year=1385,
    )


@pytest.fixture
def period(db):
    return Period.objects.create(year=1403)
