"""Every role walks its main pages in a real browser, in Persian and then in English
(issue 6, Proof): the public (anonymous), an enterprise user, an estate manager, an
analyst and an administrator log in through the login form, open each page the role can
reach, switch language with the site's own switch and walk again; the pages another role
owns answer with the 403/404 page in the reader's language.

On every page: status 200, ``<html dir lang>`` right for the language, the page's own
heading in that language, no stack trace, and on Persian pages no key label left in
English and no Latin digits in the heading. A screenshot of every role × page × language
is written for a person to look at (see conftest.py: ``$RASAD_SCREENSHOTS``).

The demo population is small (150 enterprises, an edition of 20 uncertainty runs) and is
loaded once for the module: the data are committed to the (in-memory) test database,
served by one live server for the whole module, and flushed afterwards (the flush's
post_migrate restores the reference tables), so the walk costs seconds of setup rather
than a reload per role.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, load_demo

# django_db: the test database must exist (pytest-django creates it only when some test asks
# for it), and each walk runs in a transaction rolled back after it (sessions, last logins).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

LATIN_DIGIT = re.compile(r"[0-9]")
PERSIAN_DIGIT = re.compile(r"[۰-۹]")
PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")
# Labels that must never show in English on a Persian page (whole words, as they are written).
KEY_LABELS = re.compile(
    r"\b(Top 100|Home|Log in|Log out|Methodology|League tables?|Score|Rank|Province|Sector|"
    r"Enterprises?|Estates?|Alerts?|Returns?|Clusters?|Dashboard|Editions?|Pillars?|Needs|Period|"
    r"Status|Search|Show|Next|Previous|Submit|Save|Download|Size band|Indicator|Published|"
    r"Employees|Sales|Exports)\b"
)
SERVER_ERRORS = (
    "Traceback",
    "Server Error",
    "Internal Server Error",
    "TemplateSyntaxError",
    "NoReverseMatch",
    "VariableDoesNotExist",
)


# --- the data and the server, once for the module ------------------------------------------------


@pytest.fixture(scope="module")
def site(browser, django_db_setup, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    from rasad.platform.clusters_web import compute as clusters
    from rasad.platform.monitoring import compute as monitoring
    from rasad.platform.rankings import jobs
    from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
    from rasad.platform.rankings.models import Edition
    from rasad.platform.rankings.services import publish_edition
    from rasad.platform.registry.models import Cluster, Enterprise
    from rasad.platform.returns.models import Period

    hashers = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        monitoring.clear()
        clusters.clear()
        try:
            load_demo(generate(n_enterprises=150, seed=7))
            analyst = User.objects.get(username=DEMO_USERS[Role.ANALYST])
            year = (
                Period.objects.filter(quarter__isnull=True, returns__isnull=False)
                .order_by("-year")
                .first()
            )
            edition = Edition.objects.create(
                name_fa=f"ویرایش آزمایشی {year.code}".translate(
                    str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
                ),
                name_en=f"Test edition {year.code}",
                period=year,
                methodology=bundled_methodology(analyst),
                created_by=analyst,
            )
            job = jobs.run_job(
                jobs.start_compute(
                    edition, analyst, spec_text=bundled_spec(), runs=20, sensitivity_n=0
                ).pk
            )
            assert job.status == "done", job.error_en
            publish_edition(edition, analyst)

            owner = User.objects.get(username=DEMO_USERS[Role.ENTERPRISE]).enterprise
            manager = User.objects.get(username=DEMO_USERS[Role.ESTATE_MANAGER])
            estate = manager.estates.get()
            in_estate = (
                Enterprise.objects.filter(estate=estate)
                .exclude(pk=owner.pk)
                .order_by("national_id")
                .first()
            )
            outside = (
                Enterprise.objects.exclude(estate=estate)
                .exclude(pk=owner.pk)
                .order_by("national_id")
                .first()
            )
            cluster = Cluster.objects.order_by("code").first()
            facts = {
                "edition": edition.pk,
                "edition_fa": edition.name_fa,
                "edition_en": edition.name_en,
                "year": year.code,
                "owner": owner.national_id,
                "owner_fa": owner.name_fa,
                "owner_en": owner.name_en,
                "in_estate": in_estate.national_id,
                "in_estate_fa": in_estate.name_fa,
                "in_estate_en": in_estate.name_en,
                "outside": outside.national_id,
                "outside_fa": outside.name_fa,
                "outside_en": outside.name_en,
                "cluster": cluster.code,
                "cluster_fa": cluster.name_fa,
                "cluster_en": cluster.name_en,
                "province": owner.province.code,
                "province_fa": owner.province.name_fa,
                "province_en": owner.province.name_en,
            }
            server = LiveServer("localhost")
            server._live_server_modified_settings.enable()
            try:
                yield {**facts, "url": server.url}
            finally:
                server._live_server_modified_settings.disable()
                server.stop()
        finally:
            call_command(
                "flush", interactive=False, verbosity=0
            )  # post_migrate refills the reference tables
            monitoring.clear()
            clusters.clear()
            # Under Playwright's greenlet this fixture has its own connections: close them, or
            # PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()
            settings.PASSWORD_HASHERS = hashers


@pytest.fixture
def page(browser, site, csp_watch):
    """This module's own page: on the module's live server (not the per-test one)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=site["url"], locale="fa-IR"
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    violations = csp_watch(opened)
    yield opened
    context.close()
    assert not violations, violations


