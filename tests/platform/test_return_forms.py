"""The return form: one field per catalogue indicator, Persian digits accepted, drafts,
the import's own checks with every error beside its field, scope from the querysets."""

import re

import pytest

from rasad.platform.accounts.models import User
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Indicator, Return, ReturnDraft, ReturnVersion

OTHER_ID, OUTSIDE_ID = "14007650912", "10320894878"


@pytest.fixture
def world(enterprise, estate, period):
    """`own` in the estate T01 (Yazd), `other` in another estate, `outside` in none."""
    tehran = Province.objects.get(name_en="Tehran")
    other_estate = IndustrialEstate.objects.create(
        code="T02", name_fa="شهرک عباس‌آباد", province=tehran
    )
    other = Enterprise.objects.create(
        national_id=OTHER_ID,
        name_fa="مبلمان تهران",
        name_en="Tehran Furniture",
        isic=Sector.objects.get(code="3100"),
        province=tehran,
        estate=other_estate,
    )
    outside = Enterprise.objects.create(
        national_id=OUTSIDE_ID,
        name_fa="بیرون از شهرک",
        name_en="Outside",
        isic=Sector.objects.get(code="3100"),
        province=tehran,
    )
    return {
        "own": enterprise,
        "other": other,
        "outside": outside,
        "estate": estate,
        "period": period,
    }


def login(client, world, role):
    if role == "anonymous":
        return None
    scope = {}
    if role == "loose_enterprise":
        role = "enterprise"
    elif role == "enterprise":
        scope["enterprise"] = world["own"]
    user = User.objects.create(username=f"u-{role}", role=role, **scope)
    if role == "estate_manager":
        user.estates.set([world["estate"]])
    client.force_login(user)
    return user


def url(firm, period="1403"):
    return f"/returns/{firm.national_id}/{period}/"


def field_html(page: str, code: str) -> str:
    return re.search(rf'<div class="field[^"]*" id="field-{code}">(.*?)</div>', page, re.S).group(1)


def english(client):
    client.cookies["django_language"] = "en"
    return client


# --- scope: every role against every enterprise ------------------------------------------------

