"""The policy briefs (issue 17): national, province, estate and cluster, in Persian and
English; their text read back by pdftotext in logical order, their charts images; who
may download which (the same rules as the pages they summarise); the command line.

One demo population with a published edition serves the module. The places' order is
checked against the monitoring run the pages use (the largest priority tier first)."""

from __future__ import annotations

import functools
import re

import pytest
from django.db.models import Count

from pdfs import pdf_text
from rasad.cli import main
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.clusters_web import compute as clusters
from rasad.platform.monitoring import compute
from rasad.platform.registry.models import Cluster, IndustrialEstate
from rasad.platform.reports import brief
from rasad.platform.reports.brief import clusters as brief_clusters
from rasad.platform.reports.brief import needs as brief_needs
from rasad.platform.reports.models import RenderedReport

N, SEED = 300, 7
ROLES = ("anonymous", "public", "enterprise", "estate_manager", "analyst", "admin")
QUEUED, HIDDEN = 302, 404  # a brief one may read is queued for a worker; others do not exist


def plain(text: str) -> str:
    """Text without ZWNJ (pdftotext may drop it where a glyph joins), line breaks, and
    spaces beside numbers (pdftotext moves the space before a number in Persian text to
    its other side)."""
    text = " ".join(text.replace("\u200c", "").split())
    return re.sub(r"\s*([0-9۰-۹]+)\s*", r"\1", text)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    clusters.clear()
    with module_data(django_db_blocker):
        try:
            made = published_demo(N, SEED, "brief-analyst")
            by_size = IndustrialEstate.objects.annotate(n=Count("enterprises")).order_by(
                "-n", "code"
            )
            estate, other = by_size[0], by_size[1]
            cluster = Cluster.objects.annotate(n=Count("members")).order_by("-n", "code").first()
            outsider = IndustrialEstate.objects.exclude(pk__in=[estate.pk, other.pk]).first()
            own = outsider.enterprises.first() if outsider else None
            users = {
                "anonymous": None,
                "public": User.objects.create_user("b-public", password="x", role=Role.PUBLIC),
                "enterprise": User.objects.create_user(
                    "b-enterprise", password="x", role=Role.ENTERPRISE, enterprise=own
                ),
                "estate_manager": User.objects.create_user(
                    "b-estate", password="x", role=Role.ESTATE_MANAGER
                ),
                "analyst": made["analyst"],
                "admin": User.objects.create_user(
                    "b-admin", password="x", role=Role.PUBLIC, is_superuser=True, is_staff=True
                ),
            }
            users["estate_manager"].estates.set([estate])
            yield {
                **made,
                "users": users,
                "estate": estate,
                "other": other,
                "province": estate.province,
                "cluster": cluster,
                "keys": {
                    "national": "national",
                    "province": f"province:{estate.province.code}",
                    "estate": f"estate:{estate.code}",
                    "other_estate": f"estate:{other.code}",
                    "cluster": f"cluster:{cluster.code}",
                },
            }
        finally:
            compute.clear()
            clusters.clear()


@functools.cache
def rendered(key: str, language: str) -> bytes:
    return brief.render(key, language=language)