# --- walking --------------------------------------------------------------------------------------


def log_in(page, role):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", DEMO_USERS[role])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def switch_to_english(page):
    page.goto("/")
    page.click("header button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"


def _nav_text(page) -> str:
    """The menu's words, without the user's name (a username is Latin in any language)."""
    return page.evaluate("""() => { const found = document.querySelector('header.topbar nav');
        if (!found) return ''; const nav = found.cloneNode(true);
        nav.querySelectorAll('.who, [lang]').forEach(e => e.remove()); return nav.innerText; }""")


def _heading(page) -> str:
    admin = page.locator("#content h1")
    return (admin.first if admin.count() else page.locator("main h1").first).inner_text()


def check(page, language: str, heading: str, *, status: int = 200, response=None):
    if response is not None:
        assert response.status == status, (page.url, response.status)
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
    title = _heading(page)
    assert heading in title, (page.url, title, heading)
    body = page.inner_text("body")
    for error in SERVER_ERRORS:
        assert error not in body, (page.url, error)
    if page.locator(
        "header.topbar"
    ).count():  # the site's pages (not Django's admin) use the app's own font
        assert page.evaluate("""async () => { await document.fonts.ready;
            return [...document.fonts].some(
              f => f.family.includes('Vazirmatn') && f.status === 'loaded'); }"""), page.url
    if language == "fa":
        assert not LATIN_DIGIT.search(title), (page.url, title)
        for style in page.eval_on_selector_all(
            "main ol", "lists => lists.map(l => getComputedStyle(l).listStyleType)"
        ):
            assert style in ("none", "persian"), (page.url, style)  # ۱. ۲. not 1. 2.
        nav = _nav_text(page)
        assert not re.search(r"[A-Za-z]", nav), (page.url, nav)
        main = (
            page.inner_text("main") if page.locator("main").count() else page.inner_text("#content")
        )
        left = KEY_LABELS.findall(main)
        assert not left, (page.url, left)
    else:
        assert not PERSIAN_DIGIT.search(title), (page.url, title)
        nav = _nav_text(page)
        assert not PERSIAN_LETTER.search(nav), (page.url, nav)


class Walk:
    def __init__(self, page, screenshots, role: str):
        self.page, self.screenshots, self.role, self.n = page, screenshots, role, 0

    def visit(
        self,
        language: str,
        slug: str,
        url: str,
        heading: str,
        where: str = "",
        text: str = "",
        *,
        status: int = 200,
    ):
        response = self.page.goto(url)
        self.page.wait_for_load_state()
        check(self.page, language, heading, status=status, response=response)
        if where:
            assert self.page.inner_text(where).strip() == text, (url, where)
        self.n += 1
        self.page.screenshot(
            path=self.screenshots / f"{self.role}-{language}-{self.n:02d}-{slug}.png",
            full_page=True,
        )

    def refused(self, language: str, slug: str, url: str, status: int):
        heading = {
            ("fa", 403): "این صفحه برای حساب شما باز نیست",
            ("en", 403): "This page is not open to your account",
            ("fa", 404): "صفحه پیدا نشد",
            ("en", 404): "Page not found",
        }[language, status]
        self.visit(language, f"refused-{slug}", url, heading, status=status)
        assert self.page.get_attribute("#error-page", "data-status") == str(status)


def common_pages(site, language: str) -> list[tuple]:
    fa = language == "fa"
    edition = site["edition_fa"] if fa else site["edition_en"]
    return [
        (
            "home",
            "/",
            "رصد: رصدخانهٔ بنگاه‌های کوچک و متوسط"
            if fa
            else "Rasad: the observatory of small and medium enterprises",
        ),
        ("top100", "/top100/", edition, ".tabs a.on", "۱۰۰ برتر" if fa else "Top 100"),
        ("editions", "/editions/", "ویرایش‌های منتشرشده" if fa else "Published editions"),
        (
            "league",
            f"/editions/{site['edition']}/league/",
            edition,
            ".tabs a.on",
            "جدول‌های رده‌بندی" if fa else "League tables",
        ),
        (
            "methodology",
            f"/editions/{site['edition']}/methodology/",
            edition,
            "#tree h2",
            "محورها، شاخص‌ها و وزن‌ها" if fa else "Pillars, indicators and weights",
        ),
        ("clusters", "/clusters/", "خوشه‌های صنعتی" if fa else "Industrial clusters"),
        (
            "cluster",
            f"/clusters/{site['cluster']}/",
            site["cluster_fa"] if fa else site["cluster_en"],
        ),
        (
            "province",
            f"/clusters/provinces/{site['province']}/",
            f"تخصص {site['province_fa']}" if fa else f"Specialisation of {site['province_en']}",
        ),
    ]


def scorecard(site, which: str, language: str) -> tuple[str, str, str]:
    return (f"scorecard-{which}", f"/enterprises/{site[which]}/", site[f"{which}_{language}"])


def returns_pages(site, language: str, national_id: str, name: str) -> list[tuple]:
    fa = language == "fa"
    year = site["year"]
    return [
        ("returns", "/returns/", "اظهارنامه‌های دوره‌ای" if fa else "Periodic returns"),
        (
            "return-form",
            f"/returns/{national_id}/{year}/",
            f"اظهارنامهٔ {name}" if fa else f"Return of {name}",
        ),
    ]


def monitoring_pages(language: str) -> list[tuple]:
    fa = language == "fa"
    return [
        ("estates", "/estates/", "داشبورد شهرک‌ها" if fa else "Estates dashboard"),
        ("alerts", "/monitoring/alerts/", "صندوق هشدارها" if fa else "Alerts inbox"),
        ("needs", "/monitoring/needs/", "ماتریس نیازها" if fa else "Needs matrix"),
        (
            "import",
            "/import/",
            "ورود بنگاه‌ها و اظهارنامه‌ها از فایل"
            if fa
            else "Import enterprises and returns from a file",
        ),
    ]


def analyst_pages(language: str) -> list[tuple]:
    fa = language == "fa"
    return [
        ("dashboard", "/dashboard/", "داشبورد ملی" if fa else "National dashboard"),
        (
            "analysis-editions",
            "/analysis/editions/",
            "ویرایش‌های رتبه‌بندی" if fa else "Ranking editions",
        ),
    ]


# --- the roles ------------------------------------------------------------------------------------


def test_the_public_walks_the_public_pages(site, page, screenshots):
    walk = Walk(page, screenshots, "public")
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        for slug, url, heading, *more in common_pages(site, language):
            walk.visit(language, slug, url, heading, *more)
        # confidential pages send the anonymous reader to the login form
        for url in (
            f"/enterprises/{site['owner']}/",
            "/estates/",
            "/returns/",
            "/analysis/editions/",
        ):
            page.goto(url)
            assert "/accounts/login/" in page.url
            check(page, language, "ورود" if language == "fa" else "Log in")
    walk.n = 90
    walk.visit("en", "login", "/accounts/login/", "Log in")
    # a logged-in public account is refused the data-entry pages with the 403 page
    log_in(page, Role.PUBLIC)
    walk.refused("en", "returns", "/returns/", 403)
    walk.refused("en", "scorecard", f"/enterprises/{site['owner']}/", 404)
    page.goto("/")
    page.click("header button[name=language][value=fa]")
    page.wait_for_load_state()
    walk.refused("fa", "returns", "/returns/", 403)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_forged_form_and_a_server_error_answer_in_the_readers_language(
    site, page, screenshots, language
):
    """A form whose CSRF token was tampered with gets the 403 page saying to reload; the 500
    page (rendered as Django's server_error renders it) is styled and in the language."""
    from django.template import loader
    from django.utils import translation

    walk = Walk(page, screenshots, "errors")
    walk.n = 0 if language == "fa" else 10
    if language == "en":
        page.goto("/")
        switch_to_english(page)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", DEMO_USERS[Role.ANALYST])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.eval_on_selector("main input[name=csrfmiddlewaretoken]", "e => e.value = 'x'.repeat(64)")
    with page.expect_navigation() as sent:
        page.click("main button[type=submit]")
    heading = "مهلت این فرم گذشته است" if language == "fa" else "The form has expired"
    check(page, language, heading, status=403, response=sent.value)
    assert page.is_visible("#error-reload")
    page.screenshot(path=screenshots / f"errors-{language}-01-csrf.png", full_page=True)
    page.click("#error-reload")  # reloading gives a fresh form that logs in
    page.wait_for_load_state()
    page.fill("input[name=username]", DEMO_USERS[Role.ANALYST])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url

    with translation.override(language):
        html = loader.render_to_string("500.html")
    page.goto("/")
    page.set_content(html)
    assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
    assert page.inner_text("h1") == (
        "خطایی پیش آمد" if language == "fa" else "Something went wrong"
    )
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.error-page')).borderTopStyle")
        == "solid"
    )
    page.screenshot(path=screenshots / f"errors-{language}-02-500.png", full_page=True)


