"""Bad input answers with the site's own page in the reader's language (issue 6, "Bad
input"): forged or missing CSRF tokens (403), pages of another scope (403/404), oversized
or unknown query parameters (400), unknown addresses (404) and server errors (500) —
never a stack trace, never another scope's data. Run with DEBUG off, as in production."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.exceptions import BadRequest
from django.test import Client
from django.urls import path

from rasad.platform import urls as site_urls
from rasad.platform.accounts.models import Role
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Return

OTHER_ID = "14007650912"  # a real national ID (reference README), of another scope


# --- a URL configuration with the site's pages and two that fail, for 400 and 500 --------------


def _boom(request):
    raise RuntimeError("secret-internal-detail: the ledger of 14007650912")


def _refuse(request):
    raise BadRequest("secret-internal-detail")


urlpatterns = [path("test-boom/", _boom), path("test-bad/", _refuse), *site_urls.urlpatterns]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__


# --- data: an enterprise user of one enterprise, an estate manager of one estate ---------------


@pytest.fixture
def other(db):
    tehran = Province.objects.get(name_en="Tehran")
    estate = IndustrialEstate.objects.create(
        code="T02", name_fa="شهرک عباس‌آباد", name_en="Abbasabad", province=tehran
    )
    firm = Enterprise.objects.create(
        national_id=OTHER_ID,
        name_fa="مبلمان محرمانهٔ تهران",
        name_en="Confidential Tehran Furniture",
        isic=Sector.objects.get(code="3100"),
        province=tehran,
        estate=estate,
    )
    return firm


@pytest.fixture
def owner(enterprise, other, period, django_user_model):
    Return.objects.create(enterprise=enterprise, period=period)
    Return.objects.create(enterprise=other, period=period)
    return django_user_model.objects.create(
        username="owner", role=Role.ENTERPRISE, enterprise=enterprise
    )


@pytest.fixture
def manager(estate, other, django_user_model):
    user = django_user_model.objects.create(username="manager", role=Role.ESTATE_MANAGER)
    user.estates.set([estate])
    return user


def _client(user=None, language=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _persian(body: str) -> None:
    assert '<html lang="fa" dir="rtl">' in body
    _clean(body)


def _english(body: str) -> None:
    assert '<html lang="en" dir="ltr">' in body
    _clean(body)


def _clean(body: str) -> None:
    for leak in (
        "Traceback",
        "Server Error",
        "secret-internal-detail",
        "CSRF verification failed",
        "Forbidden (403)",
        "Not Found</h1>",
        "django.",
        'File "',
    ):
        assert leak not in body, leak
    assert 'href="/static/rasad/rasad.css"' in body  # the app's own style, no CDN
    # nothing loaded from elsewhere (the print footer shows the page's own address as text)
    assert not re.search(r'(src|href)="(https?:)?//', body)


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["missing", "forged"])
def test_forged_or_missing_csrf_token_gets_the_403_page_in_persian(db, token):
    client = _client(enforce_csrf_checks=True)
    data = {"username": "someone", "password": "whatever"}
    if token == "forged":
        client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
        data["csrfmiddlewaretoken"] = "b" * 32
    response = client.post("/accounts/login/", data)
    assert response.status_code == 403
    body = response.content.decode()
    _persian(body)
    assert "مهلت این فرم گذشته است" in body
    assert "صفحه را دوباره بارگذاری کنید و فرم را دوباره بفرستید" in body
    assert "چیزی ذخیره نشد" in body
    assert "۴۰۳" in body and 'id="error-reload"' in body and 'href="/accounts/login/"' in body


def test_csrf_page_in_english_when_english_is_chosen(db):
    client = _client(language="en", enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "someone", "password": "whatever"})
    assert response.status_code == 403
    body = response.content.decode()
    _english(body)
    assert "The form has expired" in body
    assert "Reload the page and send the form again." in body and "Nothing was saved." in body
    assert ">403<" in body


def test_after_the_csrf_page_the_reloaded_form_is_accepted(db):
    client = _client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403
    form = client.get("/accounts/login/")
    token = form.context["csrf_token"]
    again = client.post(
        "/accounts/login/", {"username": "x", "password": "y", "csrfmiddlewaretoken": token}
    )
    assert again.status_code == 200  # the form again, with its own "wrong password" message
    assert "مهلت این فرم گذشته است" not in again.content.decode()


def test_forged_csrf_on_a_logged_in_form_changes_nothing(owner, enterprise, period):
    client = _client(owner, enforce_csrf_checks=True)
    response = client.post(f"/returns/{enterprise.national_id}/{period.code}/", {"employees": "12"})
    assert response.status_code == 403
    assert "مهلت این فرم گذشته است" in response.content.decode()
    assert not Return.objects.get(enterprise=enterprise, period=period).current_version_id


# --- other scopes: 403 and 404 without their data -------------------------------------------------


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_guessed_scorecard_of_another_enterprise_is_not_found(owner, other, language):
    client = _client(owner, language)
    for guessed in (OTHER_ID, "۱۴۰۰۷۶۵۰۹۱۲"):  # Latin or Persian digits alike
        response = client.get(f"/enterprises/{guessed}/")
        assert response.status_code == 404
        body = response.content.decode()
        for secret in (
            other.name_fa,
            other.name_en,
            "شهرک عباس‌آباد",
            "Abbasabad",
            "Tehran",
            "تهران",
        ):
            assert secret not in body
        if language == "fa":
            _persian(body)
            assert "صفحه پیدا نشد" in body and "۴۰۴" in body
            assert "چنین صفحه‌ای وجود ندارد یا برای حساب شما باز نیست" in body
        else:
            _english(body)
            assert "Page not found" in body and "it is not open to your account" in body
    own = client.get(f"/enterprises/{owner.enterprise.national_id}/")
    assert own.status_code == 200  # the same user does see their own


def test_another_estate_on_the_estates_dashboard_is_not_found(manager, other):
    response = _client(manager).get("/estates/", {"estate": "T02"})
    assert response.status_code == 404
    body = response.content.decode()
    _persian(body)
    assert "صفحه پیدا نشد" in body and other.name_fa not in body and "شهرک عباس‌آباد" not in body


@pytest.mark.parametrize(
    "url", ["/import/", "/analysis/editions/", "/monitoring/alerts/", "/dashboard/"]
)
def test_pages_of_other_roles_answer_403_in_the_readers_language(owner, url):
    response = _client(owner).get(url)
    assert response.status_code == 403
    body = response.content.decode()
    _persian(body)
    assert "این صفحه برای حساب شما باز نیست" in body and "حساب شما به این صفحه دسترسی ندارد" in body
    assert "۴۰۳" in body
    english = _client(owner, "en").get(url)
    assert english.status_code == 403
    _english(english.content.decode())
    assert "This page is not open to your account" in english.content.decode()


def test_anonymous_users_are_sent_to_log_in_not_refused(db):
    response = Client().get("/import/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- bad query parameters: 400 --------------------------------------------------------------------


def test_an_oversized_query_parameter_answers_400_with_the_page_in_persian(manager):
    response = _client(manager).get("/estates/", {"q": "ب" * 201})
    assert response.status_code == 400
    body = response.content.decode()
    _persian(body)
    assert "این صافی‌ها شناخته نشدند. آن‌ها را از فهرست‌ها برگزینید." in body


@pytest.mark.parametrize("query", [{"sort": "salary"}, {"dir": "sideways"}])
def test_unknown_filters_answer_400_in_english_when_chosen(manager, query):
    response = _client(manager, "en").get("/estates/", query)
    assert response.status_code == 400
    body = response.content.decode()
    _english(body)
    assert "These filters are not understood. Choose them from the lists." in body


def test_too_many_query_parameters_get_the_400_page(manager):
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = _client(manager).get(f"/estates/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    _persian(body)
    assert "این درخواست مفهوم نیست" in body and "بیش از اندازه بلند است" in body and "۴۰۰" in body


@pytest.mark.parametrize(
    "language, heading",
    [("fa", "این درخواست مفهوم نیست"), ("en", "This request is not understood")],
)
def test_a_refused_request_gets_the_400_page(db, failing_urls, language, heading):
    response = _client(language=language).get("/test-bad/")
    assert response.status_code == 400
    body = response.content.decode()
    (_persian if language == "fa" else _english)(body)
    assert heading in body


# --- unknown addresses: 404 -----------------------------------------------------------------------


def test_an_unknown_address_gets_the_404_page_in_persian(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    _persian(body)
    assert "<title>صفحه پیدا نشد · رصد</title>" in body
    assert "صفحه پیدا نشد" in body and "رفتن به صفحهٔ اصلی" in body and "۴۰۴" in body
    assert 'name="language" value="en"' in body  # the layout, language switch included


def test_an_unknown_address_gets_the_404_page_in_english(db):
    response = _client(language="en").get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    _english(body)
    assert "<title>Page not found · Rasad</title>" in body
    assert (
        "Check the address, or start again from the home page." in body
        and "Go to the home page" in body
    )


def test_the_api_keeps_its_own_json_404(db):
    response = Client().get("/api/no-such-route")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


# --- server errors: 500 ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_failing_view_gets_the_500_page_without_a_traceback(db, failing_urls, language):
    response = _client(language=language, raise_request_exception=False).get("/test-boom/")
    assert response.status_code == 500
    body = response.content.decode()
    for leak in ("RuntimeError", "ledger", OTHER_ID, "_boom", "test_error_pages"):
        assert leak not in body
    if language == "fa":
        _persian(body)
        assert "خطایی پیش آمد" in body and "۵۰۰" in body
        assert "این خطا ثبت شد" in body
    else:
        _english(body)
        assert "Something went wrong" in body and "The error has been recorded." in body


def test_when_the_layout_itself_fails_a_plain_page_still_answers(db, monkeypatch):
    from rasad.platform.web import errors

    def broken(*args, **kwargs):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(errors, "render", broken)
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    _persian(body)
    assert "صفحه پیدا نشد" in body and "the database is gone" not in body
