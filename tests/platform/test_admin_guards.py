"""The admin refuses what would break a published edition (issue 16): deleting an
indicator its methodology reads, its methodology, period or ranked enterprises; and a
methodology's text is checked when added and never edited afterwards."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client

from rasad.platform.accounts.models import Role, User
from rasad.platform.rankings.bundled import bundled_text
from rasad.platform.rankings.models import EditionResult, Methodology, content_hash
from rasad.platform.returns.models import Indicator

N, SEED = 150, 5


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    with module_data(django_db_blocker):
        made = published_demo(N, SEED, "guard-analyst")
        admin = User.objects.create_user(
            "guard-admin", password="x", role=Role.ADMIN, is_staff=True, is_superuser=True
        )
        yield {**made, "admin": admin}


def _client(world, language="en") -> Client:
    client = Client()
    client.force_login(world["admin"])
    client.cookies["django_language"] = language
    return client


def test_an_indicator_a_published_edition_reads_cannot_be_deleted(world, db):
    sales = Indicator.objects.get(code="sales")
    client = _client(world)
    page = client.get(f"/admin/returns/indicator/{sales.pk}/delete/").content.decode()
    assert "The published edition" in page and "reads the indicator sales" in page
    assert world["edition"].name_en in page
    refused = client.post(f"/admin/returns/indicator/{sales.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 200 and Indicator.objects.filter(code="sales").exists()
    league = client.get(f"/api/editions/{world['edition'].pk}/league?limit=1")
    assert league.status_code == 200


def test_the_bulk_delete_refuses_it_too(world, db):
    codes = ("total_assets", "wages")  # the first is read by the methodology, the second not
    picked = list(Indicator.objects.filter(code__in=codes).values_list("pk", flat=True))
    page = _client(world).post(
        "/admin/returns/indicator/",
        {"action": "delete_selected", "_selected_action": picked, "post": "yes"},
    )
    assert page.status_code == 200 and "reads the indicator total_assets" in page.content.decode()
    assert Indicator.objects.filter(code__in=codes).count() == 2


def test_the_refusal_is_in_persian_by_default(world, db):
    sales = Indicator.objects.get(code="sales")
    page = _client(world, "fa").get(f"/admin/returns/indicator/{sales.pk}/delete/").content.decode()
    assert 'dir="rtl"' in page and "sales" in page and world["edition"].name_fa in page


def test_an_indicator_no_published_edition_reads_can_be_deleted(world, db):
    wages = Indicator.objects.get(code="wages")
    response = _client(world).post(f"/admin/returns/indicator/{wages.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Indicator.objects.filter(code="wages").exists()


def test_other_code_cannot_delete_it_either(world, db):
    with pytest.raises(ProtectedError), transaction.atomic():
        Indicator.objects.filter(code="employees").delete()
    assert Indicator.objects.filter(code="employees").exists()


def test_an_indicators_code_is_not_editable(world, db):
    sales = Indicator.objects.get(code="sales")
    page = _client(world).get(f"/admin/returns/indicator/{sales.pk}/change/").content.decode()
    assert 'name="code"' not in page and 'name="name_fa"' in page


@pytest.mark.parametrize(
    ("what", "why"),
    [
        ("period", "ranks the returns of this period"),
        ("methodology", "was computed with this methodology"),
        ("enterprise", "ranks this enterprise"),
    ],
)
def test_what_the_database_protects_is_refused_saying_which_edition_holds_it(world, db, what, why):
    edition = world["edition"]
    model, target = {
        "period": ("returns/period", edition.period),
        "methodology": ("rankings/methodology", edition.methodology),
        "enterprise": (
            "registry/enterprise",
            EditionResult.objects.filter(edition=edition).first().enterprise,
        ),
    }[what]
    url = f"/admin/{model}/{target.pk}/delete/"
    client = _client(world)
    page = client.get(url).content.decode()
    assert f"The published edition “{edition.name_en}”" in page and why in page
    assert "doesn&#x27;t have permission" not in page and "have permission" not in page
    assert client.post(url, {"post": "yes"}).status_code == 200
    assert type(target).objects.filter(pk=target.pk).exists()


def test_a_period_no_published_edition_ranks_can_still_be_deleted(world, db):
    from rasad.platform.returns.models import Period

    spare = Period.objects.create(year=1390)
    assert (
        _client(world)
        .post(f"/admin/returns/period/{spare.pk}/delete/", {"post": "yes"})
        .status_code
        == 302
    )
    assert not Period.objects.filter(pk=spare.pk).exists()


# --- methodologies ---------------------------------------------------------------------------


def _add(client, text, version="test-1"):
    return client.post(
        "/admin/rankings/methodology/add/",
        {"name_fa": "آزمون", "name_en": "Test", "version": version, "text": text},
    )


def test_an_invalid_methodology_is_a_form_error_in_the_readers_language(world, db):
    broken = bundled_text("sme100").replace("unit: national_id", "unit: [national_id")
    english = _add(_client(world), broken)
    assert english.status_code == 200
    page = english.content.decode()
    assert (
        "The methodology file is not valid" in page
        and "not valid YAML" in page
        and "errorlist" in page
    )
    persian = _add(_client(world, "fa"), broken).content.decode()
    assert "متن YAML معتبر نیست" in persian
    unknown = _add(
        _client(world), bundled_text("sme100").replace("steps:", "stepz:")
    ).content.decode()
    assert "stepz" in unknown and "errorlist" in unknown
    assert not Methodology.objects.filter(version="test-1").exists()


def test_a_valid_methodology_is_added_once(world, db):
    text = bundled_text("sme100") + "\n# a copy with a comment\n"
    client = _client(world)
    assert (
        _add(client, text.replace("\n", "\r\n")).status_code == 302
    )  # as a browser sends a textarea
    added = Methodology.objects.get(version="test-1")
    assert (
        added.created_by == world["admin"]
        and added.text == text
        and added.sha256 == content_hash(text)
    )
    again = _add(client, text, version="test-2")
    assert again.status_code == 200 and "already stored" in again.content.decode()


def test_a_methodologys_text_is_never_edited(world, db):
    methodology = world["edition"].methodology
    client = _client(world)
    url = f"/admin/rankings/methodology/{methodology.pk}/change/"
    assert 'name="text"' not in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name_fa": methodology.name_fa,
            "name_en": "Renamed",
            "version": methodology.version,
            "text": "name: {fa: x, en: y}\n",
        },
    )
    assert response.status_code == 302
    methodology.refresh_from_db()
    assert methodology.name_en == "Renamed" and methodology.text == bundled_text("sme100")


@pytest.mark.django_db
def test_the_admin_has_the_sites_font_and_is_right_to_left_in_persian():
    """Issue 18: the Django admin ignored the site's font and layout."""
    from django.contrib.staticfiles import finders

    client = Client()
    page = client.get("/admin/login/").content.decode()
    assert 'dir="rtl"' in page and "admin/css/rtl.css" in page and "rasad/admin.css" in page
    css = open(finders.find("rasad/admin.css"), encoding="utf-8").read()
    assert "Vazirmatn-Variable.woff2" in css and "--font-family-primary" in css
    client.cookies["django_language"] = "en"
    english = client.get("/admin/login/").content.decode()
    assert 'dir="ltr"' in english and "rasad/admin.css" in english
