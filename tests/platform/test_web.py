"""The pages a newcomer sees after `make run`: Persian first, RTL, served without internet."""

import re

import pytest
from django.db.models import Count
from django.http import HttpRequest  # authenticate() needs one: axes refuses logins without it
from django.test import override_settings

from rasad.demo import generate
from rasad.platform.demo_data import DEMO_PASSWORD, load_demo
from rasad.platform.registry.models import Province


@pytest.fixture
def demo(db):
    return load_demo(generate(n_enterprises=250, seed=11))


def test_home_is_persian_and_right_to_left_by_default(demo, client):
    page = client.get("/").content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "رصد" in page and "بنگاه" in page
    assert "۲۵۰" in page  # the number of enterprises, in Persian digits
    busiest = Province.objects.annotate(n=Count("enterprises")).order_by("-n").first()
    assert busiest.name_fa in page


def test_home_switches_to_english(demo, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "Enterprises by province" in page and "250" in page


def test_home_dates_are_jalali_in_persian(demo, client):
    page = client.get("/").content.decode()
    assert "۱۴۰۳/۰۱/۰۱" in page and "۱۴۰۳/۱۲/۳۰" in page  # fiscal year 1403, a leap year


def test_empty_registry_says_how_to_fill_it(db, client):
    page = client.get("/").content.decode()
    assert "rasad demo load" in page


def test_demo_user_logs_in(demo, client):
    response = client.post(
        "/accounts/login/", {"username": "demo-estate", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert "demo-estate" in client.get("/").content.decode()


def test_wrong_password_is_explained(demo, client):
    page = client.post(
        "/accounts/login/", {"username": "demo-estate", "password": "nope"}
    ).content.decode()
    assert "errorlist" in page or "errors" in page


@override_settings(RASAD_SHOW_DEMO_LOGINS=True)
def test_login_page_lists_demo_accounts_only_in_demo_mode(demo, client):
    assert "demo-analyst" in client.get("/accounts/login/").content.decode()
    with override_settings(RASAD_SHOW_DEMO_LOGINS=False):
        assert "demo-analyst" not in client.get("/accounts/login/").content.decode()


def test_pages_load_nothing_from_the_internet(demo, client):
    for url in ("/", "/accounts/login/"):
        page = client.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', page), url


def test_font_and_stylesheet_are_served_by_the_app(client, db):
    css = client.get("/static/rasad/rasad.css")
    assert css.status_code == 200
    body = b"".join(css.streaming_content) if css.streaming else css.content
    assert b"Vazirmatn-Variable.woff2" in body
    font = client.get("/static/rasad/fonts/Vazirmatn-Variable.woff2")
    assert font.status_code == 200


def test_admin_is_in_persian(demo, client):
    client.login(request=HttpRequest(), username="demo-admin", password=DEMO_PASSWORD)
    page = client.get("/admin/").content.decode()
    assert 'dir="rtl"' in page and "بنگاه" in page


def test_an_english_browser_still_gets_persian_until_it_chooses(demo, client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="fa"' in page
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()


def test_estate_counts_by_kind_are_counts_of_estates(demo, client):
    from rasad.platform.registry.models import IndustrialEstate

    client.cookies["django_language"] = "en"
    page = client.get("/").content.decode()
    estates = IndustrialEstate.objects.filter(kind="estate").count()
    zones = IndustrialEstate.objects.filter(kind="zone").count()
    assert f"industrial estates: {estates:,}" in page and f"industrial zones: {zones:,}" in page


def test_admin_adds_an_enterprise_typed_in_persian_digits(demo, client):
    from rasad.platform.registry.models import Enterprise, Sector

    client.login(request=HttpRequest(), username="demo-admin", password=DEMO_PASSWORD)
    yazd = Province.objects.get(name_en="Yazd")
    form = {
        "national_id": "۱۴۰۰۷۶۵۰۹۱۲",
        "name_fa": "كاشي نمونه",
        "name_en": "",
        "isic": Sector.objects.get(code="2392").pk,
        "province": yazd.pk,
        "estate": "",
        "founding_year": "1390",
    }
    response = client.post("/admin/registry/enterprise/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    firm = Enterprise.objects.get(national_id="14007650912")
    assert firm.name_fa == "کاشی نمونه"
    form["national_id"] = "11053639140"
    page = client.post("/admin/registry/enterprise/add/", form).content.decode()
    assert "رقم کنترل (رقم آخر) با بقیه نمی‌خواند" in page
    assert Enterprise.objects.filter(name_fa="کاشی نمونه").count() == 1
