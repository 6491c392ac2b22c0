"""Who may see confidential figures (DESIGN §5), enforced by the querysets themselves."""

import pytest
from django.contrib.auth.models import AnonymousUser

from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Return

VALID_IDS_LIST = ["10380284790", "14007650912", "10320894878"]  # real IDs (reference README)


@pytest.fixture
def world(enterprise, estate, period):
    tehran = Province.objects.get(name_en="Tehran")
    other_estate = IndustrialEstate.objects.create(
        code="T02", name_fa="شهرک عباس‌آباد", province=tehran
    )
    other = Enterprise.objects.create(
        national_id=VALID_IDS_LIST[1],
        name_fa="مبلمان تهران",
        isic=Sector.objects.get(code="3100"),
        province=tehran,
        estate=other_estate,
    )
    outside = Enterprise.objects.create(
        national_id=VALID_IDS_LIST[2],
        name_fa="بیرون از شهرک",
        isic=Sector.objects.get(code="3100"),
        province=tehran,
    )
    for firm in (enterprise, other, outside):
        Return.objects.create(enterprise=firm, period=period)
    return {"own": enterprise, "other": other, "outside": outside, "estate": estate}


def _user(django_user_model, role, **scope):
    estates = scope.pop("estates", [])
    user = django_user_model.objects.create(username=f"u-{role}", role=role, **scope)
    user.estates.set(estates)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", set()),
        ("public", set()),
        ("enterprise", {"own"}),
        ("estate_manager", {"own"}),
        ("analyst", {"own", "other", "outside"}),
        ("admin", {"own", "other", "outside"}),
    ],
)
def test_confidential_scope_by_role(world, django_user_model, role, expected):
    if role == "anonymous":
        user = AnonymousUser()
    elif role == "enterprise":
        user = _user(django_user_model, role, enterprise=world["own"])
    elif role == "estate_manager":
        user = _user(django_user_model, role, estates=[world["estate"]])
    else:
        user = _user(django_user_model, role)
    names = {key for key, firm in world.items() if key != "estate"}
    visible = set(Enterprise.objects.confidential_to(user))
    assert {k for k in names if world[k] in visible} == expected
    returns = {r.enterprise for r in Return.objects.visible_to(user)}
    assert {k for k in names if world[k] in returns} == expected


@pytest.mark.django_db
def test_inactive_users_and_unscoped_enterprise_users_see_nothing(world, django_user_model):
    analyst = _user(django_user_model, "analyst")
    analyst.is_active = False
    assert not Enterprise.objects.confidential_to(analyst).exists()
    loose = django_user_model.objects.create(username="loose", role="enterprise")
    assert not Return.objects.visible_to(loose).exists()


@pytest.mark.django_db
def test_superuser_acts_as_administrator(world, django_user_model):
    root = django_user_model.objects.create(username="root", role="public", is_superuser=True)
    assert Enterprise.objects.confidential_to(root).count() == 3
