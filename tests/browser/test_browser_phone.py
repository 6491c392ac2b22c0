"""Every page on a 390 px phone, and the main pages under axe-core (issue 18, items 4 and 6).

Each role walks the pages it can reach at 390 × 844 CSS pixels, in Persian and then in
English: the page is never wider than the screen (``scrollWidth`` ≤ ``innerWidth``; a
wide table may scroll inside its own wrapper, the page may not), the navigation is folded
behind its menu button and opens, still within the screen, and a screenshot of every role
× page × language is written for a person to look at (conftest.py: ``$RASAD_SCREENSHOTS``,
``phone-<role>-<language>-<n>-<page>.png``).

On the main pages axe-core (package.json; ``npm ci``) runs in the page, in both languages,
at desktop and phone widths: no violation of serious or critical impact. Without axe-core
that test skips, saying why — and fails under CI, as the browser tests do.

The data and the live server are test_browser_roles.py's (its module fixture ``site``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from test_browser_roles import (
    analyst_pages,
    check,
    common_pages,
    log_in,
    monitoring_pages,
    returns_pages,
    scorecard,
    site,  # noqa: F401  (the module's data and live server, shared)
    switch_to_english,
)

from rasad.platform.accounts.models import Role

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
IN_CI = bool(os.environ.get("CI") or os.environ.get("RASAD_CI"))  # as conftest.py
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# What sticks out of the screen, for the failure's message: the outermost elements whose
# box leaves the viewport and that are not inside a scrolling wrapper of their own.
OVERFLOW = """() => {
  const width = window.innerWidth, root = document.documentElement;
  const out = [];
  const scrolls = e => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if (s === 'auto' || s === 'scroll' || s === 'hidden') return true;
    }
    return false;
  };
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || (r.right <= width + 1 && r.left >= -1)) continue;
    if (scrolls(e)) continue;
    const parent = e.parentElement.getBoundingClientRect();
    if (parent.right > width + 1 || parent.left < -1) {
      if (e.parentElement !== document.body) continue;
    }
    out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${
      e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().replace(/\\s+/g, '.') : ''
    } [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return {scroll: root.scrollWidth, inner: width, out: out.slice(0, 12)};
}"""


@pytest.fixture
def phone(browser, site, csp_watch):  # noqa: F811
    context = browser.new_context(
        viewport=PHONE, base_url=site["url"], locale="fa-IR", has_touch=True
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    violations = csp_watch(opened)
    yield opened
    context.close()
    assert not violations, violations


def too_wide(page) -> dict | None:
    """What makes the page wider than the screen (1 px of rounding allowed), or None."""
    seen = page.evaluate(OVERFLOW)
    return None if seen["scroll"] <= seen["inner"] + 1 else seen


class PhoneWalk:
    def __init__(self, page, screenshots, role: str):
        self.page, self.screenshots, self.role, self.n = page, screenshots, role, 0
        self.wide: dict[str, dict] = {}  # every page too wide, reported at the end of the walk

    def fits(self, language: str) -> None:
        if seen := too_wide(self.page):
            self.wide[f"{language} {self.page.url}"] = seen

    def shot(self, language: str, slug: str) -> None:
        self.n += 1
        self.page.screenshot(
            path=self.screenshots / f"phone-{self.role}-{language}-{self.n:02d}-{slug}.png",
            full_page=True,
        )

    def visit(self, language: str, slug: str, url: str, heading: str, *more, status=200):
        response = self.page.goto(url)
        self.page.wait_for_load_state()
        check(self.page, language, heading, status=status, response=response)
        self.fits(language)
        self.shot(language, slug)

    def menu(self, language: str) -> None:
        """The navigation is folded behind its button, opens within the screen, closes."""
        page = self.page
        nav = page.locator("header.topbar nav")
        button = page.locator("header.topbar details.menu > summary")
        assert button.is_visible() and not nav.is_visible(), page.url
        with translation.override(language):  # "منو" once the catalogue has it
            assert button.inner_text().strip() == gettext("Menu")
        button.click()
        assert nav.is_visible()
        links = nav.locator("a")
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"] + 1
        self.fits(language)
        self.shot(language, "menu")
        button.click()
        assert not nav.is_visible()


def walk(page, screenshots, role: str, pages_of, *, log=True) -> None:
    if log:
        log_in(page, role)
    walker = PhoneWalk(page, screenshots, role.lower() if log else "public")
    for language in ("fa", "en"):
        if language == "en":
            switch_to_english(page)
        pages = pages_of(language)
        for slug, url, heading, *more in pages:
            walker.visit(language, slug, url, heading, *more)
        walker.menu(language)
    assert not walker.wide, json.dumps(walker.wide, ensure_ascii=False, indent=1)


def edition_pages(site, language: str) -> list[tuple]:  # noqa: F811
    """The analyst's pages of one edition: its review, its computation job, a new one."""
    from rasad.platform.rankings.models import EditionJob

    fa = language == "fa"
    job = EditionJob.objects.filter(edition_id=site["edition"]).order_by("-pk").first()
    return [
        ("edition-review", f"/analysis/editions/{site['edition']}/", site[f"edition_{language}"]),
        (
            "edition-job",
            f"/analysis/jobs/{job.pk}/",
            "محاسبهٔ ویرایش" if fa else "Computing the edition",
        ),
        ("edition-new", "/analysis/editions/new/", "ویرایش تازه" if fa else "New edition"),
    ]