def login(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def priority_order(by: str, units=None) -> list[str]:
    """The places of the needs matrix by ``by``, largest priority tier first, in Persian."""
    people = compute.population()
    needs = compute.run_for(people.default.year, people).needs
    if units is not None:
        needs = needs.scoped(units)
    names = people.estates if by == "estate" else people.clusters if by == "cluster" else None
    matrix = needs.matrix(by, members=people.members, names=names)
    matrix = matrix[matrix["enterprises"] > 0].sort_values(
        ["priority_enterprises", "enterprises"], ascending=False, kind="stable"
    )
    return list(matrix["name_fa"])


def in_order(text: str, names: list[str]) -> bool:
    positions = [plain(text).find(plain(n)) for n in names]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


def year(world, persian: bool) -> str:
    y = str(compute.population().default.year)
    return to_persian_digits(y) if persian else y


def test_the_national_brief_in_persian(world, db):
    content = rendered("national", "fa")
    text = pdf_text(content)
    assert plain("گزارش سیاستی ملی نیازهای بنگاه‌های کوچک و متوسط") in plain(text)
    last = to_persian_digits(
        str(max(p for p in compute.population().periods if p < world["period"].year))
    )
    assert plain(f"اظهارنامه‌های {year(world, True)} در مقایسه با {last}") in plain(text)
    # the places with the largest priority tier first, as the core counts them
    assert in_order(text, priority_order("province")[:5])
    assert in_order(text, priority_order("estate")[:5])
    assert in_order(text, priority_order("cluster"))
    assert "تأمین مالی" in text and "۱۴۰۲" in text  # finance; compared with last year
    assert content.count(b"/Subtype /Image") >= 3  # three charts, as pictures
    assert 3 <= text.count("\f") <= 12  # pages


def test_the_national_brief_in_english(world, db):
    text = pdf_text(rendered("national", "en"))
    assert "National policy brief on the needs of SMEs" in text
    assert f"The returns of {year(world, False)}" in text
    assert "Finance" in text and "What changed since" in text
    assert not any("\u06f0" <= c <= "\u06f9" for c in text)  # Latin digits only
    assert all(n in text for n in Cluster.objects.values_list("name_en", flat=True)[:3])


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_province_brief(world, db, language):
    province = world["province"]
    content = rendered(world["keys"]["province"], language)
    text = plain(pdf_text(content))
    if language == "fa":
        assert plain(f"گزارش سیاستی استان {province.name_fa}") in text
        units = set(province.enterprises.values_list("national_id", flat=True))
        assert in_order(text, priority_order("estate", units)[:3])
    else:
        assert f"Policy brief of {province.name_en} province" in text
        assert world["estate"].name_en in text
    assert content.count(b"/Subtype /Image") >= 3


@pytest.mark.parametrize("language", ["fa", "en"])
def test_an_estate_brief(world, db, language):
    estate = world["estate"]
    content = rendered(world["keys"]["estate"], language)
    text = plain(pdf_text(content))
    name = estate.name_fa if language == "fa" else estate.name_en
    title = "گزارش سیاستی {}" if language == "fa" else "Policy brief of {}"
    assert plain(title.format(name)) in text
    assert content.count(b"/Subtype /Image") >= 3
    assert world["other"].name_en not in text and plain(world["other"].name_fa) not in text


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_cluster_brief(world, db, language):
    cluster = world["cluster"]
    content = rendered(world["keys"]["cluster"], language)
    text = pdf_text(content)
    name = cluster.name_fa if language == "fa" else cluster.name_en
    title = "گزارش سیاستی {}" if language == "fa" else "Policy brief of {}"
    assert plain(title.format(name)) in plain(text)
    assert content.count(b"/Subtype /Image") >= 2  # by severity, and against last year
    assert 2 <= text.count("\f") <= 6


def test_a_small_clusters_needs_are_withheld(world, db, monkeypatch):
    for section in (brief_needs, brief_clusters):  # as if it had too few filing members
        monkeypatch.setattr(section, "MIN_CELL", 10_000)
    text = plain(pdf_text(brief.render(world["keys"]["cluster"], language="en")))
    assert "their needs are not shown" in text
    assert "Needs by support programme" not in text and "Filed a return" not in text


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_place_without_enterprises_has_a_brief_that_says_so(world, db, language):
    empty = IndustrialEstate.objects.annotate(n=Count("enterprises")).filter(n=0).first()
    if empty is None:  # the demo registers every estate's firms; make one with none
        empty = IndustrialEstate.objects.create(
            code="empty-estate",
            name_fa="شهرک خالی",
            name_en="Empty estate",
            province=world["province"],
        )
    text = plain(pdf_text(brief.render(f"estate:{empty.code}", language=language)))
    said = {
        "fa": "هیچ بنگاهی در این مکان ثبت نشده است.",
        "en": "No enterprise is registered in this place.",
    }
    assert plain(said[language]) in text
    assert "Filed a return" not in text and plain("اظهارنامه فرستاده‌اند") not in text


def test_unknown_places_are_no_brief(world, db):
    for key in ("province:31", "province:07", "estate:nowhere", "cluster:", "nation", "x:1"):
        assert brief.version(key) is None, key
    assert brief.filename(world["keys"]["estate"], "fa") == (
        f"brief-estate-{world['estate'].code}-{compute.population().default.year}-fa.pdf"
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_may_download_which_brief(world, client, db, role, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = login(client, world, role)
    readers = {
        "national": {"analyst", "admin"},
        "province": {"analyst", "admin"},
        "estate": {"estate_manager", "analyst", "admin"},
        "other_estate": {"analyst", "admin"},
        "cluster": set(ROLES),
    }
    for what, key in world["keys"].items():
        response = client.get(f"/reports/brief/{key}.pdf?lang=fa")
        expected = QUEUED if role in readers[what] else HIDDEN
        assert response.status_code == expected, (role, key)
        if expected == QUEUED:
            assert response["Location"] == f"/reports/brief/{key}/?lang=fa"
    assert not RenderedReport.objects.filter(status="done").exists()  # a worker renders them


def test_a_brief_downloads_once_rendered(world, client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RASAD_JOBS_INLINE = True
    key = world["keys"]["cluster"]
    response = client.get(f"/reports/brief/{key}.pdf?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="brief-cluster-{world["cluster"].code}-' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_pages_offer_their_briefs(world, client, db):
    keys = world["keys"]
    login(client, world, "analyst")
    pages = {
        "/dashboard/": keys["national"],
        "/monitoring/needs/": keys["national"],
        f"/estates/?estate={world['estate'].code}": keys["estate"],
        f"/clusters/provinces/{world['province'].code}/": keys["province"],
        f"/clusters/{world['cluster'].code}/": keys["cluster"],
    }
    for url, key in pages.items():
        page = client.get(url).content.decode()
        assert f'href="/reports/brief/{key}.pdf?lang=fa"' in page, url
        assert f'href="/reports/brief/{key}.pdf?lang=en"' in page, url
    client.logout()
    login(client, world, "estate_manager")
    for url in ("/monitoring/needs/", "/estates/"):
        page = client.get(url).content.decode()
        assert f'data-brief="{keys["estate"]}"' in page, url
        assert "/reports/brief/national.pdf" not in page
    client.logout()  # anyone sees a cluster's brief, not its province's
    page = client.get(f"/clusters/{world['cluster'].code}/").content.decode()
    assert f'data-brief="{keys["cluster"]}"' in page
    page = client.get(f"/clusters/provinces/{world['province'].code}/").content.decode()
    assert "data-brief" not in page


def test_the_command_line_writes_a_brief(world, db, tmp_path):
    out = tmp_path / "brief.pdf"
    assert (
        main(["report", "brief", world["keys"]["cluster"], "--out", str(out), "--lang", "fa"]) == 0
    )
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["report", "brief", "estate:nowhere", "--out", str(out)]) == 2