def test_an_enterprise_user_walks_their_pages(site, page, screenshots):
    walk = Walk(page, screenshots, "enterprise")
    log_in(page, Role.ENTERPRISE)
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        name = site[f"owner_{language}"]
        common = common_pages(site, language)
        pages = [
            *common[:2],
            *common[3:5],
            scorecard(site, "owner", language),
            *returns_pages(site, language, site["owner"], name),
        ]
        for slug, url, heading, *more in pages:
            walk.visit(language, slug, url, heading, *more)
        walk.refused(language, "import", "/import/", 403)
        walk.refused(language, "dashboard", "/dashboard/", 403)
        walk.refused(language, "estates", "/estates/", 403)
        walk.refused(language, "analysis", "/analysis/editions/", 403)
        walk.refused(language, "other-scorecard", f"/enterprises/{site['outside']}/", 404)
        body = page.inner_text("body")
        assert site["outside_fa"] not in body and site["outside_en"] not in body


def test_an_estate_manager_walks_their_pages(site, page, screenshots):
    walk = Walk(page, screenshots, "estate")
    log_in(page, Role.ESTATE_MANAGER)
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        name = site[f"in_estate_{language}"]
        common = common_pages(site, language)
        pages = [
            *common[:2],
            common[3],
            *common[5:7],
            scorecard(site, "in_estate", language),
            *monitoring_pages(language),
            *returns_pages(site, language, site["in_estate"], name),
        ]
        for slug, url, heading, *more in pages:
            walk.visit(language, slug, url, heading, *more)
        walk.refused(language, "dashboard", "/dashboard/", 403)
        walk.refused(language, "analysis", "/analysis/editions/", 403)
        walk.refused(language, "outside-scorecard", f"/enterprises/{site['outside']}/", 404)