def import_report(page, site, language: str) -> tuple:  # noqa: F811
    """Upload a small CSV with a planted error and return the report page to visit."""
    header = "شناسه ملی,نام بنگاه,کد آیسیک,استان,شهرک صنعتی,دوره,تعداد شاغلان,فروش (میلیون ریال)"
    rows = [
        f"{site['in_estate']},{site['in_estate_fa']},1311,یزد,T01,{site['year']},12,1200",
        "14007650913,ریسندگی ب,1311,یزد,T01,1403,30,2500",
        "missing-an-id-that-is-very-long-and-unbroken-0123456789,x,9999,x,x,x,x,x",
    ]
    page.goto("/import/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "a-long-file-name-for-a-phone-screen-returns-1403.csv",
                "mimeType": "text/csv",
                "buffer": "\n".join([header, *rows]).encode("utf-8-sig"),
            }
        ],
    )
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    url = page.url.split(site["url"], 1)[-1]
    heading = page.locator("main h1").first.inner_text()
    return ("import-report", url, heading)


def test_the_public_on_a_phone(site, phone, screenshots):  # noqa: F811
    def pages(language):
        return [
            *common_pages(site, language),
            ("login", "/accounts/login/", "ورود" if language == "fa" else "Log in"),
        ]

    walk(phone, screenshots, "public", pages, log=False)


def test_an_enterprise_user_on_a_phone(site, phone, screenshots):  # noqa: F811
    def pages(language):
        common = common_pages(site, language)
        name = site[f"owner_{language}"]
        return [
            common[0],
            common[1],
            scorecard(site, "owner", language),
            *returns_pages(site, language, site["owner"], name),
        ]

    walk(phone, screenshots, Role.ENTERPRISE, pages)


def test_an_estate_manager_on_a_phone(site, phone, screenshots):  # noqa: F811
    def pages(language):
        name = site[f"in_estate_{language}"]
        return [
            *common_pages(site, language)[5:7],
            scorecard(site, "in_estate", language),
            *monitoring_pages(language),
            import_report(phone, site, language),
            *returns_pages(site, language, site["in_estate"], name),
        ]

    walk(phone, screenshots, Role.ESTATE_MANAGER, pages)


def test_an_analyst_on_a_phone(site, phone, screenshots):  # noqa: F811
    def pages(language):
        name = site[f"outside_{language}"]
        return [
            *common_pages(site, language),
            scorecard(site, "outside", language),
            *monitoring_pages(language),
            *analyst_pages(language),
            *edition_pages(site, language),
            *returns_pages(site, language, site["outside"], name),
        ]

    walk(phone, screenshots, Role.ANALYST, pages)


def test_an_administrator_on_a_phone(site, phone, screenshots):  # noqa: F811
    def pages(language):
        return [
            common_pages(site, language)[0],
            *monitoring_pages(language)[:1],
            *analyst_pages(language),
        ]

    walk(phone, screenshots, Role.ADMIN, pages)


# --- axe-core -------------------------------------------------------------------------------------

SERIOUS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's violations of serious or critical impact on the page as it is. The script
    is evaluated through DevTools, which the page's Content-Security-Policy does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => { const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}));
        }"""
    )
    return [v for v in result if v["impact"] in SERIOUS]


@pytest.fixture(scope="module")
def axe_ready():
    if not AXE.exists():
        reason = f"{AXE} is missing: run `npm ci` at the repository's root (make test does)"
        if IN_CI:
            pytest.fail(f"{reason} — under CI the accessibility tests must run.", pytrace=False)
        pytest.skip(reason)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_main_pages_pass_axe(site, browser, axe_ready, csp_watch, screenshots, viewport):  # noqa: F811
    context = browser.new_context(
        viewport=PHONE if viewport == "phone" else DESKTOP,
        base_url=site["url"],
        locale="fa-IR",
    )
    page = context.new_page()
    csp = csp_watch(page)
    found: dict[str, list] = {}
    try:
        anonymous = ["/", "/top100/", "/accounts/login/"]
        for url in anonymous:
            page.goto(url)
            if bad := axe_violations(page):
                found[f"fa {url} (anonymous)"] = bad
        log_in(page, Role.ANALYST)
        main = [
            "/",
            "/top100/",
            f"/editions/{site['edition']}/league/",
            f"/editions/{site['edition']}/methodology/",
            f"/enterprises/{site['outside']}/",
            "/estates/",
            "/dashboard/",
            "/monitoring/alerts/",
            "/monitoring/needs/",
            "/clusters/",
            f"/clusters/{site['cluster']}/",
            "/import/",
            "/analysis/editions/",
            f"/analysis/editions/{site['edition']}/",
            "/returns/",
            f"/returns/{site['outside']}/{site['year']}/",
        ]
        for language in ("fa", "en"):
            if language == "en":
                switch_to_english(page)
            for url in main:
                page.goto(url)
                page.wait_for_load_state()
                if viewport == "phone" and url == "/":
                    page.click("header.topbar details.menu > summary")  # the open menu too
                if bad := axe_violations(page):
                    found[f"{language} {url}"] = bad
    finally:
        context.close()
    report = screenshots / f"axe-{viewport}.json"
    report.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    assert not csp, csp