MATRIX = [
    ("anonymous", set()),
    ("public", set()),
    ("loose_enterprise", set()),  # an enterprise account not yet tied to its enterprise
    ("enterprise", {"own"}),
    ("estate_manager", {"own"}),
    ("analyst", {"own", "other", "outside"}),
    ("admin", {"own", "other", "outside"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role, allowed", MATRIX)
def test_form_opens_only_within_scope(client, world, role, allowed):
    login(client, world, role)
    for key in ("own", "other", "outside"):
        response = client.get(url(world[key]))
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(
                "/accounts/login/"
            )
        else:
            assert response.status_code == (200 if key in allowed else 404), (role, key)


@pytest.mark.django_db
@pytest.mark.parametrize("role, allowed", MATRIX)
def test_submitting_outside_scope_stores_nothing(client, world, role, allowed):
    login(client, world, role)
    for key in ("own", "other", "outside"):
        for action in ("submit", "draft"):
            response = client.post(url(world[key]), {"action": action, "employees": "12"})
            expected = (
                302
                if role == "anonymous"
                else 302
                if key in allowed and action == "submit"
                else 200
                if key in allowed
                else 404
            )
            assert response.status_code == expected, (role, key, action)
    stored = {
        key
        for key in ("own", "other", "outside")
        if Return.objects.filter(enterprise=world[key]).exists()
    }
    assert stored == (set() if role == "anonymous" else allowed)
    drafts = {
        key
        for key in ("own", "other", "outside")
        if ReturnDraft.objects.filter(enterprise=world[key]).exists()
    }
    assert drafts <= stored


@pytest.mark.django_db
@pytest.mark.parametrize("role, allowed", MATRIX)
def test_list_shows_only_the_users_enterprises(client, world, role, allowed):
    login(client, world, role)
    response = client.get("/returns/")
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role in ("public", "loose_enterprise"):
        assert response.status_code == 403
        return
    page = response.content.decode()
    shown = {key for key in ("own", "other", "outside") if world[key].name_fa in page}
    assert shown == allowed


@pytest.mark.django_db
def test_nav_offers_the_data_pages_only_to_those_who_may_use_them(client, world):
    login(client, world, "public")
    page = client.get("/").content.decode()
    assert 'href="/returns/"' not in page and 'href="/import/"' not in page
    client.logout()
    login(client, world, "enterprise")
    page = client.get("/").content.decode()
    assert (
        'href="/returns/"' in page and 'href="/import/"' not in page
    )  # an enterprise uses the form
    client.logout()
    login(client, world, "estate_manager")
    page = client.get("/").content.decode()
    assert 'href="/returns/"' in page and 'href="/import/"' in page


# --- the form ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_has_one_field_per_indicator_with_units(client, world):
    login(client, world, "enterprise")
    page = client.get(url(world["own"])).content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    for indicator in Indicator.objects.all():
        assert f'id="field-{indicator.code}"' in page
    assert "فروش" in field_html(page, "sales") and "میلیون ریال" in field_html(page, "sales")
    page = english(client).get(url(world["own"])).content.decode()
    assert "Sales" in field_html(page, "sales") and "million rials" in field_html(page, "sales")
    assert "Employees" in field_html(page, "employees") and "persons" in field_html(
        page, "employees"
    )


@pytest.mark.django_db
def test_persian_digits_and_separators_save_the_right_floats(client, world):
    user = login(client, world, "enterprise")
    response = client.post(
        url(world["own"]),
        {
            "action": "submit",
            "employees": "۳۰",
            "sales": "۱۲٬۵۰۰٫۵",
            "exports": "1,200",
            "export_countries": "٣",
            "capacity_utilisation": "۷۵٪",
            "iso9001": "1",
        },
    )
    assert response.status_code == 302
    record = Return.objects.get(enterprise=world["own"], period=world["period"])
    assert record.current_version.values() == {
        "employees": 30.0,
        "sales": 12500.5,
        "exports": 1200.0,
        "export_countries": 3.0,
        "capacity_utilisation": 75.0,
        "iso9001": 1.0,
    }
    version = record.current_version
    assert (version.number, version.source, version.created_by) == (
        1,
        ReturnVersion.Source.FORM,
        user,
    )
    # shown back in Persian digits, and the same figures again change nothing
    page = client.get(response["Location"]).content.decode()
    assert 'value="۱۲٬۵۰۰٫۵"' in page and "نسخهٔ ۱" in page
    client.post(
        url(world["own"]),
        {
            "action": "submit",
            "employees": "30",
            "sales": "12500.5",
            "exports": "۱۲۰۰",
            "export_countries": "3",
            "capacity_utilisation": "75",
            "iso9001": "1",
        },
    )
    assert record.versions.count() == 1


@pytest.mark.django_db
def test_draft_then_submit(client, world):
    login(client, world, "estate_manager")
    firm = world["own"]
    response = client.post(url(firm), {"action": "draft", "employees": "۴۰", "sales": "۹۰۰"})
    assert response.status_code == 200
    assert "پیش‌نویس ذخیره شد" in response.content.decode()
    assert not Return.objects.filter(enterprise=firm).exists()
    draft = ReturnDraft.objects.get(enterprise=firm, period=world["period"])
    assert draft.values["employees"] == "۴۰" and draft.values["sales"] == "۹۰۰"

    page = client.get(url(firm)).content.decode()
    assert 'value="۴۰"' in field_html(page, "employees")
    assert (
        "draft" in client.get("/returns/").content.decode()
        or "پیش‌نویس" in client.get("/returns/").content.decode()
    )

    client.post(url(firm), {"action": "draft", "employees": "۴۱", "sales": "۹۰۰"})
    assert (
        ReturnDraft.objects.count() == 1 and ReturnDraft.objects.get().values["employees"] == "۴۱"
    )

    response = client.post(url(firm), {"action": "submit", "employees": "۴۱", "sales": "۹۰۰"})
    assert response.status_code == 302
    assert Return.objects.get(enterprise=firm).current_version.values() == {
        "employees": 41.0,
        "sales": 900.0,
    }
    assert not ReturnDraft.objects.exists()


@pytest.mark.django_db
def test_discarding_a_draft(client, world):
    login(client, world, "enterprise")
    client.post(url(world["own"]), {"action": "draft", "employees": "5"})
    assert ReturnDraft.objects.exists()
    assert client.post(url(world["own"]), {"action": "discard"}).status_code == 302
    assert not ReturnDraft.objects.exists() and not Return.objects.exists()


@pytest.mark.django_db
def test_errors_sit_beside_their_fields_and_nothing_is_stored(client, world):
    login(client, world, "analyst")
    english(client)
    response = client.post(
        url(world["other"]),
        {
            "action": "submit",
            "employees": "abc",
            "sales": "1000",
            "exports": "۵۰۰۰",
            "export_countries": "2",
            "capacity_utilisation": "120",
            "wages": "300",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="refused"' in page
    assert "field-error" in field_html(page, "employees") and "not a number" in field_html(
        page, "employees"
    )
    assert "exceed" in field_html(page, "exports") and "has-error" in re.search(
        r'<div class="field[^"]*" id="field-exports">', page
    ).group(0)
    assert "100%" in field_html(page, "capacity_utilisation")
    assert "field-error" not in field_html(page, "wages") and "field-error" not in field_html(
        page, "sales"
    )
    assert 'value="abc"' in field_html(page, "employees")  # what was typed stays for correction
    assert (
        not Return.objects.exists()
        and not ReturnVersion.objects.exists()
        and not ReturnDraft.objects.exists()
    )


@pytest.mark.django_db
def test_error_beside_its_field_in_persian(client, world):
    login(client, world, "enterprise")
    page = client.post(
        url(world["own"]), {"action": "submit", "sales": "۱۰۰", "exports": "۲۰۰"}
    ).content.decode()
    assert "از فروش" in field_html(page, "exports") and "field-error" in field_html(page, "exports")
    assert not Return.objects.exists()


@pytest.mark.django_db
def test_warnings_are_shown_but_accepted(client, world):
    login(client, world, "enterprise")
    english(client)
    figures = {"total_assets": "100", "total_liabilities": "50", "equity": "10"}
    response = client.post(url(world["own"]), {"action": "submit", **figures}, follow=True)
    page = response.content.decode()
    stored = Return.objects.get(enterprise=world["own"]).current_version.values()
    assert stored == {"total_assets": 100.0, "total_liabilities": 50.0, "equity": 10.0}
    warning = re.search(r'<li class="warning">(.*?)</li>', page, re.S).group(1)
    assert warning.startswith("Equity:") and "assets minus" in warning

    # a draft shows the same warning beside its field
    page = client.post(url(world["own"]), {"action": "draft", **figures}).content.decode()
    assert "field-warning" in field_html(page, "equity")


@pytest.mark.django_db
def test_a_correction_is_a_new_version_and_the_old_is_kept(client, world):
    login(client, world, "enterprise")
    english(client)
    client.post(url(world["own"]), {"action": "submit", "employees": "10"})
    response = client.post(url(world["own"]), {"action": "submit", "employees": "11"}, follow=True)
    assert "Return submitted: version 2." in response.content.decode()
    record = Return.objects.get(enterprise=world["own"])
    assert [v.values() for v in record.versions.order_by("number")] == [
        {"employees": 10.0},
        {"employees": 11.0},
    ]
    response = client.post(url(world["own"]), {"action": "submit", "employees": "11"}, follow=True)
    assert "Nothing changed" in response.content.decode()


@pytest.mark.django_db
def test_returns_from_files_and_the_demo_show_their_history(client, world):
    from rasad.platform.returns.services import record_return

    record_return(
        world["own"],
        world["period"],
        {"employees": 9.0},
        user=None,
        source=ReturnVersion.Source.DEMO,
    )
    login(client, world, "enterprise")
    page = english(client).get(url(world["own"])).content.decode()
    assert "demo population" in page and 'value="9"' in field_html(page, "employees")


@pytest.mark.django_db
def test_period_urls(client, world):
    login(client, world, "analyst")
    response = client.get(f"/returns/{world['own'].national_id}/۱۴۰۳/")
    assert response.status_code == 302 and response["Location"] == url(world["own"])
    persian_id = world["own"].national_id.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert client.get(f"/returns/{persian_id}/1403/")["Location"] == url(world["own"])
    assert client.get(url(world["own"], "1390")).status_code == 404  # not a period offered
    assert client.get(url(world["own"], "1403-07")).status_code == 404  # a month
    assert client.get(url(world["own"], "nonsense")).status_code == 404
    assert client.get("/returns/12345678901/1403/").status_code == 404


@pytest.mark.django_db
def test_last_fiscal_year_is_offered_before_its_period_exists(client, world):
    from django.utils import timezone

    from rasad.iran.periods import Period as JalaliPeriod
    from rasad.platform.returns.models import Period

    last = JalaliPeriod.containing(timezone.localdate()).year - 1
    assert not Period.objects.filter(year=last).exists()
    login(client, world, "enterprise")
    assert client.get(url(world["own"], str(last))).status_code == 200
    assert not Period.objects.filter(year=last).exists()  # looking creates nothing
    client.post(url(world["own"], str(last)), {"action": "submit", "employees": "7"})
    assert Return.objects.get(period__year=last).current_version.values() == {"employees": 7.0}


@pytest.mark.django_db
def test_list_status_submitted_draft_missing(client, world):
    login(client, world, "analyst")
    english(client)
    client.post(url(world["own"]), {"action": "submit", "employees": "10"})
    client.post(url(world["other"]), {"action": "draft", "employees": "10"})
    page = client.get("/returns/").content.decode()
    rows = dict(re.findall(r"<tr>\s*<td>([^<]+)</td>(.*?)</tr>", page, re.S))
    assert 'status submitted" href="/returns/10380284790/1403/"' in rows["Sample Yazd Textiles"]
    assert 'status draft" href="/returns/14007650912/1403/"' in rows["Tehran Furniture"]
    assert 'status missing" href="/returns/10320894878/1403/"' in rows["Outside"]
    assert "1 of 3 submitted" in page
    page = client.get("/returns/?q=Tehran").content.decode()
    assert "Tehran Furniture" in page and "Sample Yazd Textiles" not in page
    page = client.get("/returns/?q=۱۰۳۸").content.decode()
    assert "Sample Yazd Textiles" in page and "Tehran Furniture" not in page