def test_an_analyst_walks_every_page(site, page, screenshots):
    walk = Walk(page, screenshots, "analyst")
    log_in(page, Role.ANALYST)
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        name = site[f"outside_{language}"]
        pages = [
            *common_pages(site, language),
            scorecard(site, "outside", language),
            *monitoring_pages(language),
            *analyst_pages(language),
            *returns_pages(site, language, site["outside"], name),
        ]
        for slug, url, heading, *more in pages:
            walk.visit(language, slug, url, heading, *more)
        # managing users is the administrator's: the admin site asks for a staff login
        page.goto("/admin/")
        assert "/admin/login/" in page.url


def test_an_administrator_walks_every_page_and_the_admin(site, page, screenshots):
    walk = Walk(page, screenshots, "admin")
    log_in(page, Role.ADMIN)
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        pages = [
            *common_pages(site, language)[:2],
            scorecard(site, "owner", language),
            *monitoring_pages(language)[:1],
            *analyst_pages(language),
            (
                "admin",
                "/admin/",
                "ثبت بنگاه‌ها، اظهارنامه‌ها و رتبه‌بندی‌ها"
                if language == "fa"
                else "Registry, returns and rankings",
            ),
        ]
        for slug, url, heading, *more in pages:
            walk.visit(language, slug, url, heading, *more)
        assert ("کاربران" if language == "fa" else "Users") in page.inner_text("#content")


def test_main_pages_run_under_the_content_security_policy(site, page, screenshots, csp_watch):
    """Issue 16: the policy is sent, and the main pages, the job page's script, the
    admin and Swagger UI (served locally, its script a static file) all work under it
    with no violation on the console."""
    seen = csp_watch(page)
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    log_in(page, Role.ADMIN)
    for url in (
        "/",
        "/top100/",
        f"/editions/{site['edition']}/league/",
        "/estates/",
        "/dashboard/",
        "/monitoring/needs/",
        "/clusters/",
        f"/analysis/editions/{site['edition']}/",
        "/admin/",
        "/admin/registry/enterprise/",
        "/accounts/login/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    page.goto("/api/docs")
    page.wait_for_selector(
        ".swagger-ui .info .title", timeout=30_000
    )  # Swagger UI rendered the schema
    page.click(".opblock-summary >> nth=0")  # its own script answers a click
    page.click(".opblock-body .try-out__btn")
    page.click(".opblock-body .execute")  # a request from the page (connect-src 'self')
    status = page.locator(".opblock-body .live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip().startswith("200")
    page.screenshot(path=str(screenshots / "csp-api-docs.png"))
    assert seen == [], seen
